-- 报送情况: per month and expected submitter — every reporting unit (forms A and S), park
-- (form A) and prefecture (its own form S) valid that month — which forms came, the
-- 填报日期 and load time of the version in force, whether it came by the deadline (day
-- var deadline_day of the following month), is late, or is missing after the deadline;
-- how many times it was revised, how many of its files were set aside, how many rules
-- failed on it.

with periods as (
    select
        period,
        month_start_date,
        month_end_date,
        {{ deadline_date('period') }} as deadline_date
    from {{ ref('dim_date') }}
    where has_submissions
),

units as (
    select * from {{ ref('stg_reference__units') }}
    where unit_type in ('county', 'zone', 'park', 'prefecture')
),

expected as (
    select
        p.period,
        p.month_start_date,
        p.deadline_date,
        u.unit_code,
        u.unit_name,
        u.unit_type,
        u.unit_type <> 'prefecture' as expects_form_a,
        u.unit_type <> 'park' as expects_form_s
    from periods as p
    inner join units as u
        on p.month_end_date between u.valid_from and coalesce(u.valid_to, date '9999-12-31')
    -- a prefecture is expected only where the warehouse holds its units
    where
        u.unit_type <> 'prefecture'
        or exists (
            select 1 from units as r
            where r.parent_code = u.unit_code and r.is_reporting_unit
        )
),

versions as (
    select
        period,
        unit_code,
        form,
        count(*) as versions,
        max(filled_date) filter (is_current) as filled_date,
        max(loaded_at) filter (is_current) as loaded_at,
        bool_or(is_current) as has_current
    from {{ ref('stg_forms__submission_versions') }}
    group by period, unit_code, form
),

set_aside as (
    select
        period,
        unit_code,
        count(*) as files
    from {{ ref('stg_landing__rejected_files') }}
    where period is not null and unit_code is not null and reason <> 'period_outside_window'
    group by period, unit_code
),

failures as (
    select
        period,
        coalesce(unit_code, scope_code) as unit_code,
        count(distinct rule_id) as rules
    from {{ ref('reconciliation_results') }}
    where status = 'fail'
    group by period, coalesce(unit_code, scope_code)
),

status as (
    select
        e.*,
        coalesce(a.has_current, false) as has_form_a,
        coalesce(s.has_current, false) as has_form_s,
        greatest(a.filled_date, s.filled_date) as filled_date,
        greatest(a.loaded_at, s.loaded_at) as loaded_at,
        coalesce(a.versions - 1, 0) + coalesce(s.versions - 1, 0) as revision_count,
        coalesce(x.files, 0) as files_set_aside,
        coalesce(f.rules, 0) as rules_failed
    from expected as e
    left join versions as a on e.period = a.period and e.unit_code = a.unit_code and a.form = 'form_a'
    left join versions as s on e.period = s.period and e.unit_code = s.unit_code and s.form = 'form_s'
    left join set_aside as x on e.period = x.period and e.unit_code = x.unit_code
    left join failures as f on e.period = f.period and e.unit_code = f.unit_code
),

judged as (
    select
        *,
        (not expects_form_a or has_form_a) and (not expects_form_s or has_form_s) as is_complete,
        -- when it came: the 填报日期 the clerk wrote, else the day it was loaded (loaded_at is
        -- UTC; Beijing is UTC+8 all year)
        coalesce(filled_date, cast(loaded_at + interval 8 hour as date)) as came_on
    from status
)

select
    period,
    month_start_date as period_date,
    unit_code,
    unit_name,
    unit_type,
    expects_form_a,
    expects_form_s,
    has_form_a,
    has_form_s,
    filled_date,
    loaded_at,
    deadline_date,
    is_complete and came_on <= deadline_date as is_on_time,
    is_complete and came_on > deadline_date as is_late,
    not is_complete and {{ run_date() }} > deadline_date as is_missing,
    cast(revision_count as integer) as revision_count,
    cast(files_set_aside as integer) as files_set_aside,
    cast(rules_failed as integer) as rules_failed
from judged
where {{ in_period_window() }}
