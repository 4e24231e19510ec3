-- 赛马榜, indicator by indicator: per quarter (as of its last month, YTD), unit and indicator
-- of the scheme in force for the unit's peer group (stg_reference__league_scheme: its own
-- rows, else the * rows), the indicator's value from the bulletin in 考核口径 (its assessed
-- YTD: the same as 统计口径 unless the city's 利益分成 scheme shares a moved project), its weight, and its
-- score normalised among the group's ranked units: 100 × (x − min) / (max − min); 100 for
-- all when max = min; 0 for a missing value. A unit out of the league is listed with its
-- values and no score.

with bulletin as (
    select * from {{ ref('mart_monthly_bulletin') }}
    where unit_type in ('county', 'zone', 'prefecture') and right(period, 2) in ('03', '06', '09', '12')
),

members as (
    -- who competes with whom: a prefecture's units of one peer group, or a province's prefectures
    select distinct
        b.period,
        b.period_date,
        b.unit_code,
        b.unit_name,
        b.prefecture_code,
        b.peer_group,
        b.in_league,
        case when b.unit_type = 'prefecture' then d.province_code else b.prefecture_code end as scope_code
    from bulletin as b
    inner join {{ ref('dim_district') }} as d on b.unit_code = d.unit_code
),

scheme as (
    select * from {{ ref('stg_reference__league_scheme') }}
),

groups as (
    select distinct peer_group from members
),

group_scheme as (
    -- a group's own rows, else the rows for every group (*)
    select
        g.peer_group,
        s.indicator,
        s.metric,
        s.measure,
        s.weight,
        s.list_size
    from groups as g
    inner join scheme as s
        on
            g.peer_group = s.peer_group
            or (
                s.peer_group = '*'
                and not exists (
                    select 1 from scheme as own
                    where own.peer_group = g.peer_group
                )
            )
),

valued as (
    select
        m.*,
        gs.indicator,
        gs.metric,
        gs.measure,
        gs.weight,
        gs.list_size,
        case gs.measure
            when 'ytd' then cast(b.assessed_ytd_value as double)
            when 'yoy_growth_pct' then {{ yoy_growth_pct('b.assessed_ytd_value', 'b.last_year_ytd_value') }}
            when 'completion_rate_pct' then {{ completion_rate_pct('b.assessed_ytd_value', 'b.annual_target') }}
            when 'pace_gap_pp'
                then {{ pace_gap_pp('b.assessed_ytd_value', 'b.annual_target', 'cast(right(b.period, 2) as integer)') }}
        end as indicator_value
    from members as m
    inner join group_scheme as gs on m.peer_group = gs.peer_group
    left join bulletin as b on m.period = b.period and m.unit_code = b.unit_code and gs.metric = b.metric
),

ranged as (
    select
        *,
        min(indicator_value) filter (in_league) over competitors as group_min,
        max(indicator_value) filter (in_league) over competitors as group_max
    from valued
    window competitors as (partition by period, scope_code, peer_group, indicator)
)

select
    left(period, 4) || '-Q' || cast(cast(right(period, 2) as integer) // 3 as varchar) as quarter,
    period,
    period_date,
    scope_code,
    prefecture_code,
    peer_group,
    unit_code,
    unit_name,
    in_league,
    indicator,
    metric,
    measure,
    indicator_value,
    cast(weight as double) as weight,
    cast(list_size as integer) as list_size,
    cast(
        case
            when not in_league then null
            when indicator_value is null then 0
            when group_max = group_min then 100
            else round(100 * (indicator_value - group_min) / (group_max - group_min), 4)
        end as double
    ) as normalised_score
from ranged
where {{ in_period_window() }}
