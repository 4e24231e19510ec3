-- Files set aside by the loader, with the reason: what a clerk must resend.
select
    source_file,
    file_sha256,
    reason,
    {{ safe_text('detail') }} as detail,
    expected,
    loaded_at
from {{ ref('stg_landing__rejected_files') }}
