-- Province -> prefecture -> reporting unit (county or zone), with validity dates.
with units as (
    select * from {{ ref('stg_reference__units') }}
    where unit_type in ('province', 'prefecture', 'county', 'zone')
)

select
    md5(concat_ws('|', units.unit_code, units.valid_from)) as district_key,
    units.unit_code,
    units.unit_name,
    units.unit_type,
    units.peer_group,
    units.parent_code,
    case
        when units.unit_type = 'prefecture' then units.unit_code
        when units.unit_type in ('county', 'zone') then units.parent_code
    end as prefecture_code,
    case
        when units.unit_type = 'province' then units.unit_code
        when units.unit_type = 'prefecture' then units.parent_code
        else parents.parent_code
    end as province_code,
    units.is_reporting_unit,
    units.in_league,
    units.valid_from,
    units.valid_to,
    coalesce(units.valid_to >= current_date, true) as is_current
from units
left join units as parents on units.parent_code = parents.unit_code
