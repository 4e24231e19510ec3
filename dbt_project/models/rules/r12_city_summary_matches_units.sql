-- The city's own form S (as reported up to the province) = the sum of its reporting units'
-- form S (county + zone; parks are not added again), per metric, YTD.
with summaries as (
    select
        s.period,
        s.unit_code,
        s.metric,
        s.ytd_value,
        s.source_file,
        s.source_row_number,
        u.unit_type,
        u.unit_name,
        u.parent_code,
        u.is_reporting_unit
    from {{ ref('stg_forms__summary_indicators') }} as s
    inner join {{ ref('stg_reference__units') }} as u on s.unit_code = u.unit_code
    where s.is_current_submission and s.metric is not null
),

city as (
    select * from summaries
    where unit_type = 'prefecture'
),

units as (
    select
        period,
        parent_code as city_code,
        metric,
        sum(ytd_value) as ytd_value,
        count(*) as unit_count
    from summaries
    where is_reporting_unit
    group by period, parent_code, metric
),

checks as (
    select
        city.period,
        null as unit_code,
        null as project_code,
        city.unit_code as scope_code,
        city.metric || '_ytd' as metric,
        coalesce(units.ytd_value, 0) as expected_value,
        city.ytd_value as actual_value,
        coalesce(
            abs(city.ytd_value - coalesce(units.ytd_value, 0)) > {{ var('amount_tolerance') }}, true
        ) as is_failure,
        null as suspect_unit_code,
        'other' as suspect_cause,
        printf(
            '%s %s 市级汇总表 %s 累计 %s %s，%d 个县区、开发区汇总表合计 %.2f %s（差 %.2f）；见 %s 第%d行',
            city.unit_name,
            city.period,
            m.metric_label,
            coalesce(printf('%.2f', city.ytd_value), '非数字'),
            m.canonical_unit,
            coalesce(units.unit_count, 0),
            coalesce(units.ytd_value, 0),
            m.canonical_unit,
            coalesce(city.ytd_value, 0) - coalesce(units.ytd_value, 0),
            city.source_file,
            city.source_row_number
        ) as detail,
        city.source_file
    from city
    left join units
        on city.period = units.period and city.unit_code = units.city_code and city.metric = units.metric
    inner join {{ ref('metrics') }} as m on city.metric = m.metric
)

{{ rule_result('checks') }}
