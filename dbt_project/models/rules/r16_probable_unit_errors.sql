-- Figures typed in the wrong unit (int_unit_slips_found decides): a project's month figure
-- or YTD ~10⁴ times (or 10⁻⁴ of) its own history, its city's other projects and its last
-- YTD; a whole form in the wrong unit (one row for the form); a unit's summary YTD ~10⁴ times
-- its last. Every other figure compared is a passing row saying what it was compared with.
-- not materialized: each use below reads only its own rows (slips, whole forms, passes)
with figures as not materialized (
    select
        f.*,
        u.unit_name,
        m.metric_label,
        -- what the figure was compared with, as ratios, for the message
        concat_ws(
            '、',
            case
                when f.history_scale > 0 and f.month_derived > 0
                    then printf('此前月均 %.4g 的 %.3g 倍', f.history_scale, f.month_derived / f.history_scale)
            end,
            case
                when f.peer_scale > 0 and f.month_derived > 0
                    then printf('全市同期中位数 %.4g 的 %.3g 倍', f.peer_scale, f.month_derived / f.peer_scale)
            end
        ) as month_comparison,
        case
            when f.ytd_step is not null
                then printf('累计为 %s 的 %.3g 倍', f.last_earlier_period, f.ytd_step)
        end as ytd_comparison,
        case f.direction
            when 'up'
                then
                    case
                        when f.canonical_unit = '亿元' and f.exponent = 8 then '把元填成了亿元'
                        when f.canonical_unit = '亿元' then '把万元填成了亿元'
                        else '把美元填成了万美元'
                    end
            when 'down'
                then case when f.canonical_unit = '亿元' then '把亿元填成了万元' else '把万美元填成了美元' end
        end as slip_words,
        case f.form when 'form_a' then '明细表' else '汇总表' end as form_label
    from {{ ref('int_unit_slips_found') }} as f
    inner join {{ ref('stg_reference__units') }} as u on f.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
),

single_slips as (
    select
        period,
        unit_code,
        project_code,
        null as scope_code,
        metric || case when slipped_figure = 'reported_month' then '_month' else '_ytd' end as metric,
        case when slipped_figure = 'reported_month' then month_reported / power(10, exponent) else corrected_ytd end
            as expected_value,
        case when slipped_figure = 'reported_month' then month_reported else ytd_value end as actual_value,
        true as is_failure,
        unit_code as suspect_unit_code,
        'unit_scale' as suspect_cause,
        printf(
            '%s %s %s%s %s %s，疑似%s（约差 10^%d 倍）；%s；见 %s 第%d行',
            unit_name,
            period,
            form_label,
            coalesce(' 项目 ' || project_code, ''),
            metric_label,
            concat_ws(
                '，',
                case
                    when slipped_figure = 'month'
                        then printf('本月 %.6g %s（%s）', month_derived, canonical_unit, month_comparison)
                end,
                case
                    when slipped_figure = 'reported_month'
                        then printf('填报本月 %.6g %s（累计无误）', month_reported, canonical_unit)
                end,
                case
                    when slipped_figure = 'ytd'
                        then printf(
                            '累计 %.2f %s（%s）',
                            ytd_value,
                            canonical_unit,
                            concat_ws('、', nullif(month_comparison, ''), ytd_comparison)
                        )
                end
            ),
            slip_words,
            exponent,
            case
                when slipped_figure = 'reported_month' then '累计数不受影响'
                else printf('累计应约为 %.2f', corrected_ytd)
            end,
            source_file,
            source_row_number
        ) as detail,
        source_file
    from figures
    where is_slip and not is_whole_form
),

whole_form_metrics as (
    select
        submission_id,
        canonical_unit,
        metric_label,
        sum(excess_ytd) as excess
    from figures
    where is_whole_form
    group by submission_id, canonical_unit, metric_label
),

whole_form_texts as (
    select
        submission_id,
        canonical_unit,
        string_agg(printf('%s 累计多出 %.2f', metric_label, excess), '；' order by metric_label) as excesses
    from whole_form_metrics
    group by submission_id, canonical_unit
),

whole_forms as (
    select
        any_value(f.period) as period,
        any_value(f.unit_code) as unit_code,
        null as project_code,
        null as scope_code,
        null as metric,
        sum(f.corrected_ytd) as expected_value,
        sum(f.ytd_value) as actual_value,
        true as is_failure,
        any_value(f.unit_code) as suspect_unit_code,
        'unit_scale' as suspect_cause,
        printf(
            '%s %s 明细表 %s 中 %d 个以%s计的累计数均约为应有的 10^%d 倍：整张表疑似%s（%s）',
            any_value(f.unit_name),
            any_value(f.period),
            any_value(f.source_file),
            count(*),
            any_value(f.canonical_unit),
            any_value(f.exponent) * case any_value(f.direction) when 'up' then 1 else -1 end,
            any_value(f.slip_words),
            any_value(m.excesses)
        ) as detail,
        any_value(f.source_file) as source_file
    from figures as f
    inner join whole_form_texts as m on f.submission_id = m.submission_id and f.canonical_unit = m.canonical_unit
    where f.is_whole_form
    group by f.submission_id, f.canonical_unit
),

passes as (
    select
        period,
        unit_code,
        project_code,
        null as scope_code,
        metric || '_ytd' as metric,
        ytd_value as expected_value,
        ytd_value as actual_value,
        false as is_failure,
        null as suspect_unit_code,
        null as suspect_cause,
        printf(
            '已核对 %s %s %s%s %s：%s；%s',
            unit_name,
            period,
            form_label,
            coalesce(' 项目 ' || project_code, ''),
            metric_label,
            coalesce(
                nullif(concat_ws('，', nullif(month_comparison, ''), ytd_comparison), ''),
                '无可比数字'
            ),
            case
                when is_echo then printf('较 %s 的回落系该月单位错误后的更正', last_earlier_period)
                else '量级正常'
            end
        ) as detail,
        source_file
    from figures
    where not is_slip
),

checks as (
    select * from single_slips
    union all
    select * from whole_forms
    union all
    select * from passes
)

{{ rule_result('checks') }}
