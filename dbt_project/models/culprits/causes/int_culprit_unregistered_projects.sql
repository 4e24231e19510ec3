-- not_in_register (R13): money for a project not in the register (R07), not counted: − its amount.

with figures as (
    select * from {{ ref('int_arrival_figures_chained') }}
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
)

{{ cause_result('unregistered') }}
