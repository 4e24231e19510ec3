-- 月度通报: per month, unit and metric of the catalogue (seed metrics), the month's value,
-- the YTD, last year's YTD, 同比, the annual target, 完成率, 序时进度 and the rank among peers,
-- for every reporting unit, each prefecture (the city: the sum of its units) and the
-- province (the sum of its prefectures in the warehouse). Form A metrics come from the
-- figures the fact counts, register metrics from the register's dated events, derived ones
-- add up their parts; for metrics form S carries, the unit's own reported YTD stands beside.
-- 考核口径 beside 统计口径: with the city's 利益分成 scheme (int_project_credit_shares), a
-- moved project's figures are shared between the unit it came from and the one reporting it
-- in the months the scheme covers (assessed_*; equal to the statistical values otherwise);
-- the prefecture and the province count every figure once, as in 统计口径.

with metrics as (
    select * from {{ ref('metrics') }}
),

periods as (
    select
        period,
        month_start_date,
        month_end_date,
        calendar_year,
        calendar_month
    from {{ ref('dim_date') }}
    -- the window's months and the year before them (同比)
    where has_submissions and {{ in_window_years('calendar_year', years_before=1) }}
),

districts as (
    select * from {{ ref('dim_district') }}
),

-- every figure by project: form A's, and the register's events of the year to the month
project_values as (
    select
        period,
        unit_code,
        project_code,
        metric,
        ytd_value,
        month_value
    from {{ ref('int_capital_arrivals_chained') }}
    union all
    select
        p.period,
        e.reporting_unit_code as unit_code,
        e.project_code,
        e.metric,
        e.value as ytd_value,
        case when e.event_date >= p.month_start_date then e.value else 0 end as month_value
    from periods as p
    inner join {{ ref('int_register_events') }} as e
        on e.event_date between make_date(p.calendar_year, 1, 1) and p.month_end_date
),

-- the moved projects' shares in force in each month (考核口径)
shares as (
    select
        periods.period,
        s.project_code,
        s.from_unit_code,
        s.to_unit_code,
        s.referrer_share_pct / 100.0 as share
    from {{ ref('int_project_credit_shares') }} as s
    inner join periods
        on s.transferred_date <= periods.month_end_date and s.sharing_ends_date > periods.month_end_date
),

-- each figure credited: all of it to the unit reporting it, less a moved project's share,
-- which goes to the unit it came from (assessed only)
credited as (
    select
        v.period,
        v.unit_code,
        v.metric,
        v.ytd_value,
        v.month_value,
        v.ytd_value * (1 - coalesce(s.share, 0)) as assessed_ytd_value,
        v.month_value * (1 - coalesce(s.share, 0)) as assessed_month_value
    from project_values as v
    left join shares as s
        on v.period = s.period and v.project_code = s.project_code and v.unit_code = s.to_unit_code
    union all
    select
        v.period,
        s.from_unit_code as unit_code,
        v.metric,
        0 as ytd_value,
        0 as month_value,
        v.ytd_value * s.share as assessed_ytd_value,
        v.month_value * s.share as assessed_month_value
    from project_values as v
    inner join shares as s
        on v.period = s.period and v.project_code = s.project_code and v.unit_code = s.to_unit_code
),

base as (
    select
        period,
        unit_code,
        metric,
        sum(ytd_value) as ytd_value,
        sum(month_value) as month_value,
        sum(assessed_ytd_value) as assessed_ytd_value,
        sum(assessed_month_value) as assessed_month_value
    from credited
    group by period, unit_code, metric
),

derived_parts as (
    select
        metric,
        unnest(string_split(derived_from, ' ')) as part
    from metrics
    where source = 'derived'
),

unit_values as (
    select * from base
    union all
    select
        b.period,
        b.unit_code,
        d.metric,
        sum(b.ytd_value) as ytd_value,
        sum(b.month_value) as month_value,
        sum(b.assessed_ytd_value) as assessed_ytd_value,
        sum(b.assessed_month_value) as assessed_month_value
    from base as b
    inner join derived_parts as d on b.metric = d.part
    group by b.period, b.unit_code, d.metric
),

-- every reporting unit valid in the month, every metric, with its prefecture
spine as (
    select
        periods.period,
        districts.unit_code,
        districts.prefecture_code,
        metrics.metric
    from periods
    inner join districts
        on
            districts.is_reporting_unit
            and periods.month_end_date between districts.valid_from and coalesce(districts.valid_to, date '9999-12-31')
    cross join metrics
),

