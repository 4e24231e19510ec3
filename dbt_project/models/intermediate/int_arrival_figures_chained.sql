-- Every current form A figure (reporting units and parks) in long form, one row per
-- project x unit x month x metric, next to the figures it must chain with: the previous
-- month's YTD (0 in January or when absent), whether the unit's previous form A came at all
-- (a month it never sent cannot be chained with) and the last earlier YTD of the same year.
-- The YTD-chain rules (R03, R04) and the history rules read this. Built by month
-- (dbt_project.yml): a month's chain needs only the earlier months of its year.
with cells as (
    select * from {{ ref('stg_forms__arrival_cells') }}
    where is_current_submission and project_code is not null and {{ in_period_window(whole_year=true) }}
),

forms_sent as (
    select distinct
        unit_code,
        period
    from {{ ref('stg_forms__submissions') }}
    where form = 'form_a'
),

revisions as (
    select
        submission_id,
        count(*) over (partition by period, unit_code, form) > 1 as is_revised
    from {{ ref('stg_forms__submissions') }}
),

figures as (
    select
        submission_id,
        source_file,
        source_row_number,
        period,
        report_year,
        unit_code,
        project_code,
        metric,
        max(value) filter (measure = 'month') as month_reported,
        max(value) filter (measure = 'ytd') as ytd_value,
        report_year * 12 + cast(right(period, 2) as integer) as month_index
    from cells
    group by submission_id, source_file, source_row_number, period, report_year, unit_code, project_code, metric
)

-- one ordering of each project's year serves the three look-backs: the month just before
-- (a frame of one month: no figure that month, no value) and the last earlier month
select
    figures.* exclude (month_index),  -- noqa: RF02
    coalesce(revisions.is_revised, false) as is_revised,
    coalesce(max(figures.ytd_value) over (series range between 1 preceding and 1 preceding), 0)
        as previous_month_ytd,
    right(figures.period, 2) = '01' or previous_form.period is not null as has_previous_month_form,
    lag(figures.ytd_value) over series as last_earlier_ytd,
    lag(figures.period) over series as last_earlier_period
from figures
left join forms_sent as previous_form
    on
        figures.unit_code = previous_form.unit_code
        and previous_form.period = strftime(cast(figures.period || '-01' as date) - interval 1 month, '%Y-%m')
left join revisions on figures.submission_id = revisions.submission_id
window
    series as (
        partition by figures.project_code, figures.unit_code, figures.metric, figures.report_year
        order by figures.month_index
    )
-- after the look-backs (a where clause would hide the earlier months from them)
qualify {{ in_period_window('figures.period') }}
