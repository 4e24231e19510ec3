-- The figures the fact counts, in long form (one row per project x reporting unit x month x
-- metric): current form A rows of reporting units (counties and zones; parks are not added
-- again), with the month amount derived from YTD: YTD is authoritative, month = YTD(m) -
-- YTD(m-1) within the same project, unit, metric and year; January (or a project's first
-- month) = YTD. 先进库、后有数: money counts only for projects in the register; rule R07
-- reports the rest. A row with a cell that cannot be read is set aside whole; R01 and
-- audit.rejected_rows name it.
-- Built by month (dbt_project.yml): the fact, the bulletin, the funnel and the culprits read
-- it, each for other months, so the month amounts are derived once per run for the months
-- it replaces (they need the earlier months of the same year, read from the chained figures)
-- rather than over all history by every reader (a view cannot be filtered by month before
-- the derivation: a month's amount looks back at the months before it).

with registered as (
    select distinct project_code from {{ ref('stg_register__projects') }}
),

set_aside as (
    select distinct
        submission_id,
        source_row_number
    from {{ ref('int_form_cells_parsed') }}
    where form = 'form_a' and problem is not null
),

figures as (
    select figures.*
    from {{ ref('int_arrival_figures_chained') }} as figures
    inner join {{ ref('stg_reference__units') }} as units
        on figures.unit_code = units.unit_code
    inner join registered on figures.project_code = registered.project_code
    left join set_aside
        on
            figures.submission_id = set_aside.submission_id
            and figures.source_row_number = set_aside.source_row_number
    where
        units.is_reporting_unit and set_aside.submission_id is null
        and {{ in_period_window('figures.period', whole_year=true) }}
)

select
    submission_id,
    source_file,
    source_row_number,
    period,
    report_year,
    unit_code,
    project_code,
    metric,
    ytd_value,
    ytd_value - coalesce(lag(ytd_value) over chain, 0) as month_value
from figures
window chain as (partition by project_code, unit_code, metric, report_year order by period)
-- after the look-back (a where clause would hide the earlier months from it)
qualify {{ in_period_window() }}
