-- Every landed file version; a version is current until a newer one at the same path lands.
select
    submission_id,
    source_file,
    file_sha256,
    size_bytes,
    kind,
    period,
    folder_name,
    unit_code,
    sheet,
    filled_date,
    row_count,
    loaded_at,
    superseded_at,
    superseded_at is null as is_current_version
from {{ source('landing', 'files') }}
