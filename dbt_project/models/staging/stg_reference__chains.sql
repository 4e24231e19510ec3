with current_rows as (
    select c.*
    from {{ source('reference', 'ref_chains') }} as c
    inner join {{ ref('stg_landing__files') }} as f
        on c.submission_id = f.submission_id
    where f.is_current_version
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
