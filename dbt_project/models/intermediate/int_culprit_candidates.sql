-- Everything this run found that moves a failed total, with the signed amount it moves the
-- total's gap (actual − expected) by: one row per failed total (R12, R13) and candidate.
--
-- R13 (the city's detail total against the province's figure):
--   unit_scale          a counted figure typed in the wrong unit: + its excess (int_unit_slips_found)
--   double_count        a project counted under a second unit (R08): + its amount
--   not_in_register     money for a project not in the register (R07), not counted: − its amount
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
{{ config(tags=['monthly']) }}

with units as (
    select
        u.unit_code,
        u.unit_name,
        u.unit_type,
        u.is_reporting_unit,
        u.host_unit_code,
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

figures as (
    select * from {{ ref('int_arrival_figures_chained') }}
),

counted as (
    select * from {{ ref('int_capital_arrivals_chained') }}
),

slips as (
    select * from {{ ref('int_unit_slips_found') }}
    where is_slip and excess_ytd <> 0
),

-- R13 ---------------------------------------------------------------------------------------
detail_slips as (
    select
        'R13' as rule_id,
        s.period,
        s.unit_code,
        s.metric || '_ytd' as metric,
        'unit_scale' as cause,
        sum(s.excess_ytd) as amount,
        case
            when bool_or(s.is_whole_form)
                then 'form|' || s.period || '|' || s.unit_code || '|' || s.metric
            else 'figure|' || s.period || '|' || s.unit_code || '|' || any_value(s.project_code) || '|' || s.metric
        end as defect_key,
        case
            when bool_or(s.is_whole_form)
                then '明细表 ' || any_value(s.source_file) || ' 整张表的金额疑似填错单位'
            else
                '项目 ' || any_value(s.project_code) || ' 的金额疑似填错单位（' || any_value(s.source_file)
                || ' 第' || any_value(s.source_row_number) || '行）'
        end as note
    from slips as s
    inner join counted as c
        on
            s.submission_id = c.submission_id
            and s.source_row_number = c.source_row_number
            and s.metric = c.metric
    where s.form = 'form_a'
    group by s.period, s.unit_code, s.metric, case when s.is_whole_form then s.submission_id else s.project_code end
),

double_counts as (
    select
        'R13' as rule_id,
        r.period,
        r.unit_code,
        f.metric || '_ytd' as metric,
        'double_count' as cause,
        f.ytd_value as amount,
        'figure|' || r.period || '|' || r.unit_code || '|' || r.project_code || '|' || f.metric as defect_key,
        '项目 ' || r.project_code || ' 被两个单位同时报送' as note
    from {{ ref('r08_one_unit_per_project') }} as r
    inner join figures as f
        on r.period = f.period and r.unit_code = f.unit_code and r.project_code = f.project_code
    where r.is_failure and f.ytd_value <> 0
),

unregistered as (
    select
        'R13' as rule_id,
        r.period,
        r.unit_code,
        f.metric || '_ytd' as metric,
        'not_in_register' as cause,
        -f.ytd_value as amount,
        'figure|' || r.period || '|' || r.unit_code || '|' || r.project_code || '|' || f.metric as defect_key,
        '项目 ' || r.project_code || ' 未入库，金额未计入' as note
    from {{ ref('r07_projects_in_register') }} as r
    inner join figures as f
        on r.period = f.period and r.unit_code = f.unit_code and r.project_code = f.project_code
    where r.is_failure and f.ytd_value <> 0
),

parks_missing as (
    select
        'R13' as rule_id,
        r.period,
        u.host_unit_code as unit_code,
        r.metric,
        'other' as cause,
        coalesce(r.actual_value, 0) - r.expected_value as amount,
        'figure|' || r.period || '|' || u.host_unit_code || '|' || r.project_code || '|' || replace(r.metric, '_ytd', '')
            as defect_key,
        '园区 ' || r.unit_code || ' 的项目 ' || r.project_code || ' 未按园区数计入所在县区' as note
    from {{ ref('r09_park_projects_in_host') }} as r
    inner join units as u on r.unit_code = u.unit_code
    where r.is_failure and coalesce(r.actual_value, 0) <> r.expected_value
),

over_agreed as (
    -- arrivals beyond the agreed amount, on the project's largest 亿元 figure of the month
    select
        'R13' as rule_id,
        r.period,
        r.unit_code,
        arg_max(f.metric, f.ytd_value) || '_ytd' as metric,
        'other' as cause,
        any_value(r.actual_value - r.expected_value) as amount,
        'figure|' || r.period || '|' || r.unit_code || '|' || r.project_code || '|' || arg_max(f.metric, f.ytd_value)
            as defect_key,
        '项目 ' || r.project_code || ' 累计到位超过协议投资额' as note
    from {{ ref('r05_arrivals_within_agreed') }} as r
    inner join figures as f
        on r.period = f.period and r.unit_code = f.unit_code and r.project_code = f.project_code
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
    where r.is_failure and m.canonical_unit = '亿元'
    group by r.period, r.unit_code, r.project_code
),

-- rows set aside for an unreadable cell: their money is not counted
set_aside_rows as (
    select distinct
        submission_id,
        source_row_number
    from {{ ref('int_form_cells_parsed') }}
    where form = 'form_a' and problem is not null
),

set_aside_amounts as (
    select
        'R13' as rule_id,
        f.period,
        f.unit_code,
        f.metric || '_ytd' as metric,
        'other' as cause,
        -coalesce(f.ytd_value, f.last_earlier_ytd) as amount_low,
        -coalesce(f.ytd_value, 2 * f.last_earlier_ytd) as amount_high,
        'figure|' || f.period || '|' || f.unit_code || '|' || f.project_code || '|' || f.metric as defect_key,
        '项目 ' || f.project_code || ' 所在行（' || f.source_file || ' 第' || f.source_row_number
        || '行）有无法读取的单元格，整行未计入' as note
    from figures as f
    inner join set_aside_rows as s
        on f.submission_id = s.submission_id and f.source_row_number = s.source_row_number
    inner join units as u on f.unit_code = u.unit_code
    inner join {{ ref('stg_register__projects') }} as p on f.project_code = p.project_code
    where u.is_reporting_unit
    qualify row_number() over (partition by f.submission_id, f.source_row_number, f.metric order by p.register_version_id) = 1
),

-- the forms that did not come this period (after the deadline, R11), or came and were set aside
submitted as (
    select
        period,
        unit_code,
        form
    from {{ ref('stg_forms__submissions') }}
    where is_current
),

set_aside_files as (
    select * from {{ ref('int_rejected_files_grouped') }}
),

late_units as (
    select distinct
        period,
        unit_code
    from {{ ref('r11_every_unit_submitted') }}
    where is_failure
),

periods as (
    select distinct period from submitted
),

forms as (
    select unnest(['form_a', 'form_s']) as form
),

totals_checked as (
    select unnest(['R12', 'R13']) as rule_id
),

absent as (
    -- a reporting unit lacking a form, late or set aside
    select
        p.period,
        u.unit_code,
        f.form,
        a.files
    from periods as p
    inner join units as u on u.is_reporting_unit
    cross join forms as f
    left join submitted as s on p.period = s.period and u.unit_code = s.unit_code and f.form = s.form
    left join set_aside_files as a on p.period = a.period and u.unit_code = a.unit_code
    left join late_units as l on p.period = l.period and u.unit_code = l.unit_code
    where s.unit_code is null and (a.files is not null or l.unit_code is not null)
),

-- what a missing form A would have held: at least the unit's last YTD of the year (YTD never
-- falls), at most that plus three times its average monthly pace for the months since
detail_last as (
    select
        a.period,
        a.unit_code,
        max(c.period) as last_period
    from absent as a
    inner join counted as c
        on a.unit_code = c.unit_code and a.period > c.period and left(c.period, 4) = left(a.period, 4)
    where a.form = 'form_a'
    group by a.period, a.unit_code
),

