-- 项目漏斗: per month, unit (reporting units, each prefecture, the province), cohort (the
-- year projects were signed) and size class (all; 1亿元以上 and 10亿元以上, real estate
-- excluded from both), as of the month's end: signed (签约 in the cohort year, by the
-- month's end), landed (started, or with money shown on any detail form by then), started,
-- in production; 落地率 = landed / signed, 开工率 = started / signed, 投产率 = in production /
-- started; the amount agreed and the money arrived so far (省外 + 省内市外, 亿元, all years)
-- and 资金到位率 = arrived / agreed. A rate whose base is 0 is null.

with periods as (
    select
        period,
        month_start_date,
        month_end_date,
        calendar_year
    from {{ ref('dim_date') }}
    -- only the months this run replaces: every per-month step below is keyed by them (the
    -- projects' first money and earlier years' totals read all history regardless)
    where has_submissions and {{ in_period_window() }}
),

projects as (
    select
        project_code,
        reporting_unit_code,
        signed_date,
        started_date,
        production_date,
        agreed_amount_yi_yuan,
        left(industry_code, 2) = '70' as is_real_estate
    from {{ ref('int_projects_versioned') }}
    where signed_date is not null
),

size_classes as (
    select
        sizes.size_class,
        sizes.minimum
    from (values ('all', 0.0), ('1亿元以上', 1.0), ('10亿元以上', 10.0)) as sizes (size_class, minimum)
),

first_money as (
    -- the first month any detail form (a unit's or a park's) shows money for the project
    select
        project_code,
        min(period) as first_money_period
    from {{ ref('int_arrival_figures_chained') }}
    where ytd_value > 0
    group by project_code
),

project_ytd as (
    -- the project's counted 亿元 money per month, all units together
    select
        f.project_code,
        f.period,
        f.report_year,
        sum(f.ytd_value) as ytd_value
    from {{ ref('int_capital_arrivals_chained') }} as f
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
    where m.canonical_unit = '亿元'
    group by f.project_code, f.period, f.report_year
),

year_ends as (
    select
        project_code,
        report_year,
        max_by(ytd_value, period) as year_total
    from project_ytd
    group by project_code, report_year
),

arrived as (
    -- money arrived by the month's end: earlier years' totals and this year's latest YTD
    select
        p.period,
        pr.project_code,
        coalesce((
            select sum(y.year_total) from year_ends as y
            where y.project_code = pr.project_code and y.report_year < p.calendar_year
        ), 0)
        + coalesce((
            select max_by(t.ytd_value, t.period) from project_ytd as t
            where t.project_code = pr.project_code and t.report_year = p.calendar_year and t.period <= p.period
        ), 0) as arrived_yi_yuan
    from periods as p
    inner join projects as pr on p.month_end_date >= pr.signed_date
),

states as (
    select
        p.period,
        p.month_start_date,
        pr.project_code,
        pr.reporting_unit_code,
        year(pr.signed_date) as cohort_year,
        pr.agreed_amount_yi_yuan,
        pr.is_real_estate,
        coalesce(pr.started_date <= p.month_end_date, false) as is_started,
        coalesce(pr.production_date <= p.month_end_date, false) as is_in_production,
        coalesce(pr.started_date <= p.month_end_date, false)
        or coalesce(fm.first_money_period <= p.period, false) as is_landed,
        a.arrived_yi_yuan
    from periods as p
    inner join projects as pr on p.month_end_date >= pr.signed_date
    left join first_money as fm on pr.project_code = fm.project_code
    left join arrived as a on p.period = a.period and pr.project_code = a.project_code
),

districts as (
    select * from {{ ref('dim_district') }}
),

-- every project counts for its reporting unit, the unit's prefecture and the province
placed as (
    select
        s.*,
        u.unit_code
    from states as s
    inner join districts as d
        on s.reporting_unit_code = d.unit_code and s.month_start_date between d.valid_from and coalesce(d.valid_to, date '9999-12-31')
    cross join unnest([d.unit_code, d.prefecture_code, d.province_code]) as u (unit_code)
),

counted as (
    select
        placed.period,
        placed.unit_code,
        placed.cohort_year,
        sc.size_class,
        count(*) as signed,
        count(*) filter (placed.is_landed) as landed,
        count(*) filter (placed.is_started) as started,
        count(*) filter (placed.is_in_production) as in_production,
        sum(placed.agreed_amount_yi_yuan) as agreed_amount_yi_yuan,
        sum(placed.arrived_yi_yuan) as arrived_cumulative_yi_yuan
    from placed
    inner join size_classes as sc
        on sc.size_class = 'all' or (not placed.is_real_estate and placed.agreed_amount_yi_yuan >= sc.minimum)
    group by placed.period, placed.unit_code, placed.cohort_year, sc.size_class
)

select
    c.period,
    cast(c.period || '-01' as date) as period_date,
    c.unit_code,
    d.unit_name,
    d.unit_type,
    cast(c.cohort_year as integer) as cohort_year,
    c.size_class,
    cast(c.signed as integer) as signed,
    cast(c.landed as integer) as landed,
    cast(c.started as integer) as started,
    cast(c.in_production as integer) as in_production,
    {{ rate_pct('c.landed', 'c.signed') }} as landing_rate_pct,
    {{ rate_pct('c.started', 'c.signed') }} as start_rate_pct,
    {{ rate_pct('c.in_production', 'c.started') }} as production_rate_pct,
    cast(c.agreed_amount_yi_yuan as decimal(24, 8)) as agreed_amount_yi_yuan,
    cast(c.arrived_cumulative_yi_yuan as decimal(24, 8)) as arrived_cumulative_yi_yuan,
    {{ rate_pct('c.arrived_cumulative_yi_yuan', 'c.agreed_amount_yi_yuan') }} as funds_arrival_rate_pct
from counted as c
inner join districts as d on c.unit_code = d.unit_code
qualify row_number() over (partition by c.period, c.unit_code, c.cohort_year, c.size_class order by d.valid_from desc) = 1
