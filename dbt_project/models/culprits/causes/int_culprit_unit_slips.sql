-- unit_scale: a counted figure typed in the wrong unit. R13: + its excess in a unit's form A
-- (a whole form, or one project); R12: a form S, + the city's excess, − a unit's.

with slips as (
    select * from {{ ref('int_unit_slips_found') }}
    where is_slip and excess_ytd <> 0
),

counted as (
    select * from {{ ref('int_capital_arrivals_chained') }}
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

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
)

{{ cause_result('detail_slips') }}

union all

{{ cause_result('summary_slips') }}
