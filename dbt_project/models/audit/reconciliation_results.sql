-- audit.reconciliation_results: every failing row of every rule of the catalogue in full,
-- with the rule's id and severity from its meta, and for a failed total (R12, R13) the
-- culprit int_culprits_ranked names; passing checks of units and totals in full too;
-- passing project-level checks counted per rule × period × unit × scope (column checks: a
-- province passes millions of them, which would otherwise be most of the warehouse). A
-- group of one keeps its own row. Each rule is computed once, in
-- its own model; Great Expectations validates those relations and the runner checks that
-- its failing counts are the ones here. Built by month like the rules: a run writes the
-- periods it checked, with its run id; earlier periods keep the run that checked them.

{%- set rule_models = rule_models() %}

-- not materialized: the two halves below read the rule tables each for their own rows (a
-- copy of every check spilled to disk under the memory bound)
with results as not materialized (
    {%- for model in rule_models %}
        {%- set meta = rule_meta(model) %}
        select
            '{{ meta.get("rule_id", "") }}' as rule_id,
            '{{ meta.get("severity", "") }}' as severity,
            *
        from {{ ref(model) }}
        where {{ in_period_window() }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

culprits as (
    select * from {{ ref('int_culprits_ranked') }}
),

checked as not materialized (
    select
        {{ audit_run_id() }} as run_id,
        cast('{{ run_started_at }}' as timestamp) as checked_at,
        r.rule_id,
        r.severity,
        case when r.is_failure then 'fail' else 'pass' end as status,
        r.period,
        r.unit_code,
        r.project_code,
        r.scope_code,
        r.metric,
        r.expected_value,
        r.actual_value,
        cast(r.actual_value - r.expected_value as decimal(24, 8)) as difference,
        case when r.is_failure then coalesce(c.suspect_unit_code, r.suspect_unit_code) end as suspect_unit_code,
        case when r.is_failure then coalesce(c.suspect_cause, r.suspect_cause) end as suspect_cause,
        case when r.is_failure then r.cause_period end as cause_period,
        case
            when c.ranking is not null then r.detail || '。最可能的原因：' || c.ranking
            else r.detail
        end as detail,
        r.source_file,
        cast(1 as integer) as checks
    from results as r
    left join culprits as c
        on
            r.is_failure
            and r.rule_id = c.rule_id
            and r.period = c.period
            and r.scope_code = c.scope_code
            and r.metric = c.metric
)

select
    run_id,
    checked_at,
    rule_id,
    severity,
    status,
    period,
    unit_code,
    project_code,
    scope_code,
    metric,
    expected_value,
    actual_value,
    difference,
    suspect_unit_code,
    suspect_cause,
    cause_period,
    detail,
    source_file,
    checks
from checked
where status = 'fail' or project_code is null

union all

select
    run_id,
    checked_at,
    rule_id,
    severity,
    status,
    period,
    unit_code,
    case when count(*) = 1 then any_value(project_code) end as project_code,
    scope_code,
    case when count(*) = 1 then any_value(metric) end as metric,
    case when count(*) = 1 then any_value(expected_value) end as expected_value,
    case when count(*) = 1 then any_value(actual_value) end as actual_value,
    case when count(*) = 1 then any_value(difference) end as difference,
    null as suspect_unit_code,
    null as suspect_cause,
    null as cause_period,
    case
        when count(*) = 1 then any_value(detail)
        else '已核对 ' || count(*) || ' 个项目，均通过'
    end as detail,
    case when count(*) = 1 then any_value(source_file) end as source_file,
    cast(count(*) as integer) as checks
from checked
where status = 'pass' and project_code is not null
group by run_id, checked_at, rule_id, severity, status, period, unit_code, scope_code
