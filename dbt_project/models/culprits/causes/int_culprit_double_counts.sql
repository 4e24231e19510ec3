-- double_count (R13): a project counted under a second unit (R08): + its amount.

with figures as (
    select * from {{ ref('int_arrival_figures_chained') }}
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
)

{{ cause_result('double_counts') }}
