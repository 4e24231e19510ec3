-- The province's published YTD figure per prefecture (and for the province), per month.
with current_figures as (
    {{ current_rows(source('published', 'province_figures')) }}
),

rows as (
    select
        *,
        regexp_replace(indicator_key, '\(.*\)$', '') as indicator_stem
    from current_figures
)

select
    rows.submission_id,
    rows.source_file,
    rows.row_number as source_row_number,
    rows.period,
    rows.area_name,
    labels.unit_code as area_code,
    rows.indicator,
    indicators.metric,
    metrics.canonical_unit,
    cast(
        {{ parse_number('rows.ytd') }}
        * coalesce({{ unit_factor('rows.ytd_unit', 'metrics.canonical_unit') }}, 1.0) as decimal(24, 8)
    ) as ytd_value,
    cast({{ parse_optional_number('rows.yoy_pct') }} as double) as yoy_growth_pct
from rows
left join {{ ref('stg_reference__unit_labels') }} as labels on rows.area_key = labels.label_key
left join {{ ref('indicators') }} as indicators on rows.indicator_stem = indicators.indicator_key
left join {{ ref('metrics') }} as metrics on indicators.metric = metrics.metric
