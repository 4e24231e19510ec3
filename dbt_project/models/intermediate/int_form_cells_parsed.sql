-- Every value cell of the current form A and form S files, as typed and as read, with
-- what is wrong with it if anything: the one place that decides whether a cell is
-- acceptable (rule R01 reports these; nothing else re-decides).
with submissions as (
    select * from {{ ref('stg_forms__submissions') }}
    where is_current
),

columns as (
    select * from {{ source('landing', 'file_columns') }}
),

a_rows as (
    select
        r.*,
        s.period,
        s.unit_code
    from {{ source('forms', 'form_a_rows') }} as r
    inner join submissions as s on r.submission_id = s.submission_id
),

a_cells as (
    select
        a_rows.submission_id,
        a_rows.source_file,
        a_rows.sheet,
        a_rows.row_number as source_row_number,
        a_rows.period,
        a_rows.unit_code,
        'form_a' as form,
        a_rows.project_code as row_label,
        u.cell.column_name,
        u.cell.raw_value,
        u.cell.declared_unit,
        u.cell.is_amount
    from a_rows
    cross join unnest([
        struct_pack(column_name := 'project_code', raw_value := a_rows.project_code, declared_unit := null, is_amount := false),
        struct_pack(column_name := 'arrived_out_of_province_month', raw_value := a_rows.arrived_out_of_province_month, declared_unit := a_rows.arrived_out_of_province_month_unit, is_amount := true),
        struct_pack(column_name := 'arrived_out_of_province_ytd', raw_value := a_rows.arrived_out_of_province_ytd, declared_unit := a_rows.arrived_out_of_province_ytd_unit, is_amount := true),
        struct_pack(column_name := 'arrived_in_province_month', raw_value := a_rows.arrived_in_province_month, declared_unit := a_rows.arrived_in_province_month_unit, is_amount := true),
        struct_pack(column_name := 'arrived_in_province_ytd', raw_value := a_rows.arrived_in_province_ytd, declared_unit := a_rows.arrived_in_province_ytd_unit, is_amount := true),
        struct_pack(column_name := 'fdi_utilized_month', raw_value := a_rows.fdi_utilized_month, declared_unit := a_rows.fdi_utilized_month_unit, is_amount := true),
        struct_pack(column_name := 'fdi_utilized_ytd', raw_value := a_rows.fdi_utilized_ytd, declared_unit := a_rows.fdi_utilized_ytd_unit, is_amount := true)
    ]) as u (cell)
),

s_rows as (
    select
        r.*,
        s.period,
        s.unit_code,
        i.metric,
        coalesce(i.measure_kind = 'amount', true) as is_amount_row,
        coalesce(nullif(r.row_unit_key, ''), i.canonical_unit) as row_unit_resolved
    from {{ source('forms', 'form_s_rows') }} as r
    inner join submissions as s on r.submission_id = s.submission_id
    left join {{ ref('indicators') }} as i
        on regexp_replace(r.indicator_key, '\(.*\)$', '') = i.indicator_key
),

s_cells as (
    select
        s_rows.submission_id,
        s_rows.source_file,
        s_rows.sheet,
        s_rows.row_number as source_row_number,
        s_rows.period,
        s_rows.unit_code,
        'form_s' as form,
        s_rows.indicator as row_label,
        u.cell.column_name,
        u.cell.raw_value,
        u.cell.declared_unit,
        u.cell.is_amount
    from s_rows
    cross join unnest([
        struct_pack(column_name := 'indicator', raw_value := case when s_rows.metric is not null then s_rows.indicator end, declared_unit := null, is_amount := false),
        struct_pack(column_name := 'month', raw_value := s_rows.month, declared_unit := case when s_rows.is_amount_row then s_rows.row_unit_resolved end, is_amount := true),
        struct_pack(column_name := 'ytd', raw_value := s_rows.ytd, declared_unit := case when s_rows.is_amount_row then s_rows.row_unit_resolved end, is_amount := true)
    ]) as u (cell)
),

cells as (
    select * from a_cells
    union all
    select * from s_cells
),

parsed as (
    select
        cells.*,
        {{ parse_number('cells.raw_value') }} as parsed_value,
        {{ unit_factor('cells.declared_unit') }} as factor
    from cells
)

select
    parsed.submission_id,
    parsed.source_file,
    parsed.sheet,
    parsed.source_row_number,
    parsed.period,
    parsed.unit_code,
    parsed.form,
    parsed.row_label,
    parsed.column_name,
    columns.header_label,
    columns.column_letter,
    parsed.raw_value,
    parsed.declared_unit,
    parsed.parsed_value,
    case
        when not parsed.is_amount and parsed.raw_value is null
            then case parsed.column_name when 'indicator' then 'unknown_indicator' else 'missing_value' end
        when not parsed.is_amount then null
        when parsed.parsed_value is null then 'not_a_number'
        when parsed.parsed_value < 0 then 'negative'
        when parsed.declared_unit is not null and parsed.factor is null then 'unknown_unit'
    end as problem
from parsed
left join columns
    on parsed.submission_id = columns.submission_id and parsed.column_name = columns.column_name
