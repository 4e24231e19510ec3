-- Form A rows of every version received: the row's project and remark with its lineage.
-- The figures of the row are in stg_forms__arrival_cells.
with rows as (
    select * from {{ source('forms', 'form_a_rows') }}
),

versions as (
    select * from {{ ref('stg_forms__submission_versions') }}
)

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
    rows.project_name,
    rows.remark
from rows
inner join versions on rows.submission_id = versions.submission_id
