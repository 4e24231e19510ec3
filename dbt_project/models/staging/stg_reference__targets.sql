with current_rows as (
    select t.*
    from {{ source('reference', 'ref_targets') }} as t
    inner join {{ ref('stg_landing__files') }} as f
        on t.submission_id = f.submission_id
    where f.is_current_version
)

select
    cast(year as integer) as target_year,
    unit_code,
    metric,
    cast(annual_target as decimal(24, 8)) as annual_target
from current_rows
