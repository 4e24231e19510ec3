-- The culprits of each failed total (R12, R13): the best set of distinct candidates
-- (int_culprit_candidates) whose amounts add up to the gap. Subsets of up to four of the
-- twelve largest candidates are tried; an estimated candidate (a missing form, a row set
-- aside) may take any amount in its range. The best set is the smallest one that explains
-- the gap within tolerance (then the most specific causes); when none does, the one that
-- leaves least unexplained. Its members are listed largest share first — a candidate whose
-- direction contradicts the gap (a negative share) never comes before one that explains
-- it — and the first is the total's suspect. `ranking` says what each explains and what,
-- if anything, is left unexplained.

{%- set max_members = 4 %}

with recursive candidates as (
    select
        *,
        rule_id || '|' || period || '|' || scope_code || '|' || metric as total_key,
        (explained_low + explained_high) / 2 as explained_mid
    from {{ ref('int_culprit_candidates') }}
),

numbered as (
    select
        *,
        row_number() over (partition by total_key order by abs(explained_mid) desc, specificity, defect_key asc) as idx
    from candidates
    qualify idx <= 12
),

subsets (total_key, members, keys, last_idx, exact_sum, low_sum, high_sum, specificity_sum) as (
    select
        total_key,
        [idx] as members,
        [defect_key] as keys,
        idx as last_idx,
        case when is_estimate then 0 else explained_mid end as exact_sum,
        case when is_estimate then explained_low else 0 end as low_sum,
        case when is_estimate then explained_high else 0 end as high_sum,
        specificity as specificity_sum
    from numbered
    union all
    select
        g.total_key,
        list_append(g.members, n.idx) as members,
        list_append(g.keys, n.defect_key) as keys,
        n.idx as last_idx,
        g.exact_sum + case when n.is_estimate then 0 else n.explained_mid end as exact_sum,
        g.low_sum + case when n.is_estimate then n.explained_low else 0 end as low_sum,
        g.high_sum + case when n.is_estimate then n.explained_high else 0 end as high_sum,
        g.specificity_sum + n.specificity as specificity_sum
    from subsets as g
    inner join numbered as n
        on g.total_key = n.total_key and g.last_idx < n.idx and not list_contains(g.keys, n.defect_key)
    where len(g.members) < {{ max_members }}
),

totals as (
    select distinct
        total_key,
        rule_id,
        period,
        scope_code,
        metric,
        gap
    from candidates
),

scored as (
    select
        s.*,
        t.gap,
        -- what the estimates must hold for the set to explain the gap, within their ranges
        greatest(s.low_sum, least(s.high_sum, t.gap - s.exact_sum)) as estimated,
        t.gap - s.exact_sum - greatest(s.low_sum, least(s.high_sum, t.gap - s.exact_sum)) as unexplained,
        abs(t.gap - s.exact_sum - greatest(s.low_sum, least(s.high_sum, t.gap - s.exact_sum)))
        <= {{ var('amount_tolerance') }} * (1 + len(s.members)) as explains_gap
    from subsets as s
    inner join totals as t on s.total_key = t.total_key
),

best as (
    select *
    from scored
    qualify row_number() over (
        partition by total_key
        order by
            explains_gap desc,
            case when explains_gap then len(members) end,
            round(abs(unexplained) / abs(gap), 2),
            specificity_sum asc,
            len(members)
    ) = 1
),

members as (
    select
        b.total_key,
        b.unexplained,
        b.explains_gap,
        n.*,
        case
            when n.is_estimate
                then b.estimated * n.explained_mid / nullif(sum(n.explained_mid) filter (n.is_estimate) over (partition by b.total_key), 0)
            else n.explained_mid
        end as explained
    from best as b
    inner join numbered as n on b.total_key = n.total_key and list_contains(b.members, n.idx)
),

ranked as (
    select
        *,
        explained / gap as share,
        row_number() over (partition by total_key order by explained / gap desc, specificity, defect_key asc) as rank
    from members
)

select
    rule_id,
    period,
    scope_code,
    metric,
    any_value(gap) as gap,
    any_value(unit_code) filter (rank = 1) as suspect_unit_code,
    any_value(cause) filter (rank = 1) as suspect_cause,
    count(*) as culprits,
    bool_and(explains_gap) as explains_gap,
    string_agg(
        printf(
            '%d. %s（%s）%s，可解释 %+.2f（差额的 %.1f%%）',
            rank,
            unit_name,
            unit_code,
            note,
            explained,
            share * 100
        ),
        '；'
        order by rank
    )
    || case
        when abs(any_value(unexplained)) > {{ var('amount_tolerance') }}
            then printf('；未能解释 %+.2f（差额的 %.1f%%）', any_value(unexplained), any_value(unexplained) / any_value(gap) * 100)
        else ''
    end as ranking
from ranked
group by rule_id, period, scope_code, metric
