-- Per reporting unit (and the city) and month, per amount metric: YTD, year on year,
-- annual target, completion, 序时进度 gap and rank within the peer group (县区 / 开发区).
--
-- It adds up the figures the fact is made of (int_capital_arrivals_chained: every current
-- form A figure of a registered project), not the fact table itself: the fact is partitioned
-- by month and built in its own step, and reading it here would put this unpartitioned
-- model both upstream and downstream of that step. The sums are the fact's (R12 and R13
-- check them against form S and the province).
with facts as (
    select * from {{ ref('int_capital_arrivals_chained') }}
),

districts as (
    select * from {{ ref('dim_district') }}
),

periods as (
    select distinct period from facts
),

metrics as (
    select
        metric,
        canonical_unit
    from {{ ref('metrics') }}
    where source = 'form_a'
),

unit_ytd as (
    select
        period,
        unit_code,
        metric,
        sum(ytd_value) as ytd_value
    from facts
    group by all
),

-- reporting units valid in the month, and the prefecture (city) they add up to
spine as (
    select
        periods.period,
        districts.unit_code,
        districts.unit_name,
        districts.unit_type,
        districts.peer_group,
        metrics.metric,
        metrics.canonical_unit
    from periods
    cross join metrics
    inner join districts
        on
            districts.is_reporting_unit
            and last_day(cast(periods.period || '-01' as date))
            between districts.valid_from and coalesce(districts.valid_to, date '9999-12-31')
),

units as (
    select
        spine.*,
        coalesce(unit_ytd.ytd_value, 0) as ytd_value
    from spine
    left join unit_ytd
        on
            spine.period = unit_ytd.period
            and spine.unit_code = unit_ytd.unit_code
            and spine.metric = unit_ytd.metric
),

city as (
    select
        units.period,
        districts.parent_code as unit_code,
        parents.unit_name,
        parents.unit_type,
        cast(null as varchar) as peer_group,
        units.metric,
        units.canonical_unit,
        sum(units.ytd_value) as ytd_value
    from units
    inner join districts on units.unit_code = districts.unit_code
    inner join districts as parents on districts.parent_code = parents.unit_code
    group by all
),

all_rows as (
    select * from units
    union all
    select * from city
),

reported as (
    select
        period,
        unit_code,
        metric,
        last_year_ytd_value
    from {{ ref('stg_forms__summary_indicators') }}
    where is_current_submission and measure_kind = 'amount'
),

with_history as (
    select
        cur.*,
        cast(left(cur.period, 4) as integer) as report_year,
        cast(right(cur.period, 2) as integer) as report_month,
        coalesce(prev.ytd_value, reported.last_year_ytd_value) as last_year_ytd_value,
        targets.annual_target
    from all_rows as cur
    left join all_rows as prev
        on
            cur.unit_code = prev.unit_code
            and cur.metric = prev.metric
            and prev.period
            = strftime(cast(cur.period || '-01' as date) - interval 1 year, '%Y-%m')
    left join reported
        on
            cur.period = reported.period
            and cur.unit_code = reported.unit_code
            and cur.metric = reported.metric
    left join {{ ref('stg_reference__targets') }} as targets
        on
            cur.unit_code = targets.unit_code
            and cur.metric = targets.metric
            and cast(left(cur.period, 4) as integer) = targets.target_year
)

select
    period,
    unit_code,
    unit_name,
    unit_type,
    peer_group,
    metric,
    canonical_unit,
    cast(ytd_value as decimal(24, 8)) as ytd_value,
    cast(last_year_ytd_value as decimal(24, 8)) as last_year_ytd_value,
    cast(
        round((ytd_value - last_year_ytd_value) / nullif(last_year_ytd_value, 0) * 100, 2)
        as double
    ) as yoy_growth_pct,
    cast(annual_target as decimal(24, 8)) as annual_target,
    cast(round(ytd_value / nullif(annual_target, 0) * 100, 2) as double) as completion_rate_pct,
    cast(
        round(ytd_value / nullif(annual_target, 0) * 100 - report_month / 12.0 * 100, 2)
        as double
    ) as pace_gap_pp,
    cast(
        case
            when peer_group is not null
                then rank() over (partition by period, metric, peer_group order by ytd_value desc)
        end as integer
    ) as peer_rank
from with_history
