-- The latest reconciliation per period and unit, for BI. It lives in the audit schema (not
-- marts) because it must describe the latest run even when that run's marts were held back.
{{ config(tags=['monthly']) }}

with results as (
    select
        r.*,
        coalesce(r.unit_code, r.scope_code) as subject_code
    from {{ ref('reconciliation_results') }} as r
)

select
    results.period,
    results.subject_code as unit_code,
    any_value(units.unit_name) as unit_name,
    any_value(units.unit_type) as unit_type,
    count(distinct results.rule_id) as rules_run,
    count(distinct results.rule_id) filter (results.status = 'fail') as rules_failed,
    count(distinct results.rule_id) filter (
        results.status = 'fail' and results.severity = 'error'
    ) as error_rules_failed,
    count(*) filter (results.status = 'fail') as rows_failed,
    string_agg(distinct results.rule_id, ', ' order by results.rule_id) filter (results.status = 'fail')
        as failed_rules,
    string_agg(distinct results.suspect_unit_code, ', ' order by results.suspect_unit_code) filter (
        results.status = 'fail'
    ) as suspect_units,
    string_agg(distinct results.suspect_cause, ', ' order by results.suspect_cause) filter (
        results.status = 'fail'
    ) as suspect_causes,
    max(results.run_id) as run_id,
    max(results.checked_at) as checked_at
from results
left join {{ ref('stg_reference__units') }} as units on results.subject_code = units.unit_code
where results.subject_code is not null
group by results.period, results.subject_code