units as (
    select
        spine.period,
        spine.unit_code,
        spine.prefecture_code,
        spine.metric,
        coalesce(v.ytd_value, 0) as ytd_value,
        coalesce(v.month_value, 0) as month_value,
        coalesce(v.assessed_ytd_value, 0) as assessed_ytd_value,
        coalesce(v.assessed_month_value, 0) as assessed_month_value
    from spine
    left join unit_values as v
        on spine.period = v.period and spine.unit_code = v.unit_code and spine.metric = v.metric
),

prefectures as (
    select
        period,
        prefecture_code as unit_code,
        prefecture_code,
        metric,
        sum(ytd_value) as ytd_value,
        sum(month_value) as month_value,
        -- above the units, every figure once (the same in both 口径)
        sum(ytd_value) as assessed_ytd_value,
        sum(month_value) as assessed_month_value
    from units
    group by period, prefecture_code, metric
),

provinces as (
    select
        p.period,
        d.province_code as unit_code,
        cast(null as varchar) as prefecture_code,
        p.metric,
        sum(p.ytd_value) as ytd_value,
        sum(p.month_value) as month_value,
        sum(p.ytd_value) as assessed_ytd_value,
        sum(p.month_value) as assessed_month_value
    from prefectures as p
    inner join districts as d on p.unit_code = d.unit_code
    group by p.period, d.province_code, p.metric
),

all_rows as (
    select * from units
    union all
    select * from prefectures
    union all
    select * from provinces
),

reported as (
    select
        period,
        unit_code,
        metric,
        ytd_value,
        last_year_ytd_value
    from {{ ref('stg_forms__summary_indicators') }}
    where is_current_submission and metric is not null
),

labelled as (
    select
        r.*,
        periods.month_start_date as period_date,
        periods.calendar_year,
        periods.calendar_month,
        d.unit_name,
        d.unit_type,
        d.peer_group,
        d.in_league,
        -- who a unit is ranked among: its prefecture's units of its peer group, or the
        -- province's prefectures
        case when d.unit_type = 'prefecture' then d.province_code else r.prefecture_code end as rank_scope,
        m.metric_label,
        m.canonical_unit,
        -- last year's YTD: this mart's own row twelve months back, else what form S reports
        coalesce(last_year.ytd_value, reported.last_year_ytd_value) as last_year_ytd_value,
        targets.annual_target,
        reported.ytd_value as reported_ytd_value
    from all_rows as r
    inner join periods on r.period = periods.period
    inner join metrics as m on r.metric = m.metric
    inner join districts as d
        on
            r.unit_code = d.unit_code
            and periods.month_end_date between d.valid_from and coalesce(d.valid_to, date '9999-12-31')
    left join all_rows as last_year
        on
            r.unit_code = last_year.unit_code
            and r.metric = last_year.metric
            and last_year.period = strftime(periods.month_start_date - interval 1 year, '%Y-%m')
    left join reported
        on r.period = reported.period and r.unit_code = reported.unit_code and r.metric = reported.metric
    left join {{ ref('stg_reference__targets') }} as targets
        on r.unit_code = targets.unit_code and r.metric = targets.metric and periods.calendar_year = targets.target_year
)

select
    period,
    period_date,
    unit_code,
    unit_name,
    unit_type,
    prefecture_code,
    peer_group,
    in_league,
    metric,
    metric_label,
    canonical_unit,
    cast(month_value as decimal(24, 8)) as month_value,
    cast(ytd_value as decimal(24, 8)) as ytd_value,
    cast(assessed_month_value as decimal(24, 8)) as assessed_month_value,
    cast(assessed_ytd_value as decimal(24, 8)) as assessed_ytd_value,
    cast(last_year_ytd_value as decimal(24, 8)) as last_year_ytd_value,
    {{ yoy_growth_pct('ytd_value', 'last_year_ytd_value') }} as yoy_growth_pct,
    cast(annual_target as decimal(24, 8)) as annual_target,
    {{ completion_rate_pct('ytd_value', 'annual_target') }} as completion_rate_pct,
    {{ pace_gap_pp('ytd_value', 'annual_target', 'calendar_month') }} as pace_gap_pp,
    -- the rank among the prefecture's units of the peer group (县区 / 开发区), or among the
    -- province's prefectures; a unit out of the league (in_league = false) is not ranked
    cast(
        case
            when unit_type <> 'province' and in_league
                then rank() over (
                    partition by period, metric, rank_scope, peer_group, in_league
                    order by ytd_value desc
                )
        end as integer
    ) as peer_rank,
    cast(reported_ytd_value as decimal(24, 8)) as reported_ytd_value,
    cast(reported_ytd_value - ytd_value as decimal(24, 8)) as reported_difference
from labelled
where {{ in_period_window() }}
