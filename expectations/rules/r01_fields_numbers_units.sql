/*
rule_id: R01
severity: error
guards: fact_capital_arrival
title: Required fields present; amounts are numbers ≥ 0; units recognised
label: 必填项、数字与单位
*/
with cells as (
    select * from intermediate.int_form_cells_parsed
),

problems as (
    select
        cells.*,
        case cells.problem
            when 'not_a_number' then printf('''%s'' 不是数字', cells.raw_value)
            when 'negative' then printf('''%s'' 为负数，金额应 ≥ 0', cells.raw_value)
            when 'unknown_unit' then printf('单位''%s''无法识别（应为 元/万元/亿元 或 美元/万美元/亿美元）', cells.declared_unit)
            when 'unknown_indicator' then printf('指标''%s''无法识别', cells.row_label)
            else '必填项为空'
        end as reason
    from cells
    where cells.problem is not null
),

files as (
    select
        submission_id,
        any_value(period) as period,
        any_value(unit_code) as unit_code,
        any_value(source_file) as source_file,
        count(*) as cell_count,
        count(problem) as problem_count
    from cells
    group by submission_id
)

select
    problems.period,
    problems.unit_code,
    case when problems.form = 'form_a' then problems.row_label end as project_code,
    null as scope_code,
    case when problems.form = 'form_a' and problems.column_name <> 'project_code' then problems.column_name end
        as metric,
    null as expected_value,
    null as actual_value,
    true as is_failure,
    problems.unit_code as suspect_unit_code,
    'other' as suspect_cause,
    printf(
        '%s（工作表 %s）第%d行 `%s`（%s列）：%s',
        problems.source_file,
        problems.sheet,
        problems.source_row_number,
        coalesce(problems.header_label, problems.column_name),
        coalesce(problems.column_letter, '?'),
        problems.reason
    ) as detail,
    problems.source_file
from problems

union all

select
    files.period,
    files.unit_code,
    null as project_code,
    null as scope_code,
    null as metric,
    null as expected_value,
    null as actual_value,
    false as is_failure,
    null as suspect_unit_code,
    null as suspect_cause,
    printf('%s：%d 个单元格均可读', files.source_file, files.cell_count) as detail,
    files.source_file
from files
where files.problem_count = 0
