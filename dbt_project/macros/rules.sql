{#-
  Helpers of the rule models (models/rules/rNN_*.sql). Every rule ends with
  rule_result(cte): the rows of `cte` in the result contract every rule returns (one row
  per thing checked; is_failure says whether it failed), with the contract's types.
  cause_period is the earlier period a failure's cause lies in (the month before, when a
  YTD chain breaks because that month was typed in the wrong unit); a rule that can say so
  passes with_cause_period=true. A run keeps the rows of the periods it replaces (from its
  first month on: macros/period_window.sql); the earlier periods' rows stay in the table.
  audit.reconciliation_results is the union of these relations.
-#}
{% macro rule_result(relation, with_cause_period=false) -%}
select
    cast(period as varchar) as period,
    cast(unit_code as varchar) as unit_code,
    cast(project_code as varchar) as project_code,
    cast(scope_code as varchar) as scope_code,
    cast(metric as varchar) as metric,
    cast(expected_value as decimal(24, 8)) as expected_value,
    cast(actual_value as decimal(24, 8)) as actual_value,
    cast(is_failure as boolean) as is_failure,
    cast(suspect_unit_code as varchar) as suspect_unit_code,
    cast(suspect_cause as varchar) as suspect_cause,
    {% if with_cause_period %}cast(cause_period as varchar){% else %}cast(null as varchar){% endif %} as cause_period,
    cast(detail as varchar) as detail,
    cast(source_file as varchar) as source_file
from {{ relation }}
where {{ in_period_window() }}
{%- endmacro %}

{#- "Today" for deadlines (R11): the Beijing date the orchestration passes in environment
    variable ZS_DBT_TODAY (YYYY-MM-DD); a bare dbt call falls back to the database's current
    date. Read only when models run: a variable read while dbt parses makes every run, whose
    value differs, parse its models again (about 1 s a dbt step). -#}
{% macro run_date() -%}
    {%- if not execute -%}{{ return('current_date') }}{%- endif -%}
    {%- set today = env_var('ZS_DBT_TODAY', '') -%}
    {%- if today == '' -%}
        current_date
    {%- elif modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', today | string) -%}
        date '{{ today }}'
    {%- else -%}
        {{ exceptions.raise_compiler_error("ZS_DBT_TODAY must be a date written YYYY-MM-DD, not '" ~ today ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- The deadline of a period's submissions: day var('deadline_day') of the following month. -#}
{% macro deadline_date(period) -%}
    {%- set day = var('deadline_day') | string -%}
    {%- if not (day.isdigit() and 1 <= day | int <= 28) -%}
        {{ exceptions.raise_compiler_error("var deadline_day must be a day from 1 to 28, not '" ~ day ~ "'") }}
    {%- endif -%}
    cast(cast({{ period }} || '-01' as date) + interval 1 month + interval ({{ day }} - 1) day as date)
{%- endmacro %}

{#- The rule models, by name: the models in models/rules/ (tag rule), as the orchestration
    passes them in var rule_models (orchestration/dbt_setup.py, dbt_vars). A var, not the
    graph: dbt must know what a model reads while it parses, when the graph is still empty.
    A bare dbt call without it parses (the union then reads nothing) and fails only if it
    builds the union. -#}
{% macro rule_models() -%}
    {%- set models = var('rule_models', none) -%}
    {%- if models is none and not execute -%}
        {{ return([]) }}
    {%- elif models is none -%}
        {{ exceptions.raise_compiler_error("var rule_models is missing: dbt is run by the orchestration, which passes it (a bare dbt call: dbt build --vars \"$(zhaoshang dbt-vars)\")") }}
    {%- endif -%}
    {{ return(models) }}
{%- endmacro %}

{#- A rule model's header fields (meta in its YAML, models/rules/rNN_*.yml), by model name; empty
    while dbt parses (the graph is there only when models run). -#}
{% macro rule_meta(model_name) -%}
    {%- if not execute -%}{{ return({}) }}{%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error("no rule model named " ~ model_name) }}
        {{ return({}) }}
    {%- endif -%}
    {{ return(node.config.meta) }}
{%- endmacro %}

{#- The id of the run the audit rows belong to (environment variable ZS_DBT_RUN_ID; Dagster
    passes its run id). Read only when models run, as run_date(). -#}
{% macro audit_run_id() -%}
    {%- if not execute -%}{{ return("'manual'") }}{%- endif -%}
    {%- set run_id = env_var('ZS_DBT_RUN_ID', 'manual') -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9_-]{1,64}', run_id) -%}
        {{ exceptions.raise_compiler_error("ZS_DBT_RUN_ID must be letters, digits, _ or -, not '" ~ run_id ~ "'") }}
    {%- endif -%}
    '{{ run_id }}'
{%- endmacro %}
