-- Money in 亿元 (省外 + 省内市外) across reporting units and years, against the agreed amount
-- in the current register. Foreign investment (万美元) is not compared: it needs an
-- exchange rate the warehouse does not hold.
with figures as (
    select f.*
    from {{ ref('int_arrival_figures_chained') }} as f
    inner join {{ ref('stg_reference__units') }} as u on f.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
    where u.is_reporting_unit and m.canonical_unit = '亿元'
),

remarks as (
    select
        project_code,
        min(period) as first_increase_period
    from {{ ref('stg_forms__arrival_rows') }}
    where is_current_submission and remark like '%增资%'
    group by project_code
),

project_periods as (
    select
        project_code,
        period,
        report_year,
        sum(ytd_value) as ytd_value,
        any_value(unit_code) as unit_code,
        any_value(source_file) as source_file
    from figures
    group by project_code, period, report_year
),

year_ends as (
    select
        project_code,
        report_year,
        max_by(ytd_value, period) as year_total
    from project_periods
    group by project_code, report_year
),

cumulative as (
    select
        p.project_code,
        p.period,
        p.unit_code,
        p.source_file,
        p.ytd_value + coalesce(sum(y.year_total), 0) as cumulative_value
    from project_periods as p
    left join year_ends as y on p.project_code = y.project_code and p.report_year > y.report_year
    group by p.project_code, p.period, p.unit_code, p.source_file, p.ytd_value
),

checks as (
    select
        c.period,
        c.unit_code,
        c.project_code,
        null as scope_code,
        'arrived_out_of_city_cumulative' as metric,
        r.agreed_amount_yi_yuan as expected_value,
        c.cumulative_value as actual_value,
        c.cumulative_value > r.agreed_amount_yi_yuan + {{ var('amount_tolerance') }}
        and (x.first_increase_period is null or x.first_increase_period > c.period) as is_failure,
        c.unit_code as suspect_unit_code,
        'other' as suspect_cause,
        printf(
            '项目 %s 截至 %s 累计到位 %.2f 亿元，%s协议投资额 %.2f 亿元%s；见 %s',
            c.project_code,
            c.period,
            c.cumulative_value,
            case when c.cumulative_value > r.agreed_amount_yi_yuan then '超过' else '未超过' end,
            r.agreed_amount_yi_yuan,
            case
                when c.cumulative_value <= r.agreed_amount_yi_yuan then ''
                when x.first_increase_period <= c.period then '（已记录增资）'
                else '，且未记录增资'
            end,
            c.source_file
        ) as detail,
        c.source_file
    from cumulative as c
    inner join {{ ref('int_projects_versioned') }} as r on c.project_code = r.project_code
    left join remarks as x on c.project_code = x.project_code
)

{{ rule_result('checks') }}
