-- other (R13): a park's project missing from its host's figures (R09): host − park.

with units as (
    select * from {{ ref('stg_reference__units') }}
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
)

{{ cause_result('parks_missing') }}
