with current_rows as (
    {{ current_rows(source('reference', 'ref_targets')) }}
)

select
    cast(year as integer) as target_year,
    unit_code,
    metric,
    cast(annual_target as decimal(24, 8)) as annual_target
from current_rows
