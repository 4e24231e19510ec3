-- Industry chains per scheme (KM2022 4+4+1, KM2023 8+N), with 链长 and lead department.
select
    md5(concat_ws('|', scheme, chain_code)) as chain_key,
    scheme,
    chain_code,
    chain_name,
    leader,
    lead_department,
    valid_from,
    valid_to,
    coalesce(valid_to >= current_date, true) as is_current
from {{ ref('stg_reference__chains') }}
