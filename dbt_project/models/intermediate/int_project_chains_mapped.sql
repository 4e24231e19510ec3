-- Each project's chain in each scheme. A register version names chains in the scheme in
-- force when it was filled; per project and scheme the newest version that names one wins.
with versions as (
    select * from {{ ref('stg_register__projects') }}
),

chains as (
    select * from {{ ref('stg_reference__chains') }}
),

matched as (
    select
        versions.project_code,
        chains.scheme,
        chains.chain_code,
        versions.register_filled_date,
        versions.register_version_id
    from versions
    inner join chains
        on versions.chain_key = chains.chain_key or versions.chain_key = chains.chain_code
)

select
    project_code,
    scheme,
    chain_code
from matched
qualify row_number() over (
    partition by project_code, scheme
    order by register_filled_date desc nulls last, register_version_id desc
) = 1
