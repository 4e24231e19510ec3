/*
rule_id: R07
severity: error
guards: fact_capital_arrival
title: Every project in a detail form is in the project register (先进库、后有数)
label: 项目先入库
*/
with registered as (
    select distinct project_code from staging.stg_register__projects
)

select
    a.period,
    a.unit_code,
    a.project_code,
    null as scope_code,
    null as metric,
    null as expected_value,
    a.arrived_out_of_province_ytd + a.arrived_in_province_ytd as actual_value,
    registered.project_code is null as is_failure,
    a.unit_code as suspect_unit_code,
    'not_in_register' as suspect_cause,
    printf(
        '%s %s 明细表 %s：%s；见 %s 第%d行',
        u.unit_name,
        a.period,
        coalesce('项目 ' || a.project_code, '项目编号为空'),
        case
            when a.project_code is null then '无法对应项目库'
            when registered.project_code is null then '不在项目库中（先进库、后有数）'
            else '已入库'
        end,
        a.source_file,
        a.source_row_number
    ) as detail,
    a.source_file
from staging.stg_forms__capital_arrivals as a
inner join staging.stg_reference__units as u on a.unit_code = u.unit_code
left join registered on a.project_code = registered.project_code
where a.is_current_submission
