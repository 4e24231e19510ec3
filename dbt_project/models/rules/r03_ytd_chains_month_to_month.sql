-- Per project and metric: last month's YTD + this month = this month's YTD.
with checks as (
    select
        f.period,
        f.unit_code,
        f.project_code,
        null as scope_code,
        f.metric || '_ytd' as metric,
        f.previous_month_ytd + f.month_reported as expected_value,
        f.ytd_value as actual_value,
        coalesce(
            abs(f.ytd_value - (f.previous_month_ytd + f.month_reported)) > {{ var('amount_tolerance') }}, true
        ) as is_failure,
        f.unit_code as suspect_unit_code,
        'ytd_break' as suspect_cause,
        printf(
            '%s %s 项目 %s %s：上月止累计 %.2f + 本月 %s ≠ 本月止累计 %s %s；见 %s 第%d行',
            u.unit_name,
            f.period,
            f.project_code,
            m.metric_label,
            f.previous_month_ytd,
            coalesce(printf('%.2f', f.month_reported), '非数字'),
            coalesce(printf('%.2f', f.ytd_value), '非数字'),
            m.canonical_unit,
            f.source_file,
            f.source_row_number
        ) as detail,
        f.source_file
    from {{ ref('int_arrival_figures_chained') }} as f
    inner join {{ ref('stg_reference__units') }} as u on f.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
    where
        f.ytd_value is distinct from 0
        or f.month_reported is distinct from 0
        or f.previous_month_ytd <> 0
)

{{ rule_result('checks') }}
