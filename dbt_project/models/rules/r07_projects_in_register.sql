-- Every project of a current form A row is in the project register (先进库、后有数).
with registered as (
    select distinct project_code from {{ ref('stg_register__projects') }}
),

amounts as (
    -- the row's money in 亿元, for the message and the culprit analysis
    select
        submission_id,
        source_row_number,
        case when bool_and(value is not null) then sum(value) end as yi_yuan
    from {{ ref('stg_forms__arrival_cells') }}
    where is_current_submission and measure = 'ytd' and canonical_unit = '亿元'
    group by submission_id, source_row_number
),

checks as (
    select
        a.period,
        a.unit_code,
        a.project_code,
        null as scope_code,
        null as metric,
        null as expected_value,
        amounts.yi_yuan as actual_value,
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
    from {{ ref('stg_forms__arrival_rows') }} as a
    inner join {{ ref('stg_reference__units') }} as u on a.unit_code = u.unit_code
    left join registered on a.project_code = registered.project_code
    left join amounts
        on a.submission_id = amounts.submission_id and a.source_row_number = amounts.source_row_number
    where a.is_current_submission
)

{{ rule_result('checks') }}
