-- Naming the culprit of a failed total (R12, R13; R14 names its own). Each failing row of
-- the row-level rules that moves a city total is a candidate, with the amount it moves the
-- total by:
--
--   R16 unit_scale              the excess of a figure ~10^4 (10^2) times its history
--   R08 double_count            the amount of a project counted under a second unit
--   R02 double_count            a summary that exceeds its detail by exactly a park's total
--   R02 detail_summary_mismatch a summary that disagrees with its own detail
--   R07 not_in_register         money for a project not in the register (not counted)
--   R11 missing_submission      a unit that did not report (estimated by its last YTD)
--
-- Candidates are ranked by how closely they explain the gap (|explained| against |gap|),
-- then by how specific the cause is (seed suspect_causes). The best becomes the failed
-- total's suspect; `ranking` lists the top three with the share of the gap each explains.
{{ config(tags=['monthly']) }}

with findings as (
    {%- for rule, model in [
        ('R02', 'r02_summary_matches_detail'),
        ('R07', 'r07_projects_in_register'),
        ('R08', 'r08_one_unit_per_project'),
        ('R11', 'r11_every_unit_submitted'),
        ('R16', 'r16_probable_unit_errors'),
    ] %}
        select
            '{{ rule }}' as rule_id,
            *,
            actual_value - expected_value as difference
        from {{ ref(model) }}
        where is_failure
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

units as (
    select
        u.unit_code,
        u.unit_name,
        u.unit_type,
        u.host_unit_code,
        coalesce(h.parent_code, u.parent_code) as city_code
    from {{ ref('stg_reference__units') }} as u
    left join {{ ref('stg_reference__units') }} as h on u.host_unit_code = h.unit_code
),

figures as (
    select * from {{ ref('int_arrival_figures_chained') }}
),

park_totals as (
    select
        f.period,
        u.host_unit_code,
        f.metric || '_ytd' as metric,
        f.unit_code as park_code,
        sum(f.ytd_value) as ytd_value
    from figures as f
    inner join units as u on f.unit_code = u.unit_code
    where u.unit_type = 'park'
    group by f.period, u.host_unit_code, f.metric, f.unit_code
),

from_r02 as (
    select
        r.period,
        r.unit_code,
        r.metric,
        case when p.park_code is not null then 'double_count' else 'detail_summary_mismatch' end as cause,
        r.difference as explained,
        case
            when p.park_code is not null then '汇总表把园区 ' || p.park_code || ' 的数字重复加入'
            else '汇总表与本单位明细表不一致'
        end as note
    from findings as r
    left join park_totals as p
        on
            r.period = p.period
            and r.unit_code = p.host_unit_code
            and r.metric = p.metric
            and abs(r.difference - p.ytd_value) <= {{ var('amount_tolerance') }}
    where r.rule_id = 'R02'
    qualify row_number() over (partition by r.period, r.unit_code, r.metric order by p.park_code) = 1
),

from_r16 as (
    select
        period,
        unit_code,
        metric,
        'unit_scale' as cause,
        difference as explained,
        case when project_code is null then '汇总表' else '项目 ' || project_code end || ' 数值约为历史的 10⁴ 倍' as note
    from findings
    where rule_id = 'R16'
),

-- per-metric amounts of projects named by R07 / R08
named_projects as (
    select
        r.rule_id,
        r.period,
        r.unit_code,
        r.project_code,
        f.metric || '_ytd' as metric,
        f.ytd_value
    from findings as r
    inner join figures as f
        on r.period = f.period and r.unit_code = f.unit_code and r.project_code = f.project_code
    where r.rule_id in ('R07', 'R08') and f.ytd_value <> 0
),

from_projects as (
    select
        period,
        unit_code,
        metric,
        case rule_id when 'R07' then 'not_in_register' else 'double_count' end as cause,
        case rule_id when 'R07' then -ytd_value else ytd_value end as explained,
        case rule_id
            when 'R07' then '项目 ' || project_code || ' 未入库，金额未计入'
            else '项目 ' || project_code || ' 被两个单位同时报送'
        end as note
    from named_projects
),

from_r11 as (
    -- a missing unit is worth about its latest YTD of the year before this month
    select
        r.period,
        r.unit_code,
        s.metric || '_ytd' as metric,
        'missing_submission' as cause,
        -max_by(s.ytd_value, s.period) as explained,
        '未报送（按 ' || max(s.period) || ' 累计数估算）' as note
    from findings as r
    inner join {{ ref('stg_forms__summary_indicators') }} as s
        on
            r.unit_code = s.unit_code
            and r.period > s.period
            and left(s.period, 4) = left(r.period, 4)
            and s.is_current_submission
    inner join {{ ref('metrics') }} as m on s.metric = m.metric
    where r.rule_id = 'R11' and m.source = 'form_a'
    group by r.period, r.unit_code, s.metric
),

candidates as (
    select
        c.period,
        units.city_code as scope_code,
        c.metric,
        c.unit_code,
        units.unit_name,
        c.cause,
        c.explained,
        c.note,
        causes.specificity
    from (
        select * from from_r02
        union all
        select * from from_r16
        union all
        select * from from_projects
        union all
        select * from from_r11
    ) as c
    inner join units on c.unit_code = units.unit_code
    inner join {{ ref('suspect_causes') }} as causes on c.cause = causes.suspect_cause
    where c.explained <> 0
),

totals as (
    {%- for rule, model in [('R12', 'r12_city_summary_matches_units'), ('R13', 'r13_city_matches_province')] %}
        select
            '{{ rule }}' as rule_id,
            period,
            scope_code,
            metric,
            actual_value - expected_value as difference
        from {{ ref(model) }}
        where is_failure and actual_value - expected_value <> 0
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

scored as (
    select
        t.rule_id,
        t.period,
        t.scope_code,
        t.metric,
        t.difference,
        c.unit_code,
        c.unit_name,
        c.cause,
        c.explained,
        c.note,
        abs(c.explained) / abs(t.difference) as share,
        row_number() over (
            partition by t.rule_id, t.period, t.scope_code, t.metric
            order by round(abs(abs(c.explained) / abs(t.difference) - 1), 2), c.specificity, abs(c.explained) desc
        ) as rank
    from totals as t
    inner join candidates as c
        on t.period = c.period and t.scope_code = c.scope_code and t.metric = c.metric
)

select
    rule_id,
    period,
    scope_code,
    metric,
    any_value(unit_code) filter (rank = 1) as suspect_unit_code,
    any_value(cause) filter (rank = 1) as suspect_cause,
    string_agg(
        printf('%d. %s（%s）%s，可解释 %.2f（差额的 %.0f%%）', rank, unit_name, unit_code, note, abs(explained), share * 100),
        '；' order by rank
    ) filter (rank <= 3) as ranking
from scored
group by rule_id, period, scope_code, metric
