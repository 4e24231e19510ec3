{#-
  Cell text -> number. Landing keeps cells as typed; this is the one place that reads them.
  Thousands separators, surrounding spaces and a trailing % go; the empty-value spellings
  (blank, —, -, /, 无) read as 0; anything else that is not a number reads as null, which
  rule R01 reports with the file, row and column.
-#}
{% macro parse_number(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then 0
        when trim({{ column }}) in ('—', '-', '/', '无', '－', '／', '--', '——') then 0
        else try_cast(
            replace(replace(replace(trim({{ column }}), ',', ''), '%', ''), ' ', '')
            as decimal(24, 8)
        )
    end
{%- endmacro %}

{#-
  The factor that takes an amount in the declared unit to the canonical unit of its metric:
  亿元 for money, 万美元 for foreign investment. Unknown units give null (R01).
-#}
{% macro unit_factor(unit_column) -%}
    case {{ unit_column }}
        when '亿元' then 1.0
        when '万元' then 0.0001
        when '元' then 0.00000001
        when '万美元' then 1.0
        when '亿美元' then 10000.0
        when '美元' then 0.0001
    end
{%- endmacro %}

{% macro to_canonical(value_column, unit_column) -%}
    cast({{ parse_number(value_column) }} * {{ unit_factor(unit_column) }} as decimal(24, 8))
{%- endmacro %}
