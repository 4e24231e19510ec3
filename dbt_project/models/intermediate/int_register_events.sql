-- The project register's milestones as dated events, one row per project and register
-- metric (seed metrics, source = register): the date it counts on and what it counts (1,
-- or the agreed amount). The bulletin and the chain mart add these up per month.
with projects as (
    select * from {{ ref('int_projects_versioned') }}
),

events as (
    select
        project_code,
        reporting_unit_code,
        u.event.metric,
        u.event.event_date,
        u.event.value
    from projects
    cross join unnest([
        struct_pack(metric := 'projects_signed', event_date := signed_date, value := 1.0),
        struct_pack(metric := 'agreed_amount_signed', event_date := signed_date, value := agreed_amount_yi_yuan),
        struct_pack(metric := 'projects_started', event_date := started_date, value := 1.0),
        struct_pack(metric := 'projects_in_production', event_date := production_date, value := 1.0),
        struct_pack(
            metric := 'major_projects_signed',
            event_date := case
                when agreed_amount_yi_yuan >= 10 and left(industry_code, 2) <> '70' then signed_date
            end,
            value := 1.0
        ),
        struct_pack(
            metric := 'top500_enterprises',
            event_date := case when nullif(top500_category, '') is not null then signed_date end,
            value := 1.0
        )
    ]) as u (event)
)

select
    events.project_code,
    events.reporting_unit_code,
    events.metric,
    events.event_date,
    cast(events.value as decimal(24, 8)) as value
from events
inner join {{ ref('metrics') }} as metrics on events.metric = metrics.metric
where events.event_date is not null and metrics.source = 'register'
