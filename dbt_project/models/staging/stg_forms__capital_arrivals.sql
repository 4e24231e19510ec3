-- Form A rows, typed and in canonical units (亿元, 万美元), with the submission they came from.
with rows as (
    select * from {{ source('forms', 'form_a_rows') }}
),

submissions as (
    select * from {{ ref('stg_forms__submissions') }}
)

select
    rows.submission_id,
    rows.source_file,
    rows.sheet,
    rows.row_number as source_row_number,
    submissions.period,
    cast(left(submissions.period, 4) as integer) as report_year,
    submissions.unit_code,
    submissions.is_current as is_current_submission,
    rows.project_code,
    rows.project_name,
    {{ to_canonical('rows.arrived_out_of_province_month', 'rows.arrived_out_of_province_month_unit') }}
        as arrived_out_of_province_month_reported,
    {{ to_canonical('rows.arrived_out_of_province_ytd', 'rows.arrived_out_of_province_ytd_unit') }}
        as arrived_out_of_province_ytd,
    {{ to_canonical('rows.arrived_in_province_month', 'rows.arrived_in_province_month_unit') }}
        as arrived_in_province_month_reported,
    {{ to_canonical('rows.arrived_in_province_ytd', 'rows.arrived_in_province_ytd_unit') }}
        as arrived_in_province_ytd,
    {{ to_canonical('rows.fdi_utilized_month', 'rows.fdi_utilized_month_unit') }}
        as fdi_utilized_month_reported,
    {{ to_canonical('rows.fdi_utilized_ytd', 'rows.fdi_utilized_ytd_unit') }}
        as fdi_utilized_ytd,
    rows.remark
from rows
inner join submissions on rows.submission_id = submissions.submission_id
