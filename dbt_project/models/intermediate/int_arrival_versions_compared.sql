-- Each version of a unit's form A against the version before it, per project and metric:
-- what a revision (修订) changed. Only projects and metrics whose YTD differs are kept.
-- (built in the monthly step: it reads a model built by month)
{{ config(tags=['monthly']) }}

with versions as (
    select * from {{ ref('stg_forms__submission_versions') }}
    where form = 'form_a' and version_count > 1
),

rows as (
    select
        v.period,
        v.unit_code,
        v.version_number,
        v.version_count,
        v.source_file,
        v.filled_date,
        c.project_code,
        c.metric,
        c.value as ytd_value
    from versions as v
    inner join {{ ref('stg_forms__arrival_cells') }} as c on v.submission_id = c.submission_id
    where c.measure = 'ytd'
)

-- each version's rows against the version before it (version 1 has none before it, and
-- the last version none after it, so those unmatched sides are not changes)
select
    coalesce(n.period, o.period) as period,
    coalesce(n.unit_code, o.unit_code) as unit_code,
    coalesce(n.project_code, o.project_code) as project_code,
    coalesce(n.metric, o.metric) as metric,
    coalesce(n.version_number - 1, o.version_number) as version_from,
    coalesce(n.version_number, o.version_number + 1) as version_to,
    coalesce(o.source_file, prev.source_file) as source_file_from,
    coalesce(n.source_file, next.source_file) as source_file_to,
    coalesce(o.filled_date, prev.filled_date) as filled_date_from,
    coalesce(n.filled_date, next.filled_date) as filled_date_to,
    o.ytd_value as ytd_from,
    n.ytd_value as ytd_to
from rows as n
full outer join rows as o
    on
        n.period = o.period
        and n.unit_code = o.unit_code
        and n.version_number = o.version_number + 1
        and n.project_code = o.project_code
        and n.metric = o.metric
-- the file on the other side of a project that was added or dropped
left join versions as prev
    on n.period = prev.period and n.unit_code = prev.unit_code and n.version_number = prev.version_number + 1
left join versions as next
    on o.period = next.period and o.unit_code = next.unit_code and o.version_number + 1 = next.version_number
where
    coalesce(n.version_number, 2) > 1
    and coalesce(o.version_number < o.version_count, true)
    and coalesce(n.ytd_value, 0) <> coalesce(o.ytd_value, 0)
