-- Real-estate projects (GB/T 4754 code 70) carry no 省外产业到位资金 and are not counted as
-- 10亿元以上重大产业项目.
with real_estate as (
    select project_code
    from {{ ref('int_projects_versioned') }}
    where left(industry_code, 2) = '70'
),

summaries as (
    select * from {{ ref('stg_forms__summary_indicators') }}
    where is_current_submission and metric = 'major_projects_signed'
),

money as (
    select
        f.period,
        f.unit_code,
        f.project_code,
        null as scope_code,
        'arrived_out_of_province_ytd' as metric,
        0 as expected_value,
        f.ytd_value as actual_value,
        f.ytd_value > 0 as is_failure,
        printf(
            '房地产项目 %s 在 %s 报了省外产业到位资金 %.2f 亿元（房地产不计入）；见 %s 第%d行',
            f.project_code,
            f.period,
            f.ytd_value,
            f.source_file,
            f.source_row_number
        ) as detail,
        f.source_file
    from {{ ref('int_arrival_figures_chained') }} as f
    inner join real_estate on f.project_code = real_estate.project_code
    where f.metric = 'arrived_out_of_province'
),

register_counts as (
    -- 10亿元以上新签约项目 per unit and month, from the register, with and without real estate
    select
        s.period,
        s.unit_code,
        count(*) filter (p.agreed_amount_yi_yuan >= 10) as with_real_estate,
        count(*) filter (p.agreed_amount_yi_yuan >= 10 and left(p.industry_code, 2) <> '70') as without_real_estate
    from summaries as s
    inner join {{ ref('int_projects_versioned') }} as p
        on
            s.unit_code = p.reporting_unit_code
            and year(p.signed_date) = cast(left(s.period, 4) as integer)
            and p.signed_date <= last_day(cast(s.period || '-01' as date))
    group by s.period, s.unit_code
),

counts as (
    select
        s.period,
        s.unit_code,
        null as project_code,
        null as scope_code,
        'major_projects_signed_ytd' as metric,
        coalesce(c.without_real_estate, 0) as expected_value,
        s.ytd_value as actual_value,
        c.with_real_estate > c.without_real_estate and s.ytd_value = c.with_real_estate as is_failure,
        printf(
            '%s 10亿元以上新签约项目 填报 %d 个，其中含房地产项目 %d 个（不应计入）；见 %s 第%d行',
            s.period,
            cast(s.ytd_value as integer),
            coalesce(c.with_real_estate - c.without_real_estate, 0),
            s.source_file,
            s.source_row_number
        ) as detail,
        s.source_file
    from summaries as s
    left join register_counts as c on s.period = c.period and s.unit_code = c.unit_code
),

checks as (
    select
        period,
        unit_code,
        project_code,
        scope_code,
        metric,
        expected_value,
        actual_value,
        coalesce(is_failure, false) as is_failure,
        unit_code as suspect_unit_code,
        'other' as suspect_cause,
        detail,
        source_file
    from (
        select * from money
        union all
        select * from counts
    ) as both_checks
)

{{ rule_result('checks') }}
