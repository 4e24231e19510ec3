-- Everything this run found that moves a failed total, with the signed amount it moves the
-- total's gap (actual − expected) by: one row per failed total (R12, R13) and candidate. Each
-- suspect cause is its own model under models/culprits/causes/ (ephemeral: built into this
-- one's query); each ends with macro cause_result, which gives them the same columns.
--
-- R13 (the city's detail total against the province's figure):
--   unit_scale          a counted figure typed in the wrong unit: + its excess (int_unit_slips_found)
--   double_count        a project counted under a second unit (R08): + its amount
--   not_in_register     money for a project not in the register (R07), not counted: − its amount
--   origin_category     money under a category its investor's origin does not allow (R17):
--                       + its amount where it sits, − where it belongs (市内: nowhere)
--   missing_submission  a unit whose form A never came (R11) or was set aside (the file and
--                       why): − its YTD, estimated from its last YTD of the year (a range)
--   other               a row set aside for an unreadable cell (R01): − its amount (a range
--                       when the unreadable cell is the amount); a park's project missing from
--                       its host (R09): host − park; arrivals beyond the agreed amount (R05)
--   detail_summary_mismatch / double_count  a unit's summary against its detail (R02):
--                       − (summary − detail), when the province's figure came from summaries
-- R12 (the city's form S against the sum of its units' form S):
--   R02 (as above, − (summary − detail)); a form S typed in the wrong unit (+ the city's
--   excess, − a unit's); a unit's form S missing or set aside: + its estimated YTD.
--
-- An estimate is a range [explained_low, explained_high]; an exact amount has low = high.
-- defect_key names the defect a candidate is about, so that two rules seeing the same slip
-- (R16 and R02 of a whole form, R11 and a set-aside file) are never counted twice.

{%- set cause_models = [
    'int_culprit_unit_slips',
    'int_culprit_double_counts',
    'int_culprit_unregistered_projects',
    'int_culprit_origin_categories',
    'int_culprit_parks_missing_from_hosts',
    'int_culprit_arrivals_over_agreed',
    'int_culprit_unreadable_rows',
    'int_culprit_missing_forms',
    'int_culprit_summary_mismatches',
] %}

with units as (
    select
        u.unit_code,
        u.unit_name,
        coalesce(h.parent_code, u.parent_code) as city_code
    from {{ ref('stg_reference__units') }} as u
    left join {{ ref('stg_reference__units') }} as h on u.host_unit_code = h.unit_code
),

totals as (
    {%- for rule, model in [('R12', 'r12_city_summary_matches_units'), ('R13', 'r13_city_matches_province')] %}
        select
            '{{ rule }}' as rule_id,
            period,
            scope_code,
            metric,
            actual_value - expected_value as gap
        from {{ ref(model) }}
        where is_failure and actual_value - expected_value <> 0
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

candidates as (
    {%- for cause in cause_models %}
        select * from {{ ref(cause) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    t.rule_id,
    t.period,
    t.scope_code,
    t.metric,
    t.gap,
    c.unit_code,
    u.unit_name,
    c.cause,
    causes.specificity,
    cast(least(c.amount_low, c.amount_high) as double) as explained_low,
    cast(greatest(c.amount_low, c.amount_high) as double) as explained_high,
    c.amount_low <> c.amount_high as is_estimate,
    c.defect_key,
    c.note
from totals as t
inner join candidates as c on t.rule_id = c.rule_id and t.period = c.period and t.metric = c.metric
inner join units as u on c.unit_code = u.unit_code
inner join {{ ref('suspect_causes') }} as causes on c.cause = causes.suspect_cause
where
    (u.city_code = t.scope_code or u.unit_code = t.scope_code)
    and (c.amount_low <> 0 or c.amount_high <> 0)
