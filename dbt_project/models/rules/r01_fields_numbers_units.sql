-- Every value cell of the current forms: a cell that cannot be accepted is a failure
-- naming file, sheet, row and column (int_form_cells_parsed decides and says why); a file
-- whose cells are all readable is one passing row. The province's published figures too:
-- a figure in a unit the catalogue cannot convert is a failure naming file and row.
with cells as (
    select * from {{ ref('int_form_cells_parsed') }}
),

province_units as (
    select
        period,
        null as unit_code,
        null as project_code,
        area_code as scope_code,
        metric || '_ytd' as metric,
        null as expected_value,
        null as actual_value,
        true as is_failure,
        null as suspect_unit_code,
        'other' as suspect_cause,
        printf(
            '%s 第%d行 `1-N月累计`（%s %s）：单位''%s''无法识别，无法换算为%s',
            source_file,
            source_row_number,
            area_name,
            indicator,
            declared_unit,
            canonical_unit
        ) as detail,
        source_file
    from {{ ref('stg_published__province_figures') }}
    where has_unknown_unit
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
),

checks as (
    select
        period,
        unit_code,
        case when form = 'form_a' then row_label end as project_code,
        null as scope_code,
        case when form = 'form_a' and column_name <> 'project_code' then column_name end as metric,
        null as expected_value,
        null as actual_value,
        true as is_failure,
        unit_code as suspect_unit_code,
        'other' as suspect_cause,
        printf(
            '%s（工作表 %s）第%d行 `%s`（%s列）：%s',
            source_file,
            sheet,
            source_row_number,
            coalesce(header_label, column_name),
            coalesce(column_letter, '?'),
            reason
        ) as detail,
        source_file
    from cells
    where problem is not null

    union all

    select
        period,
        unit_code,
        null as project_code,
        null as scope_code,
        null as metric,
        null as expected_value,
        null as actual_value,
        false as is_failure,
        null as suspect_unit_code,
        null as suspect_cause,
        printf('%s：%d 个单元格均可读', source_file, cell_count) as detail,
        source_file
    from files
    where problem_count = 0

    union all

    select * from province_units
)

{{ rule_result('checks') }}
