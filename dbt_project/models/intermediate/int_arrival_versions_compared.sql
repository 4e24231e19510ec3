-- Each version of a unit's form A against the version before it, per project and metric:
-- what a revision (修订) changed. Only projects and metrics whose YTD differs are kept.
with versions as (
    select * from {{ ref('stg_forms__submission_versions') }}
    where form = 'form_a' and version_count > 1
),

rows as (
    select
        v.period,
        v.unit_code,
        v.version_number,
        v.source_file,
        v.filled_date,
        r.project_code,
        u.cell.metric,
        {{ to_canonical('u.cell.raw_value', 'u.cell.declared_unit') }} as ytd_value
    from versions as v
    inner join {{ source('forms', 'form_a_rows') }} as r on v.submission_id = r.submission_id
    cross join unnest([
        struct_pack(metric := 'arrived_out_of_province', raw_value := r.arrived_out_of_province_ytd, declared_unit := r.arrived_out_of_province_ytd_unit),
        struct_pack(metric := 'arrived_in_province', raw_value := r.arrived_in_province_ytd, declared_unit := r.arrived_in_province_ytd_unit),
        struct_pack(metric := 'fdi_utilized', raw_value := r.fdi_utilized_ytd, declared_unit := r.fdi_utilized_ytd_unit)
    ]) as u (cell)
),

pairs as (
    select
        v.period,
        v.unit_code,
        v.version_number,
        v.source_file,
        v.filled_date,
        p.source_file as previous_source_file,
        p.filled_date as previous_filled_date
    from versions as v
    inner join versions as p
        on
            v.period = p.period
            and v.unit_code = p.unit_code
            and v.version_number = p.version_number + 1
),

new_side as (
    select
        pairs.*,
        rows.project_code,
        rows.metric,
        rows.ytd_value
    from pairs
    inner join rows
        on
            pairs.period = rows.period
            and pairs.unit_code = rows.unit_code
            and pairs.version_number = rows.version_number
),

old_side as (
    select
        pairs.*,
        rows.project_code,
        rows.metric,
        rows.ytd_value
    from pairs
    inner join rows
        on
            pairs.period = rows.period
            and pairs.unit_code = rows.unit_code
            and pairs.version_number - 1 = rows.version_number
)

select
    coalesce(n.period, o.period) as period,
    coalesce(n.unit_code, o.unit_code) as unit_code,
    coalesce(n.project_code, o.project_code) as project_code,
    coalesce(n.metric, o.metric) as metric,
    coalesce(n.version_number, o.version_number) - 1 as version_from,
    coalesce(n.version_number, o.version_number) as version_to,
    coalesce(n.previous_source_file, o.previous_source_file) as source_file_from,
    coalesce(n.source_file, o.source_file) as source_file_to,
    coalesce(n.previous_filled_date, o.previous_filled_date) as filled_date_from,
    coalesce(n.filled_date, o.filled_date) as filled_date_to,
    o.ytd_value as ytd_from,
    n.ytd_value as ytd_to
from new_side as n
full outer join old_side as o
    on
        n.period = o.period
        and n.unit_code = o.unit_code
        and n.version_number = o.version_number
        and n.project_code = o.project_code
        and n.metric = o.metric
where coalesce(n.ytd_value, 0) <> coalesce(o.ytd_value, 0)
