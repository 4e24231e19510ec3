-- The city's total built from the detail forms = the province's published figure for the
-- city (省级通报), per metric, YTD; where the file also gives the province's total, it
-- equals the sum of its prefectures.
with city_detail as (
    select
        period,
        unit_code as prefecture_code,
        metric,
        ytd_value
    from {{ ref('mart_monthly_bulletin') }}
    where unit_type = 'prefecture'
),

published as (
    select
        p.*,
        units.unit_type,
        units.parent_code
    from {{ ref('stg_published__province_figures') }} as p
    left join {{ ref('stg_reference__units') }} as units on p.area_code = units.unit_code
    where p.metric is not null and p.has_unknown_unit is not true  -- R01 reports those
),

city_rows as (
    select
        p.period,
        p.area_code as scope_code,
        p.area_name,
        p.metric,
        p.ytd_value as expected_value,
        c.ytd_value as actual_value,
        p.source_file,
        p.source_row_number,
        '全市明细表合计' as basis
    from published as p
    inner join city_detail as c
        on p.period = c.period and p.area_code = c.prefecture_code and p.metric = c.metric
),

province_rows as (
    select
        p.period,
        p.area_code as scope_code,
        p.area_name,
        p.metric,
        p.ytd_value as expected_value,
        sum(parts.ytd_value) as actual_value,
        p.source_file,
        p.source_row_number,
        '各州市合计' as basis
    from published as p
    inner join published as parts
        on
            p.period = parts.period
            and p.metric = parts.metric
            and p.area_code = parts.parent_code
            and parts.unit_type = 'prefecture'
    where p.unit_type = 'province'
    group by all
),

checks as (
    select
        r.period,
        null as unit_code,
        null as project_code,
        r.scope_code,
        r.metric || '_ytd' as metric,
        r.expected_value,
        r.actual_value,
        coalesce(abs(r.actual_value - r.expected_value) > {{ var('amount_tolerance') }}, true) as is_failure,
        null as suspect_unit_code,
        'published_mismatch' as suspect_cause,
        printf(
            '%s %s %s：省级通报 %.2f %s，%s %.2f %s（差 %.2f）；见 %s 第%d行',
            r.area_name,
            r.period,
            m.metric_label,
            r.expected_value,
            m.canonical_unit,
            r.basis,
            r.actual_value,
            m.canonical_unit,
            r.actual_value - r.expected_value,
            r.source_file,
            r.source_row_number
        ) as detail,
        r.source_file
    from (
        select * from city_rows
        union all
        select * from province_rows
    ) as r
    inner join {{ ref('metrics') }} as m on r.metric = m.metric
)

{{ rule_result('checks') }}
