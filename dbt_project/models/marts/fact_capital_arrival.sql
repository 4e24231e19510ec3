-- Grain: one row per project x reporting unit x month, from the current form A of that
-- unit and month. Amounts in 亿元 (arrived_*) and 万美元 (fdi_*). Parks' forms are not
-- added again: their projects are already in the host unit's form.
--
-- Incremental by year: a run rebuilds only the years with files landed since the last
-- build (a month's YTD feeds the next month's derived amount, so the unit is the year),
-- and everything when reference data or the register changed. Periods are replaced whole.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period',
        on_schema_change='fail',
    )
}}

with landed as (
    -- when each file version last changed: landed, or superseded by another version
    select
        kind,
        period,
        greatest(loaded_at, coalesce(superseded_at, loaded_at)) as loaded_at
    from {{ ref('stg_landing__files') }}
),

{% if is_incremental() %}
    watermark as (
        select max(landed_through) as landed_through from {{ this }}
    ),

    changed_years as (
        select distinct cast(left(landed.period, 4) as integer) as report_year
        from landed
        cross join watermark
        where landed.kind = 'form_a' and landed.loaded_at > watermark.landed_through
    ),

    has_new_reference as (
        select count(*) > 0 as changed
        from landed
        cross join watermark
        where landed.kind in ('reference', 'register') and landed.loaded_at > watermark.landed_through
    ),
{% endif %}

arrivals as (
    select * from {{ ref('int_capital_arrivals_chained') }}
    {% if is_incremental() %}
        where
            report_year in (select changed_years.report_year from changed_years)
            or (select has_new_reference.changed from has_new_reference)
    {% endif %}
),

schemes as (
    select
        scheme,
        min(valid_from) as valid_from,
        max(coalesce(valid_to, date '9999-12-31')) as valid_to
    from {{ ref('stg_reference__chains') }}
    group by scheme
),

districts as (
    select * from {{ ref('dim_district') }}
),

projects as (
    select * from {{ ref('dim_project') }}
)

select
    md5(concat_ws('|', arrivals.project_code, arrivals.unit_code, arrivals.period))
        as capital_arrival_key,
    cast(replace(arrivals.period, '-', '') as integer) as date_key,
    districts.district_key,
    projects.project_key,
    case
        when chains.chain_code is not null
            then md5(concat_ws('|', chains.scheme, chains.chain_code))
    end as chain_key,
    case
        when parks.unit_code is not null then md5(concat_ws('|', parks.unit_code, parks.valid_from))
    end as park_key,
    arrivals.period,
    arrivals.unit_code,
    arrivals.project_code,
    chains.scheme as chain_scheme,
    cast(arrivals.arrived_out_of_province_month as decimal(24, 8)) as arrived_out_of_province_month,
    cast(arrivals.arrived_out_of_province_ytd as decimal(24, 8)) as arrived_out_of_province_ytd,
    cast(arrivals.arrived_in_province_month as decimal(24, 8)) as arrived_in_province_month,
    cast(arrivals.arrived_in_province_ytd as decimal(24, 8)) as arrived_in_province_ytd,
    cast(arrivals.fdi_utilized_month as decimal(24, 8)) as fdi_utilized_month,
    cast(arrivals.fdi_utilized_ytd as decimal(24, 8)) as fdi_utilized_ytd,
    arrivals.submission_id,
    arrivals.source_file,
    arrivals.source_row_number,
    (select max(landed.loaded_at) from landed) as landed_through
from arrivals
left join districts
    on
        arrivals.unit_code = districts.unit_code
        and last_day(cast(arrivals.period || '-01' as date))
        between districts.valid_from and coalesce(districts.valid_to, date '9999-12-31')
left join projects on arrivals.project_code = projects.project_code
left join schemes
    on cast(arrivals.period || '-01' as date) between schemes.valid_from and schemes.valid_to
left join {{ ref('int_project_chains_mapped') }} as chains
    on arrivals.project_code = chains.project_code and schemes.scheme = chains.scheme
left join {{ ref('stg_reference__units') }} as parks
    on projects.park_code = parks.unit_code
