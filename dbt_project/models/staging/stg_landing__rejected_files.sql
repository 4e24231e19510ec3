-- Files the loader set aside, with the reason and what it expected instead.
select
    submission_id,
    source_file,
    file_sha256,
    reason,
    detail,
    expected,
    loaded_at,
    period,
    unit_code
from {{ source('landing', 'rejected_files') }}
