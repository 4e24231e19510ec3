-- Grain: one row per project x reporting unit x month, from the current form A of that
-- unit and month; a column pair per form A metric of the metrics seed (macro
-- form_a_metrics), in the metric's canonical unit. Parks' forms are not
-- added again: their projects are already in the host unit's form.
--
-- By period (the folder's config, macros/period_window.sql): a run replaces the periods from
-- ZS_DBT_PERIOD_FROM on and leaves the earlier ones alone; the first build and --full-refresh
-- build every period.

-- The dimensions the relationship tests check against, so that the tests run in this
-- model's Dagster step (dbt indirect selection "buildable"):
-- depends_on: {{ ref('dim_date') }}, {{ ref('dim_chain') }}, {{ ref('dim_park') }}

with figures as (
    select * from {{ ref('int_capital_arrivals_chained') }}
    where {{ in_period_window() }}
),

-- one row per form A row: the long figures side by side, one column pair per metric
arrivals as (
    select
        submission_id,
        source_file,
        source_row_number,
        period,
        unit_code,
        project_code,
        {%- for metric in form_a_metrics() %}
            max(month_value) filter (metric = '{{ metric }}') as {{ metric }}_month,
            max(ytd_value) filter (metric = '{{ metric }}') as {{ metric }}_ytd
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from figures
    group by submission_id, source_file, source_row_number, period, unit_code, project_code
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
    {%- for metric in form_a_metrics() %}
        {%- for measure in ['month', 'ytd'] %}
            cast(arrivals.{{ metric }}_{{ measure }} as decimal(24, 8)) as {{ metric }}_{{ measure }},
        {%- endfor %}
    {%- endfor %}
    arrivals.submission_id,
    arrivals.source_file,
    arrivals.source_row_number,
    cast('{{ run_started_at }}' as timestamp) as built_at  -- dbt's run start, UTC
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
