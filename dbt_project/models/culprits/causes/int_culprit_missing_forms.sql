-- missing_submission: a reporting unit's form that never came (R11) or was set aside (the
-- file and why). R13: a form A, − its YTD; R12: a form S, + its YTD; each estimated from
-- the unit's last YTD of the year (a range).

with counted as (
    select * from {{ ref('int_capital_arrivals_chained') }}
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

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
        -({{ missing_ytd_at_most('h.last_ytd', 'a.period', 'h.last_period') }}) as amount_low,
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
        {{ missing_ytd_at_most('h.last_ytd', 'a.period', 'h.last_period') }} as amount_high,
        'missing|' || a.period || '|' || a.unit_code || '|form_s' as defect_key,
        case
            when a.files is not null then '汇总表被搁置：' || a.files
            else '未报送汇总表'
        end || '（按 ' || h.last_period || ' 累计 ' || printf('%.2f', h.last_ytd) || ' 估算）' as note
    from absent as a
    inner join summary_history as h on a.period = h.period and a.unit_code = h.unit_code
    where a.form = 'form_s' and h.last_ytd > 0
)

{{ cause_result('missing_details', ranged=true) }}

union all

{{ cause_result('missing_summaries', ranged=true) }}
