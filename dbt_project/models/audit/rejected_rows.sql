-- Cells of the current submissions that cannot be accepted (rule R01 reports them too):
-- file, sheet, row and column as a clerk finds them in Excel, the value, what is wrong and
-- what was expected (texts from the cell_problems seed, via int_form_cells_parsed).
-- (built in the monthly step: it reads a model built by month)
{{ config(tags=['monthly']) }}

select
    source_file,
    sheet,
    source_row_number as row_number,
    column_letter,
    {{ safe_text('coalesce(header_label, column_name)') }} as column_label,
    {{ safe_text('raw_value') }} as value,
    problem as reason,
    {{ safe_text('reason') }} as detail,
    expected,
    period,
    unit_code
from {{ ref('int_form_cells_parsed') }}
where problem is not null
