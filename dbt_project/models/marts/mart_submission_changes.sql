-- What each revision (修订) of a unit's detail form changed, per project and metric.
-- (built in the monthly step: it reads a model built by month)
{{ config(tags=['monthly']) }}

select
    changes.period,
    changes.unit_code,
    units.unit_name,
    changes.project_code,
    changes.metric,
    m.metric_label,
    m.canonical_unit,
    cast(changes.version_from as integer) as version_from,
    cast(changes.version_to as integer) as version_to,
    changes.source_file_from,
    changes.source_file_to,
    changes.filled_date_from,
    changes.filled_date_to,
    cast(changes.ytd_from as decimal(24, 8)) as ytd_from,
    cast(changes.ytd_to as decimal(24, 8)) as ytd_to,
    cast(coalesce(changes.ytd_to, 0) - coalesce(changes.ytd_from, 0) as decimal(24, 8)) as ytd_change,
    case
        when changes.ytd_from is null then 'added'
        when changes.ytd_to is null then 'removed'
        else 'changed'
    end as change_kind
from {{ ref('int_arrival_versions_compared') }} as changes
left join {{ ref('stg_reference__units') }} as units on changes.unit_code = units.unit_code
left join {{ ref('metrics') }} as m on changes.metric = m.metric
