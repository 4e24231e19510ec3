{#-
  The rows of a suspect cause of a failed total (models/culprits/causes/, ephemeral), as
  int_culprit_candidates unions them: rule_id (R12 or R13), period, unit_code, metric,
  cause (a suspect_causes code), amount_low and amount_high (how much the cause moves the
  total's gap, signed; equal for an exact amount, a range for an estimate: ranged=true reads
  them from the CTE, else both are its column `amount`), defect_key (the defect it is about:
  two candidates with one key never explain a gap together) and note (in Chinese).
-#}
{% macro cause_result(relation, ranged=false) -%}
select
    rule_id,
    period,
    unit_code,
    metric,
    cause,
    {% if ranged %}amount_low{% else %}amount as amount_low{% endif %},
    {% if ranged %}amount_high{% else %}amount as amount_high{% endif %},
    defect_key,
    note
from {{ relation }}
{%- endmacro %}

{#- The most a missing form's YTD of `period` can be, from the unit's last YTD of the year
    (`last_ytd`, of `last_period`): that YTD plus three times its average monthly pace for
    each month since (a YTD never falls, so the least is `last_ytd` itself). -#}
{% macro missing_ytd_at_most(last_ytd, period, last_period) -%}
    {{ last_ytd }} * (
        1 + 3 * (cast(right({{ period }}, 2) as integer) - cast(right({{ last_period }}, 2) as integer))
        / cast(right({{ last_period }}, 2) as double)
    )
{%- endmacro %}
