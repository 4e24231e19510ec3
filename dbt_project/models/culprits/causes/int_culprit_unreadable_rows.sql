-- other (R13): a row set aside for an unreadable cell (R01), its money not counted: − its
-- amount (a range when the unreadable cell is the amount).

with figures as (
    select * from {{ ref('int_arrival_figures_chained') }}
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

set_aside_rows as (
    select distinct
        submission_id,
        source_row_number
    from {{ ref('int_form_cells_parsed') }}
    where form = 'form_a' and problem is not null
),

set_aside_amounts as (
    select
        'R13' as rule_id,
        f.period,
        f.unit_code,
        f.metric || '_ytd' as metric,
        'other' as cause,
        -coalesce(f.ytd_value, f.last_earlier_ytd) as amount_low,
        -coalesce(f.ytd_value, 2 * f.last_earlier_ytd) as amount_high,
        'figure|' || f.period || '|' || f.unit_code || '|' || f.project_code || '|' || f.metric as defect_key,
        '项目 ' || f.project_code || ' 所在行（' || f.source_file || ' 第' || f.source_row_number
        || '行）有无法读取的单元格，整行未计入' as note
    from figures as f
    inner join set_aside_rows as s
        on f.submission_id = s.submission_id and f.source_row_number = s.source_row_number
    inner join units as u on f.unit_code = u.unit_code
    inner join {{ ref('stg_register__projects') }} as p on f.project_code = p.project_code
    where u.is_reporting_unit
    qualify row_number() over (partition by f.submission_id, f.source_row_number, f.metric order by p.register_version_id) = 1
)

{{ cause_result('set_aside_amounts', ranged=true) }}
