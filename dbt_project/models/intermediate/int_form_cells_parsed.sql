-- Every value cell of the current form A and form S files, as typed and as read, with
-- what is wrong with it if anything, in the clerk's words: the one place that decides
-- whether a cell is acceptable (rule R01 and audit.rejected_rows report these). Built by
-- month (dbt_project.yml).
with a_cells as (
    select
        submission_id,
        source_file,
        sheet,
        source_row_number,
        period,
        unit_code,
        'form_a' as form,
        project_code as row_label,
        metric,
        column_name,
        raw_value,
        declared_unit,
        canonical_unit,
        parsed_value,
        true as is_amount
    from {{ ref('stg_forms__arrival_cells') }}
    where is_current_submission and {{ in_period_window() }}
),

a_codes as (
    select
        submission_id,
        source_file,
        sheet,
        source_row_number,
        period,
        unit_code,
        'form_a' as form,
        project_code as row_label,
        null as metric,
        'project_code' as column_name,
        project_code as raw_value,
        null as declared_unit,
        null as canonical_unit,
        null as parsed_value,
        false as is_amount
    from {{ ref('stg_forms__arrival_rows') }}
    where is_current_submission and {{ in_period_window() }}
),

s_rows as (
    select * from {{ ref('stg_forms__summary_indicators') }}
    where is_current_submission and {{ in_period_window() }}
),

s_cells as (
    select
        s_rows.submission_id,
        s_rows.source_file,
        s_rows.sheet,
        s_rows.source_row_number,
        s_rows.period,
        s_rows.unit_code,
        'form_s' as form,
        s_rows.indicator as row_label,
        s_rows.metric,
        u.cell.column_name,
        u.cell.raw_value,
        u.cell.declared_unit,
        s_rows.canonical_unit,
        {{ parse_number('u.cell.raw_value') }} as parsed_value,
        u.cell.is_amount
    from s_rows
    cross join unnest([
        struct_pack(column_name := 'indicator', raw_value := case when s_rows.metric is not null then s_rows.indicator end, declared_unit := null, is_amount := false),
        struct_pack(column_name := 'month', raw_value := s_rows.month_text, declared_unit := s_rows.declared_unit, is_amount := true),
        struct_pack(column_name := 'ytd', raw_value := s_rows.ytd_text, declared_unit := s_rows.declared_unit, is_amount := true)
    ]) as u (cell)
),

cells as (
    select * from a_cells
    union all
    select * from a_codes
    union all
    select * from s_cells
),

units as (
    select
        declared_unit,
        canonical_unit
    from {{ ref('units_of_measure') }}
),

currencies as (
    select
        canonical_unit,
        string_agg(declared_unit, '、' order by factor) as declared_units
    from {{ ref('units_of_measure') }}
    group by canonical_unit
),

judged as (
    select
        cells.*,
        case
            when not cells.is_amount and cells.raw_value is null
                then case cells.column_name when 'indicator' then 'unknown_indicator' else 'missing_value' end
            when not cells.is_amount then null
            when cells.parsed_value is null and {{ is_percent_text('cells.raw_value') }} then 'percent_in_amount'
            when cells.parsed_value is null then 'not_a_number'
            when cells.parsed_value < 0 then 'negative'
            when cells.declared_unit is not null and units.declared_unit is null then 'unknown_unit'
            when cells.declared_unit is not null and units.canonical_unit <> cells.canonical_unit
                then 'wrong_currency'
        end as problem
    from cells
    left join units on cells.declared_unit = units.declared_unit
),

labelled as (
    select
        judged.*,
        metrics.metric_label,
        currencies.declared_units as expected_units,
        problems.reason as reason_template,
        problems.expected as expected_template
    from judged
    left join {{ ref('cell_problems') }} as problems on judged.problem = problems.problem
    left join {{ ref('metrics') }} as metrics on judged.metric = metrics.metric
    left join currencies on judged.canonical_unit = currencies.canonical_unit
)

select
    labelled.submission_id,
    labelled.source_file,
    labelled.sheet,
    labelled.source_row_number,
    labelled.period,
    labelled.unit_code,
    labelled.form,
    labelled.row_label,
    labelled.column_name,
    columns.header_label,
    columns.column_letter,
    labelled.raw_value,
    labelled.declared_unit,
    labelled.parsed_value,
    labelled.problem,
    {{ fill_cell_text('labelled.reason_template') }} as reason,
    {{ fill_cell_text('labelled.expected_template') }} as expected
from labelled
left join {{ ref('stg_landing__file_columns') }} as columns
    on labelled.submission_id = columns.submission_id and labelled.column_name = columns.column_name
