-- Each reporting unit's current form A figure that is not zero, with its project's investor
-- origin (the current register) and where that origin lies seen from the unit's prefecture
-- (the glossary's 来源地口径): abroad (港澳台 or another country), out_of_province,
-- other_prefecture (the province, another prefecture), same_prefecture (市内县际间); null when
-- the origin resolved to no place, or only to the unit's own province (then it cannot say
-- 省内市外 from 市内). R17 checks the category against it, R18 names the nulls. Parks' forms
-- are left out: their projects are in their host's form. Ephemeral: read by the two rules.
{{ config(materialized='ephemeral', tags=['monthly']) }}

with figures as (
    select
        period,
        unit_code,
        project_code,
        metric,
        ytd_value,
        source_file,
        source_row_number
    from {{ ref('int_arrival_figures_chained') }}
    where ytd_value <> 0
),

homes as (
    select
        unit_code,
        prefecture_code,
        province_code,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_district') }}
    where is_reporting_unit
)

select
    f.period,
    f.unit_code,
    f.project_code,
    f.metric,
    f.ytd_value,
    f.source_file,
    f.source_row_number,
    p.investor_origin,
    o.country_code,
    o.province_code,
    o.prefecture_code,
    case
        when o.country_code is null then null
        when o.country_code <> 'CN' then 'abroad'
        when o.province_code <> h.province_code then 'out_of_province'
        when o.prefecture_code is null then null
        when o.prefecture_code <> h.prefecture_code then 'other_prefecture'
        else 'same_prefecture'
    end as origin_class
from figures as f
inner join homes as h
    on
        f.unit_code = h.unit_code
        and cast(f.period || '-01' as date) between h.valid_from and h.valid_to
inner join {{ ref('int_projects_versioned') }} as p on f.project_code = p.project_code
left join {{ ref('stg_reference__origins') }} as o on p.investor_origin = o.origin
