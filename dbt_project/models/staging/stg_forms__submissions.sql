-- One row per submitted form file still in force at its path. Of several files for the same
-- unit, period and form (a revision), the last version counts: newest 填报日期, then the
-- later file name, then the later load (the order is kept in stg_forms__submission_versions).
select
    submission_id,
    source_file,
    file_sha256,
    period,
    unit_code,
    form,
    filled_date,
    loaded_at,
    is_current
from {{ ref('stg_forms__submission_versions') }}
where superseded_at is null
