{#- The amount metrics of form A (到位资金明细表), which the landing table and the fact carry
    as column pairs <metric>_month / <metric>_ytd. The metrics seed marks the same metrics
    source = form_a (a singular test keeps the two in step). -#}
{% macro form_a_metrics() -%}
    {{ return(['arrived_out_of_province', 'arrived_in_province', 'fdi_utilized']) }}
{%- endmacro %}
