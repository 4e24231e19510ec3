-- other (R13): arrivals beyond the agreed amount (R05), on the project's largest 亿元 figure.

with figures as (
    select * from {{ ref('int_arrival_figures_chained') }}
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
)

{{ cause_result('over_agreed') }}
