-- detail_summary_mismatch / double_count / missing_submission (R12 and R13): a unit's form S
-- against its own form A (R02): − (summary − detail); a park counted twice in the summary; a
-- detail set aside (the same defect as its missing form A).

with figures as (
    select * from {{ ref('int_arrival_figures_chained') }}
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

set_aside_files as (
    select * from {{ ref('int_rejected_files_grouped') }}
),

totals_checked as (
    select unnest(['R12', 'R13']) as rule_id
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
)

{{ cause_result('summary_mismatches') }}
