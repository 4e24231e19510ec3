-- The province's published YTD figure per prefecture (and for the province), per month.
-- A figure with no declared unit is in the metric's canonical unit (the contract's form);
-- one whose declared unit the units_of_measure seed cannot convert has no value, and R01
-- names its file and row (never read as the canonical unit).
with current_figures as (
    {{ current_rows(source('published', 'province_figures')) }}
),

rows as (
    select
        *,
        regexp_replace(indicator_key, '\(.*\)$', '') as indicator_stem
    from current_figures
),

converted as (
    select
        rows.*,
        indicators.metric,
        metrics.canonical_unit,
        case
            when rows.ytd_unit is null then 1.0
            else {{ unit_factor('rows.ytd_unit', 'metrics.canonical_unit') }}
        end as factor
    from rows
    left join {{ ref('indicators') }} as indicators on rows.indicator_stem = indicators.indicator_key
    left join {{ ref('metrics') }} as metrics on indicators.metric = metrics.metric
)

select
    rows.submission_id,
    rows.source_file,
    rows.row_number as source_row_number,
    rows.period,
    rows.area_name,
    labels.unit_code as area_code,
    rows.indicator,
    rows.metric,
    rows.canonical_unit,
    rows.ytd_unit as declared_unit,
    coalesce(rows.ytd_unit is not null and rows.canonical_unit is not null and rows.factor is null, false)
        as has_unknown_unit,
    cast({{ parse_number('rows.ytd') }} * rows.factor as decimal(24, 8)) as ytd_value,
    cast({{ parse_optional_number('rows.yoy_pct') }} as double) as yoy_growth_pct
from converted as rows
left join {{ ref('stg_reference__unit_labels') }} as labels on rows.area_key = labels.label_key
