-- One row per submitted form file. Of several files for the same unit, period and form
-- (a revision), the newest 填报日期 is current, then the later file name, then the later load.
select
    submission_id,
    source_file,
    file_sha256,
    period,
    unit_code,
    kind as form,
    filled_date,
    loaded_at,
    row_number() over (
        partition by period, unit_code, kind
        order by filled_date desc nulls last, source_file desc, loaded_at desc
    ) = 1 as is_current
from {{ ref('stg_landing__files') }}
where kind in ('form_a', 'form_s') and is_current_version
