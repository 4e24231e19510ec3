-- Current form A rows of reporting units (counties and zones; parks are not added again),
-- with the month amount derived from YTD: YTD is authoritative, month = YTD(m) - YTD(m-1)
-- within the same project, unit and year; January (or a project's first month) = YTD.
-- 先进库、后有数: money counts only for projects in the register; rule R07 reports the rest.
-- A row with a cell that cannot be read is set aside whole; R01 and audit.rejected_rows name it.
-- A view, so that the fact's incremental filter on report_year reaches the source rows.
{{ config(materialized='view') }}

with registered as (
    select distinct project_code from {{ ref('stg_register__projects') }}
),

-- rows with a cell that cannot be read are set aside (audit.rejected_rows, rule R01)
set_aside as (
    select distinct
        submission_id,
        source_row_number
    from {{ ref('int_form_cells_parsed') }}
    where form = 'form_a' and problem is not null
),

arrivals as (
    select arrivals.*
    from {{ ref('stg_forms__capital_arrivals') }} as arrivals
    inner join {{ ref('stg_reference__units') }} as units
        on arrivals.unit_code = units.unit_code
    inner join registered on arrivals.project_code = registered.project_code
    left join set_aside
        on
            arrivals.submission_id = set_aside.submission_id
            and arrivals.source_row_number = set_aside.source_row_number
    where
        arrivals.is_current_submission
        and units.is_reporting_unit
        and set_aside.submission_id is null
)

select
    submission_id,
    source_file,
    source_row_number,
    period,
    report_year,
    unit_code,
    project_code,
    arrived_out_of_province_ytd,
    arrived_out_of_province_ytd
    - coalesce(lag(arrived_out_of_province_ytd) over chain, 0) as arrived_out_of_province_month,
    arrived_in_province_ytd,
    arrived_in_province_ytd
    - coalesce(lag(arrived_in_province_ytd) over chain, 0) as arrived_in_province_month,
    fdi_utilized_ytd,
    fdi_utilized_ytd - coalesce(lag(fdi_utilized_ytd) over chain, 0) as fdi_utilized_month,
    arrived_out_of_province_month_reported,
    arrived_in_province_month_reported,
    fdi_utilized_month_reported
from arrivals
window chain as (partition by project_code, unit_code, report_year order by period)
