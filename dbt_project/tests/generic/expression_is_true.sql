{#- Rows of the model for which the expression is not true (dbt_utils' test, without the
    package); on a column, the expression is about that row all the same. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}
