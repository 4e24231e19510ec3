{#- The text of a cell_problems seed row (reason or expected) for one cell: its placeholders
    filled from the columns of the same name in scope (raw_value, declared_unit, row_label,
    metric_label, canonical_unit, expected_units). -#}
{% macro fill_cell_text(template) -%}
    replace(replace(replace(replace(replace(replace({{ template }},
        '{value}', coalesce(raw_value, '')),
        '{unit}', coalesce(declared_unit, '')),
        '{indicator}', coalesce(row_label, '')),
        '{metric_label}', coalesce(metric_label, '')),
        '{expected_unit}', coalesce(canonical_unit, '')),
        '{expected_units}', coalesce(expected_units, ''))
{%- endmacro %}
