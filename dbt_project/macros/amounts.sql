{#-
  Cell text -> number. Landing keeps cells as typed; these are the one place that reads them.
  Full-width digits and signs (１２３．４５, －, ％) become ASCII; thousands separators and
  spaces (also the full-width one) go. The empty-value spellings (blank, —, -, /, 无) read
  as 0 for amounts and counts (parse_number) and as "not given" for targets and rates
  (parse_optional_number). A rate may carry a trailing %; an amount or a count may not (a
  percentage is not an amount). Anything else that is not a number reads as null, which
  rule R01 reports with the file, row and column.
-#}
{% macro _is_empty_cell(column) -%}
    (
        nullif(trim({{ column }}), '') is null
        or trim({{ column }}) in ('—', '-', '/', '无', '－', '／', '--', '——', '－－')
    )
{%- endmacro %}

{% macro _ascii_number(column) -%}
    replace(replace(translate(trim({{ column }}), '０１２３４５６７８９．，－＋％　', '0123456789.,-+% '), ',', ''), ' ', '')
{%- endmacro %}

{% macro parse_number(column) -%}
    case
        when {{ _is_empty_cell(column) }} then 0
        else try_cast({{ _ascii_number(column) }} as decimal(24, 8))
    end
{%- endmacro %}

{% macro parse_optional_number(column) -%}
    case
        when {{ _is_empty_cell(column) }} then null
        else try_cast(rtrim({{ _ascii_number(column) }}, '%') as decimal(24, 8))
    end
{%- endmacro %}

{#- True when the text is a number followed by a percent sign: a rate typed where an
    amount belongs (R01 percent_in_amount). -#}
{% macro is_percent_text(column) -%}
    coalesce(
        right({{ _ascii_number(column) }}, 1) = '%'
        and try_cast(rtrim({{ _ascii_number(column) }}, '%') as double) is not null,
        false
    )
{%- endmacro %}

{#-
  The factor that takes an amount declared in `declared_unit` to `canonical_unit` (亿元 or
  万美元), from the units_of_measure seed. Null when the declared unit is unknown, or when it
  belongs to another currency than the canonical unit (美元 under an 亿元 metric): R01
  reports both, and the row is set aside rather than converted silently.
-#}
{% macro unit_factor(declared_unit, canonical_unit) -%}
    (
        select uom.factor
        from {{ ref('units_of_measure') }} as uom
        where uom.declared_unit = {{ declared_unit }} and uom.canonical_unit = {{ canonical_unit }}
    )
{%- endmacro %}

{% macro to_canonical(value_column, unit_column, canonical_unit) -%}
    cast({{ parse_number(value_column) }} * {{ unit_factor(unit_column, canonical_unit) }} as decimal(24, 8))
{%- endmacro %}
