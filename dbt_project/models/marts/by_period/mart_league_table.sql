-- 赛马榜: per quarter (as of its last month, YTD) and unit, the composite score of the
-- scheme's indicators (mart_league_scores), Σ weight × score / Σ weight rounded to two
-- decimals; the standard competition rank in the group (ties share: 1, 2, 2, 4); the 红榜
-- (rank ≤ list size) and the 黑榜 (rank from the bottom ≤ list size, not on the 红榜), the
-- list size being half the group when the group has fewer than twice as many units (a
-- group of one has no lists); and the rank a quarter before. A unit out of the league is
-- listed, not ranked, and on neither list.

with scores as (
    select * from {{ ref('mart_league_scores') }}
),

-- the 利益分成 scheme's bonus: each of the two units of a move, in the move's year
bonuses as (
    select
        unit_code,
        move_year,
        sum(league_bonus_points) as bonus_points
    from (
        select
            from_unit_code as unit_code,
            move_year,
            league_bonus_points
        from {{ ref('int_project_credit_shares') }}
        union all
        select
            to_unit_code as unit_code,
            move_year,
            league_bonus_points
        from {{ ref('int_project_credit_shares') }}
    ) as moves
    group by unit_code, move_year
),

weighted as (
    select
        quarter,
        period,
        period_date,
        scope_code,
        prefecture_code,
        peer_group,
        unit_code,
        unit_name,
        in_league,
        max(list_size) as list_size,
        case
            when in_league then round(sum(weight * normalised_score) / nullif(sum(weight), 0), 2)
        end as composite_score
    from scores
    group by quarter, period, period_date, scope_code, prefecture_code, peer_group, unit_code, unit_name, in_league
),

composite as (
    select
        w.quarter,
        w.period,
        w.period_date,
        w.scope_code,
        w.prefecture_code,
        w.peer_group,
        w.unit_code,
        w.unit_name,
        w.in_league,
        w.list_size,
        case when w.in_league then coalesce(b.bonus_points, 0) end as bonus_points,
        w.composite_score + coalesce(b.bonus_points, 0) as composite_score
    from weighted as w
    left join bonuses as b
        on w.unit_code = b.unit_code and cast(left(w.period, 4) as integer) = b.move_year
),

ranked as (
    select
        *,
        case
            when in_league
                then rank() over (partition by period, scope_code, peer_group, in_league order by composite_score desc)
        end as league_rank,
        case
            when in_league
                then rank() over (partition by period, scope_code, peer_group, in_league order by composite_score asc)
        end as bottom_rank,
        count(*) filter (in_league) over (partition by period, scope_code, peer_group) as units_in_group
    from composite
),

listed as (
    select
        *,
        case
            when units_in_group < 2 then 0
            when units_in_group < 2 * list_size then floor(units_in_group / 2)
            else list_size
        end as lists_of
    from ranked
)

select
    cur.quarter,
    cur.period,
    cur.period_date,
    cur.scope_code,
    cur.prefecture_code,
    cur.peer_group,
    cur.unit_code,
    cur.unit_name,
    cur.in_league,
    cast(cur.composite_score as double) as composite_score,
    cast(cur.bonus_points as double) as bonus_points,
    cast(cur.league_rank as integer) as league_rank,
    cast(cur.units_in_group as integer) as units_in_group,
    coalesce(cur.league_rank <= cur.lists_of, false) as is_red_list,
    coalesce(cur.bottom_rank <= cur.lists_of and not cur.league_rank <= cur.lists_of, false) as is_black_list,
    cast(prev.league_rank as integer) as previous_rank,
    cast(prev.league_rank - cur.league_rank as integer) as rank_change
from listed as cur
left join listed as prev
    on
        cur.unit_code = prev.unit_code
        and cur.scope_code = prev.scope_code
        and cur.peer_group = prev.peer_group
        and prev.period = strftime(cur.period_date - interval 3 month, '%Y-%m')
where {{ in_period_window('cur.period') }}