detail_history as (
    select
        l.period,
        l.unit_code,
        l.last_period,
        c.metric,
        sum(c.ytd_value) as last_ytd
    from detail_last as l
    inner join counted as c on l.unit_code = c.unit_code and l.last_period = c.period
    group by l.period, l.unit_code, l.last_period, c.metric
),

missing_details as (
    select
        'R13' as rule_id,
        a.period,
        a.unit_code,
        h.metric || '_ytd' as metric,
        'missing_submission' as cause,
        -(h.last_ytd * (
            1 + 3 * (cast(right(a.period, 2) as integer) - cast(right(h.last_period, 2) as integer))
            / cast(right(h.last_period, 2) as double)
        )) as amount_low,
        -h.last_ytd as amount_high,
        'missing|' || a.period || '|' || a.unit_code || '|form_a' as defect_key,
        case
            when a.files is not null then '明细表被搁置：' || a.files
            else '未报送明细表'
        end || '（按 ' || h.last_period || ' 累计 ' || printf('%.2f', h.last_ytd) || ' 估算）' as note
    from absent as a
    inner join detail_history as h on a.period = h.period and a.unit_code = h.unit_code
    where a.form = 'form_a' and h.last_ytd > 0
),

-- R12 and R13: a unit's summary against its own detail -------------------------------------
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

