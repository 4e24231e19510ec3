{#- The models built by month (dbt_project.yml, by_period: incremental, strategy append,
    on_schema_change fail, pre-hook delete_period_window) are appended to in every run after
    the first. dbt-duckdb's incremental materialization does that through a temporary table:
    the model's rows written once into it and again into the table, the two compared column
    by column through the catalogue, the temporary table dropped; with dbt's own work around
    each statement.

    This override does the same in one statement where it can: when the table exists, the
    run is not a full refresh and the strategy is append, the model's columns (a query
    planned, not run: `where false`) are compared with the table's (on_schema_change fail:
    names and types, the same check as dbt's) and its rows are inserted directly, by name,
    in the transaction of the pre-hook's delete. Every other case (the first build,
    --full-refresh, another strategy or language) is dbt-duckdb's own materialization. -#}
{% materialization incremental, adapter="duckdb", supported_languages=["sql", "python"] -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- if existing is none or existing.is_view or should_full_refresh()
        or config.get("incremental_strategy") != "append"
        or config.get("on_schema_change") != "fail"
        or model["language"] != "sql" -%}
        {{ return(dbt.materialization_incremental_duckdb()) }}
    {%- endif -%}
    {%- set target = this.incorporate(type="table") -%}

    {%- set wanted = adapter.get_column_schema_from_query(
        "select * from (" ~ compiled_code ~ ") as model_rows where false"
    ) -%}
    {%- set present = adapter.get_columns_in_relation(target) -%}
    {%- set wanted_columns = [] -%}
    {%- for column in wanted -%}
        {%- do wanted_columns.append(column.name | lower ~ " " ~ column.dtype | lower) -%}
    {%- endfor -%}
    {%- set present_columns = [] -%}
    {%- for column in present -%}
        {%- do present_columns.append(column.name | lower ~ " " ~ column.dtype | lower) -%}
    {%- endfor -%}
    {%- if wanted_columns | sort != present_columns | sort -%}
        {{ exceptions.raise_compiler_error(
            "The columns of " ~ target ~ " differ from its model's ("
            ~ (present_columns | join(", ")) ~ " against " ~ (wanted_columns | join(", "))
            ~ "): on_schema_change is fail. Rebuild it from scratch: zhaoshang run --full-refresh"
        ) }}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% call statement("main") -%}
        insert into {{ target }} by name ({{ compiled_code }})
    {%- endcall %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({"relations": [target]}) }}
{%- endmaterialization %}
