-- Form A in long form: one row per row x metric x measure (本月 month, 1-N月累计 ytd) of
-- every version received, with the text as typed, the unit its column declares, and the
-- value in the metric's canonical unit (亿元, 万美元). The one place where form A's wide
-- landing rows are reshaped; everything that needs per-metric figures reads this.
-- A form without a metric's columns has no cells of it.
-- value is null when the text is not a number or the declared unit does not convert to
-- the metric's unit (int_form_cells_parsed says which, R01 reports it).
-- A table built by month, unlike the other staging models (dbt_project.yml): four models
-- and the data tests read it, and parsing every cell once (3.4 million at a province's
-- scale) is the cost worth paying once; a run parses the months it replaces.

with rows as (
    select * from {{ source('forms', 'form_a_rows') }}
),

versions as (
    select * from {{ ref('stg_forms__submission_versions') }}
    where {{ in_period_window() }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

-- unnest in the select list: one row becomes its six cells without a join back to the row
cells as (
    select
        rows.submission_id,
        rows.source_file,
        rows.sheet,
        rows.row_number as source_row_number,
        versions.period,
        cast(left(versions.period, 4) as integer) as report_year,
        versions.unit_code,
        versions.is_current as is_current_submission,
        rows.project_code,
        unnest([
            {%- for metric in form_a_metrics() %}
                {%- set last_metric = loop.last %}
                {%- for measure in ['month', 'ytd'] %}
                    struct_pack(
                        metric := '{{ metric }}',
                        measure := '{{ measure }}',
                        raw_value := rows.{{ metric }}_{{ measure }},
                        declared_unit := rows.{{ metric }}_{{ measure }}_unit
                    ){% if not (loop.last and last_metric) %},{% endif %}
                {%- endfor %}
            {%- endfor %}
        ]) as cell
    from rows
    inner join versions on rows.submission_id = versions.submission_id
),

parsed as (
    select
        cells.* exclude (cell),  -- noqa: RF02
        cells.cell.metric,
        cells.cell.measure,
        cells.cell.metric || '_' || cells.cell.measure as column_name,
        cells.cell.raw_value,
        cells.cell.declared_unit,
        metrics.canonical_unit,
        {{ parse_number('cells.cell.raw_value') }} as parsed_value
    from cells
    inner join metrics on cells.cell.metric = metrics.metric
    -- only the columns the form has: landing gives each a declared unit (its own, the
    -- table's or the metric's default), so a metric the form lacks (one added to the seed
    -- after the form was made) has no cells here, rather than cells that are not numbers
    where cells.cell.declared_unit is not null
)

-- the factor of the declared unit into the metric's canonical unit (macro unit_factor's
-- lookup as a join: null for an unknown unit or another currency)
select
    parsed.*,
    cast(parsed.parsed_value * units.factor as decimal(24, 8)) as value
from parsed
left join {{ ref('units_of_measure') }} as units
    on parsed.declared_unit = units.declared_unit and parsed.canonical_unit = units.canonical_unit
