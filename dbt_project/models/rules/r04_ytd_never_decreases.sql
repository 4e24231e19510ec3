-- Per project and metric: YTD never falls below the last earlier YTD of the year, unless
-- the unit sent a revision of the form for the month. When the earlier YTD was typed in the
-- wrong unit (int_unit_slips_found) and this YTD is not below its corrected value, the fall
-- is that slip's echo: it points to the slip (unit_scale, the slip's month in cause_period).
with slips as (
    select * from {{ ref('int_unit_slips_found') }}
    where form = 'form_a' and is_slip and excess_ytd <> 0
),

figures as (
    select
        f.*,
        s.period as slip_period,
        s.corrected_ytd as slip_corrected_ytd,
        coalesce(f.ytd_value >= s.corrected_ytd - {{ var('amount_tolerance') }}, false) as is_echo
    from {{ ref('int_arrival_figures_chained') }} as f
    left join slips as s
        on
            f.project_code = s.project_code
            and f.unit_code = s.unit_code
            and f.metric = s.metric
            and f.last_earlier_period = s.period
),

checks as (
    select
        f.period,
        f.unit_code,
        f.project_code,
        null as scope_code,
        f.metric || '_ytd' as metric,
        f.last_earlier_ytd as expected_value,
        f.ytd_value as actual_value,
        coalesce(f.ytd_value < f.last_earlier_ytd - {{ var('amount_tolerance') }}, true)
        and not f.is_revised as is_failure,
        f.unit_code as suspect_unit_code,
        case when f.is_echo then 'unit_scale' else 'ytd_break' end as suspect_cause,
        case when f.is_echo then f.slip_period end as cause_period,
        printf(
            '%s 项目 %s %s：%s 累计 %s %s，%s %s 的 %.2f %s%s；见 %s 第%d行',
            u.unit_name,
            f.project_code,
            m.metric_label,
            f.period,
            coalesce(printf('%.2f', f.ytd_value), '非数字'),
            m.canonical_unit,
            case when f.ytd_value < f.last_earlier_ytd then '低于' else '不低于' end,
            f.last_earlier_period,
            f.last_earlier_ytd,
            m.canonical_unit,
            case
                when f.is_echo
                    then printf(
                        '（系 %s 单位错误的延续：该月累计应约为 %.2f）', f.slip_period, f.slip_corrected_ytd
                    )
                when f.ytd_value < f.last_earlier_ytd and f.is_revised then '，该月报表有修订记录'
                when f.ytd_value < f.last_earlier_ytd then '，且没有修订记录'
                else ''
            end,
            f.source_file,
            f.source_row_number
        ) as detail,
        f.source_file
    from figures as f
    inner join {{ ref('stg_reference__units') }} as u on f.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
    where f.last_earlier_ytd is not null and (f.ytd_value <> 0 or f.last_earlier_ytd <> 0)
)

{{ rule_result('checks', with_cause_period=true) }}
