{#- The months a run of the monthly models replaces: environment variables
    ZS_DBT_PERIOD_FROM and ZS_DBT_PERIOD_TO, the run's range of months (Dagster passes its
    partition range; without them, every month). Validated, because they are pasted into SQL.

    A month's figures feed the months after it — the month's amount is YTD(m) − YTD(m−1),
    the chain rules look back a month, the bulletin compares with last year's YTD, the funnel
    and the league table accumulate — so a run replaces every period from ZS_DBT_PERIOD_FROM on,
    not only up to ZS_DBT_PERIOD_TO: a revised June re-chains July to December. -#}
{% macro period_window() %}
    {%- set window = [env_var('ZS_DBT_PERIOD_FROM', '0000-01'), env_var('ZS_DBT_PERIOD_TO', '9999-12')] -%}
    {%- for period in window -%}
        {%- set text = period | string -%}
        {%- if not (
            text | length == 7 and text[4] == '-' and (text[:4] ~ text[5:]).isdigit()
            and 1 <= text[5:] | int <= 12
        ) -%}
            {{ exceptions.raise_compiler_error(
                "ZS_DBT_PERIOD_FROM and ZS_DBT_PERIOD_TO must be months written YYYY-MM, not '" ~ period ~ "'"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(window) }}
{% endmacro %}

{#- Whether a row of a period-grain model is one this run replaces: its period is from
    the window's first month on (always true when the table is built whole: first build,
    --full-refresh).
    whole_year: from January of that month's year instead (the rows a YTD chain of the
    window's months reads). -#}
{% macro in_period_window(column='period', whole_year=false) -%}
    {#- a unit test has no relation of its own (this is none): the whole table -#}
    {%- if this is not none and is_incremental() -%}
        {%- set first = period_window()[0] -%}
        {{ column }} >= '{{ first[:4] ~ "-01" if whole_year else first }}'
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The same window as years, for a year column: from the window's first year on (less
    years_before), always true when the table is built whole. The bulletin keeps its months
    (and so the register's dated events it joins to them) to the window's years and the
    year before them. -#}
{% macro in_window_years(column, years_before=0) -%}
    {%- if this is not none and is_incremental() -%}
        {{ column }} >= {{ period_window()[0][:4] | int - years_before }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the period-grain models (models/marts/by_period, models/rules): remove the periods this run
    replaces before their rows are appended again, in the same transaction (a period that
    now has no rows is emptied too). -#}
{% macro delete_period_window() %}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_period_window() }}
    {%- endif -%}
{% endmacro %}
