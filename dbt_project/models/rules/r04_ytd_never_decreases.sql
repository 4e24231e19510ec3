-- Per project and metric: YTD never falls below the last earlier YTD of the year, unless
-- the unit sent a revision of the form for the month.
with checks as (
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
        'ytd_break' as suspect_cause,
        printf(
            '%s 项目 %s %s：%s 累计 %s %s，低于 %s 的 %.2f %s，且没有修订记录；见 %s 第%d行',
            u.unit_name,
            f.project_code,
            m.metric_label,
            f.period,
            coalesce(printf('%.2f', f.ytd_value), '非数字'),
            m.canonical_unit,
            f.last_earlier_period,
            f.last_earlier_ytd,
            m.canonical_unit,
            f.source_file,
            f.source_row_number
        ) as detail,
        f.source_file
    from {{ ref('int_arrival_figures_chained') }} as f
    inner join {{ ref('stg_reference__units') }} as u on f.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
    where f.last_earlier_ytd is not null and (f.ytd_value <> 0 or f.last_earlier_ytd <> 0)
)

{{ rule_result('checks') }}
