-- Parks, each inside one host reporting unit that also counts its projects.
select
    md5(concat_ws('|', unit_code, valid_from)) as park_key,
    unit_code as park_code,
    unit_name as park_name,
    host_unit_code,
    valid_from,
    valid_to,
    coalesce(valid_to >= current_date, true) as is_current
from {{ ref('stg_reference__units') }}
where unit_type = 'park'
