{#- The months a run of the monthly models replaces: dbt vars period_from and period_to
    (Dagster passes the run's partition range; dbt_project.yml's default is every month). Validated, because
    they are pasted into SQL. -#}
{% macro period_window() %}
    {%- set window = [var('period_from'), var('period_to')] -%}
    {%- for period in window -%}
        {%- set text = period | string -%}
        {%- if not (
            text | length == 7 and text[4] == '-' and (text[:4] ~ text[5:]).isdigit()
            and 1 <= text[5:] | int <= 12
        ) -%}
            {{ exceptions.raise_compiler_error(
                "period_from and period_to must be months written YYYY-MM, not '" ~ period ~ "'"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(window) }}
{% endmacro %}

{#- Pre-hook of a monthly model: remove the window's periods before their rows are appended
    again, in the same transaction (a period that now has no rows is emptied too). -#}
{% macro delete_period_window() %}
    {%- if is_incremental() -%}
        {%- set window = period_window() -%}
        delete from {{ this }} where period between '{{ window[0] }}' and '{{ window[1] }}'
    {%- endif -%}
{% endmacro %}
