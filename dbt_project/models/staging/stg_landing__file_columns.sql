-- For every landed form, each recognised column: its canonical name, the header as the
-- clerk wrote it, and its letter in the sheet (for messages that point at a cell).
select
    submission_id,
    column_name,
    header_label,
    column_letter
from {{ source('landing', 'file_columns') }}
