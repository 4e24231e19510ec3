{#-
  The derived measures of the metric catalogue, defined once (the glossary's definitions);
  every mart computes them through these. A rate whose base is 0 is null, not 0.
-#}

{#- 同比增长: (this year's YTD − the same period last year's) / last year's, in %. -#}
{% macro yoy_growth_pct(ytd, last_year_ytd) -%}
    cast(round(({{ ytd }} - {{ last_year_ytd }}) / nullif({{ last_year_ytd }}, 0) * 100, 2) as double)
{%- endmacro %}

{#- 完成率: YTD / annual target, in %. -#}
{% macro completion_rate_pct(ytd, annual_target) -%}
    cast(round({{ ytd }} / nullif({{ annual_target }}, 0) * 100, 2) as double)
{%- endmacro %}

{#- 序时进度: completion rate − the share of the year elapsed (months / 12), in percentage points. -#}
{% macro pace_gap_pp(ytd, annual_target, month_of_year) -%}
    cast(round({{ ytd }} / nullif({{ annual_target }}, 0) * 100 - {{ month_of_year }} / 12.0 * 100, 2) as double)
{%- endmacro %}

{#- A share in %: the funnel's 落地率, 开工率, 投产率, 资金到位率. -#}
{% macro rate_pct(numerator, denominator) -%}
    cast(round({{ numerator }} / nullif({{ denominator }}, 0) * 100, 2) as double)
{%- endmacro %}
