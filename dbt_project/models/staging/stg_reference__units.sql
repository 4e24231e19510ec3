with current_rows as (
    {{ current_rows(source('reference', 'ref_units')) }}
)

select
    unit_code,
    unit_name,
    unit_type,
    nullif(parent_code, '') as parent_code,
    nullif(host_unit_code, '') as host_unit_code,
    nullif(peer_group, '') as peer_group,
    cast(valid_from as date) as valid_from,
    cast(nullif(valid_to, '') as date) as valid_to,
    unit_type in ('county', 'zone') as is_reporting_unit,
    -- 赛马榜: a unit with in_league false is listed but not ranked (empty: ranked)
    coalesce(lower(trim(in_league)) not in ('false', 'no', '0', '否'), true) as in_league
from current_rows