summary_mismatches as (
    select
        rules.rule_id,
        r.period,
        r.unit_code,
        r.metric,
        case
            when p.park_code is not null then 'double_count'
            when r.suspect_cause = 'missing_submission' then 'missing_submission'
            else 'detail_summary_mismatch'
        end as cause,
        -(r.actual_value - r.expected_value) as amount,
        -- a detail that was set aside is the same defect as its missing form A
        case
            when p.park_code is null and r.suspect_cause = 'missing_submission'
                then 'missing|' || r.period || '|' || r.unit_code || '|form_a'
            else 'summary|' || r.period || '|' || r.unit_code || '|' || replace(r.metric, '_ytd', '')
        end as defect_key,
        case
            when p.park_code is not null then '汇总表把园区 ' || p.park_code || ' 的数字重复加入'
            when r.suspect_cause = 'missing_submission' then '明细表被搁置：' || a.files
            else '汇总表与本单位明细表不一致'
        end as note
    from {{ ref('r02_summary_matches_detail') }} as r
    cross join totals_checked as rules
    left join park_totals as p
        on
            r.period = p.period
            and r.unit_code = p.host_unit_code
            and r.metric = p.metric
            and abs((r.actual_value - r.expected_value) - p.ytd_value) <= {{ var('amount_tolerance') }}
    left join set_aside_files as a on r.period = a.period and r.unit_code = a.unit_code
    where r.is_failure and r.actual_value - r.expected_value <> 0
    qualify row_number() over (partition by rules.rule_id, r.period, r.unit_code, r.metric order by p.park_code) = 1
),

-- R12 ---------------------------------------------------------------------------------------
summary_slips as (
    select
        'R12' as rule_id,
        s.period,
        s.unit_code,
        s.metric || '_ytd' as metric,
        'unit_scale' as cause,
        case when u.unit_type = 'prefecture' then s.excess_ytd else -s.excess_ytd end as amount,
        'summary|' || s.period || '|' || s.unit_code || '|' || s.metric as defect_key,
        '汇总表 ' || s.source_file || ' 的累计数疑似填错单位' as note
    from slips as s
    inner join units as u on s.unit_code = u.unit_code
    where s.form = 'form_s'
),

summary_history as (
    select
        a.period,
        a.unit_code,
        s.metric,
        max_by(s.ytd_value, s.period) as last_ytd,
        max(s.period) as last_period
    from absent as a
    inner join {{ ref('stg_forms__summary_indicators') }} as s
        on
            a.unit_code = s.unit_code
            and a.period > s.period
            and left(s.period, 4) = left(a.period, 4)
            and s.is_current_submission
    where a.form = 'form_s' and s.metric is not null
    group by a.period, a.unit_code, s.metric
),

missing_summaries as (
    select
        'R12' as rule_id,
        a.period,
        a.unit_code,
        h.metric || '_ytd' as metric,
        'missing_submission' as cause,
        h.last_ytd as amount_low,
        h.last_ytd * (
            1 + 3 * (cast(right(a.period, 2) as integer) - cast(right(h.last_period, 2) as integer))
            / cast(right(h.last_period, 2) as double)
        ) as amount_high,
        'missing|' || a.period || '|' || a.unit_code || '|form_s' as defect_key,
        case
            when a.files is not null then '汇总表被搁置：' || a.files
            else '未报送汇总表'
        end || '（按 ' || h.last_period || ' 累计 ' || printf('%.2f', h.last_ytd) || ' 估算）' as note
    from absent as a
    inner join summary_history as h on a.period = h.period and a.unit_code = h.unit_code
    where a.form = 'form_s' and h.last_ytd > 0
),

exact as (
    select * from detail_slips
    union all
    select * from double_counts
    union all
    select * from unregistered
    union all
    select * from parks_missing
    union all
    select * from over_agreed
    union all
    select * from summary_mismatches
    union all
    select * from summary_slips
),

ranged as (
    select * from set_aside_amounts
    union all
    select * from missing_details
    union all
    select * from missing_summaries
),

candidates as (
    select
        rule_id,
        period,
        unit_code,
        metric,
        cause,
        amount as amount_low,
        amount as amount_high,
        false as is_estimate,
        defect_key,
        note
    from exact
    union all
    select
        rule_id,
        period,
        unit_code,
        metric,
        cause,
        least(amount_low, amount_high) as amount_low,
        greatest(amount_low, amount_high) as amount_high,
        amount_low <> amount_high as is_estimate,
        defect_key,
        note
    from ranged
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
    cast(c.amount_low as double) as explained_low,
    cast(c.amount_high as double) as explained_high,
    c.is_estimate,
    c.defect_key,
    c.note
from totals as t
inner join candidates as c on t.rule_id = c.rule_id and t.period = c.period and t.metric = c.metric
inner join units as u on c.unit_code = u.unit_code
inner join {{ ref('suspect_causes') }} as causes on c.cause = causes.suspect_cause
where
    (u.city_code = t.scope_code or u.unit_code = t.scope_code)
    and (c.amount_low <> 0 or c.amount_high <> 0)
