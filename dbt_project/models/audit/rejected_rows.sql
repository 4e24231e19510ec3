-- Cells of the current submissions that cannot be accepted (rule R01 reports them too):
-- file, sheet, row and column as a clerk finds them in Excel, the value, what is wrong.
select
    source_file,
    sheet,
    source_row_number as row_number,
    column_letter,
    {{ safe_text('coalesce(header_label, column_name)') }} as column_label,
    {{ safe_text('raw_value') }} as value,
    problem as reason,
    case problem
        when 'not_a_number' then '数字，如 1234.56（可带千分位、全角数字）'
        when 'negative' then '大于或等于 0 的金额'
        when 'unknown_unit' then '元、万元、亿元、美元、万美元或亿美元'
        when 'unknown_indicator' then '主要指标汇总表中的指标名称'
        else '必填'
    end as expected,
    period,
    unit_code
from {{ ref('int_form_cells_parsed') }}
where problem is not null
