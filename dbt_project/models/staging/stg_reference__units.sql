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
    unit_type in ('county', 'zone') as is_reporting_unit
from current_rows
