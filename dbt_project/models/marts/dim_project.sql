-- Projects as the current register describes them.
with projects as (
    select * from {{ ref('int_projects_versioned') }}
),

schemes as (
    select
        scheme,
        min(valid_from) as valid_from
    from {{ ref('stg_reference__chains') }}
    group by scheme
),

latest_chain as (
    select
        chains.project_code,
        chains.scheme,
        chains.chain_code
    from {{ ref('int_project_chains_mapped') }} as chains
    inner join schemes on chains.scheme = schemes.scheme
    qualify row_number() over (
        partition by chains.project_code order by schemes.valid_from desc
    ) = 1
)

select
    md5(projects.project_code) as project_key,
    projects.project_code,
    {{ safe_text('projects.project_name') }} as project_name,
    {{ safe_text('projects.investor') }} as investor,
    {{ safe_text('projects.investor_origin') }} as investor_origin,
    projects.top500_category,
    projects.top500_category is not null as is_top500,
    projects.industry_code,
    left(projects.industry_code, 2) = '70' as is_real_estate,
    coalesce(try_cast(left(projects.industry_code, 2) as integer) between 6 and 46, false)
        as is_industrial,
    coalesce(
        projects.agreed_amount_yi_yuan >= 10 and left(projects.industry_code, 2) <> '70', false
    ) as is_major,
    projects.agreed_amount_yi_yuan,
    projects.reporting_unit_code,
    projects.park_code,
    case
        when latest_chain.chain_code is not null
            then md5(concat_ws('|', latest_chain.scheme, latest_chain.chain_code))
    end as current_chain_key,
    projects.signed_date,
    projects.started_date,
    projects.production_date,
    projects.transferred_from_code,
    projects.transferred_date,
    projects.register_version_id
from projects
left join latest_chain on projects.project_code = latest_chain.project_code
