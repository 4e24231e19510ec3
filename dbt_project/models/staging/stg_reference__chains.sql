with current_rows as (
    {{ current_rows(source('reference', 'ref_chains')) }}
)

select
    scheme,
    chain_code,
    chain_name,
    chain_key,
    leader,
    lead_department,
    cast(valid_from as date) as valid_from,
    cast(nullif(valid_to, '') as date) as valid_to
from current_rows
