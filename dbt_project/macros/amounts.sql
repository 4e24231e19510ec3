{#-
  Cell text -> number. Landing keeps cells as typed; this is the one place that reads them.
  Full-width digits (１２３．４５) become ASCII; thousands separators, spaces (also the
  full-width one) and a trailing % go; the empty-value spellings
  (blank, —, -, /, 无) read as 0; anything else that is not a number reads as null, which
  rule R01 reports with the file, row and column.
-#}
{% macro parse_number(column) -%}
    {#- full-width digits and signs to ASCII, then drop separators, spaces and a trailing % -#}
    {%- set ascii = "translate(trim(" ~ column ~ "), '０１２３４５６７８９．，－＋％　', '0123456789.,-+% ')" -%}
    case
        when nullif(trim({{ column }}), '') is null then 0
        when trim({{ column }}) in ('—', '-', '/', '无', '－', '／', '--', '——', '－－') then 0
        else try_cast(
            replace(replace(replace({{ ascii }}, ',', ''), '%', ''), ' ', '')
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
