{#-
  Cell text -> number. Landing keeps cells as typed; these are the one place that reads them.
  Full-width digits and signs (１２３．４５, －, ％) become ASCII; thousands separators,
  spaces (also the full-width one) and a trailing % go. The empty-value spellings (blank,
  —, -, /, 无) read as 0 for amounts and counts (parse_number) and as "not given" for
  targets and rates (parse_optional_number). Anything else that is not a number reads as
  null, which rule R01 reports with the file, row and column.
-#}
{% macro _is_empty_cell(column) -%}
    (
        nullif(trim({{ column }}), '') is null
        or trim({{ column }}) in ('—', '-', '/', '无', '－', '／', '--', '——', '－－')
    )
{%- endmacro %}

{% macro _number_or_null(column) -%}
    {%- set ascii = "translate(trim(" ~ column ~ "), '０１２３４５６７８９．，－＋％　', '0123456789.,-+% ')" -%}
    try_cast(replace(replace(replace({{ ascii }}, ',', ''), '%', ''), ' ', '') as decimal(24, 8))
{%- endmacro %}

{% macro parse_number(column) -%}
    case when {{ _is_empty_cell(column) }} then 0 else {{ _number_or_null(column) }} end
{%- endmacro %}

{% macro parse_optional_number(column) -%}
    case when {{ _is_empty_cell(column) }} then null else {{ _number_or_null(column) }} end
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
