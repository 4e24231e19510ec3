-- Reported 同比 and 完成率 on form S against the same row's own figures.
with rows as (
    select
        s.*,
        m.metric_label
    from {{ ref('stg_forms__summary_indicators') }} as s
    inner join {{ ref('metrics') }} as m on s.metric = m.metric
    where s.is_current_submission
),

rates as (
    select
        period,
        unit_code,
        metric || '_yoy_growth' as metric,
        metric_label || ' 同比增长' as label,
        yoy_growth_pct_reported as reported,
        (ytd_value - last_year_ytd_value) / nullif(last_year_ytd_value, 0) * 100 as recomputed,
        source_file,
        source_row_number
    from rows
    where yoy_growth_pct_reported is not null
    union all
    select
        period,
        unit_code,
        metric || '_completion_rate' as metric,
        metric_label || ' 完成率' as label,
        completion_rate_pct_reported as reported,
        ytd_value / nullif(annual_target_value, 0) * 100 as recomputed,
        source_file,
        source_row_number
    from rows
    where completion_rate_pct_reported is not null
),

checks as (
    select
        period,
        unit_code,
        null as project_code,
        null as scope_code,
        metric,
        round(recomputed, 4) as expected_value,
        reported as actual_value,
        coalesce(abs(reported - recomputed) > {{ var('rate_tolerance_pp') }}, true) as is_failure,
        unit_code as suspect_unit_code,
        'other' as suspect_cause,
        printf(
            '%s %s 填报 %.2f%%，按本表数字重算为 %s；见 %s 第%d行',
            label,
            period,
            reported,
            coalesce(printf('%.2f%%', recomputed), '无法计算'),
            source_file,
            source_row_number
        ) as detail,
        source_file
    from rates
)

{{ rule_result('checks') }}
