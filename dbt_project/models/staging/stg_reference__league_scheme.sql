-- The 赛马榜 scoring scheme (reference/league_scheme.csv, optional): per peer group (or * for
-- every group not named), the indicators with their weights and the size of the 红榜/黑榜.
-- Without the file, the glossary's default: arrived_out_of_province.completion_rate_pct,
-- weight 1, lists of 3, for every group.
with current_rows as (
    {{ current_rows(source('reference', 'ref_league_scheme')) }}
),

given as (
    select
        trim(peer_group) as peer_group,
        trim(indicator) as indicator,
        cast(weight as double) as weight,
        cast(list_size as integer) as list_size
    from current_rows
),

default_scheme as (
    select
        '*' as peer_group,
        'arrived_out_of_province.completion_rate_pct' as indicator,
        1.0 as weight,
        3 as list_size
    where not exists (select 1 from given)
)

select
    peer_group,
    indicator,
    split_part(indicator, '.', 1) as metric,
    split_part(indicator, '.', 2) as measure,
    weight,
    list_size
from (
    select * from given
    union all
    select * from default_scheme
) as scheme
