-- Year on year on each reporting unit's summary YTD. Month on month is not checked: YTD
-- grows every month by construction and single months are too noisy to flag at 30 %.
-- The explanation is any 备注 on the unit's detail form of the same month.
with summaries as (
    select
        s.*,
        m.metric_label
    from {{ ref('stg_forms__summary_indicators') }} as s
    inner join {{ ref('stg_reference__units') }} as u on s.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on s.metric = m.metric
    where
        s.is_current_submission
        and u.is_reporting_unit
        and m.source = 'form_a'
        and s.last_year_ytd_value > 0
),

remarks as (
    select
        period,
        unit_code,
        string_agg(distinct remark, '；' order by remark) as remarks
    from {{ ref('stg_forms__arrival_rows') }}
    where is_current_submission and nullif(trim(remark), '') is not null
    group by period, unit_code
),

checks as (
    select
        s.period,
        s.unit_code,
        null as project_code,
        null as scope_code,
        s.metric || '_yoy_growth' as metric,
        s.last_year_ytd_value as expected_value,
        s.ytd_value as actual_value,
        coalesce(abs(s.ytd_value / s.last_year_ytd_value - 1) > 0.3, false) and r.remarks is null as is_failure,
        s.unit_code as suspect_unit_code,
        'other' as suspect_cause,
        printf(
            '%s %s 累计 %.2f %s，上年同期 %.2f，同比 %+.1f%%%s；见 %s 第%d行',
            s.metric_label,
            s.period,
            s.ytd_value,
            s.canonical_unit,
            s.last_year_ytd_value,
            (s.ytd_value / s.last_year_ytd_value - 1) * 100,
            coalesce('；备注：' || r.remarks, '；明细表无备注说明'),
            s.source_file,
            s.source_row_number
        ) as detail,
        s.source_file
    from summaries as s
    left join remarks as r on s.period = r.period and s.unit_code = r.unit_code
)

{{ rule_result('checks') }}
