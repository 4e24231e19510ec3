-- Form S metric rows of every version received, typed: amounts in canonical units (亿元,
-- 万美元), counts as counts. The texts as typed stay beside the values, for the cell checks
-- (int_form_cells_parsed).
with rows as (
    select
        *,
        regexp_replace(indicator_key, '\(.*\)$', '') as indicator_stem
    from {{ source('forms', 'form_s_rows') }}
),

versions as (
    select * from {{ ref('stg_forms__submission_versions') }}
),

typed as (
    select
        rows.submission_id,
        rows.source_file,
        rows.sheet,
        rows.row_number as source_row_number,
        versions.period,
        versions.unit_code,
        versions.is_current as is_current_submission,
        rows.indicator,
        metrics.metric,
        metrics.measure_kind,
        metrics.canonical_unit,
        -- an amount row's own unit (normalised: 億元 is 亿元), else the metric's canonical one
        case
            when metrics.measure_kind = 'amount'
                then coalesce(nullif(rows.row_unit_key, ''), metrics.canonical_unit)
        end as declared_unit,
        rows.month as month_text,
        rows.ytd as ytd_text,
        rows.last_year_ytd,
        rows.annual_target,
        rows.yoy_pct,
        rows.completion_pct
    from rows
    inner join versions on rows.submission_id = versions.submission_id
    left join {{ ref('indicators') }} as indicators on rows.indicator_stem = indicators.indicator_key
    left join {{ ref('metrics') }} as metrics on indicators.metric = metrics.metric
),

factored as (
    select
        *,
        case
            when measure_kind = 'count' then 1.0
            else {{ unit_factor('typed.declared_unit', 'typed.canonical_unit') }}
        end as factor
    from typed
)

select
    submission_id,
    source_file,
    sheet,
    source_row_number,
    period,
    unit_code,
    is_current_submission,
    indicator,
    metric,
    measure_kind,
    canonical_unit,
    declared_unit,
    month_text,
    ytd_text,
    cast({{ parse_number('month_text') }} * factor as decimal(24, 8)) as month_value,
    cast({{ parse_number('ytd_text') }} * factor as decimal(24, 8)) as ytd_value,
    cast({{ parse_number('last_year_ytd') }} * factor as decimal(24, 8)) as last_year_ytd_value,
    cast({{ parse_optional_number('annual_target') }} * factor as decimal(24, 8))
        as annual_target_value,
    cast({{ parse_optional_number('yoy_pct') }} as double) as yoy_growth_pct_reported,
    cast({{ parse_optional_number('completion_pct') }} as double) as completion_rate_pct_reported
from factored
