-- The current register entry of each project: the newest version (填报日期, then file).
select *
from {{ ref('stg_register__projects') }}
qualify row_number() over (
    partition by project_code
    order by register_filled_date desc nulls last, source_file desc
) = 1
