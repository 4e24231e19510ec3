-- Form S metric rows, typed; amounts in canonical units (亿元, 万美元), counts as counts.
with rows as (
    select
        *,
        regexp_replace(indicator_key, '\(.*\)$', '') as indicator_stem
    from {{ source('forms', 'form_s_rows') }}
),

submissions as (
    select * from {{ ref('stg_forms__submissions') }}
),

indicators as (
    select * from {{ ref('indicators') }}
),

typed as (
    select
        rows.submission_id,
        rows.source_file,
        rows.row_number as source_row_number,
        submissions.period,
        submissions.unit_code,
        submissions.is_current as is_current_submission,
        rows.indicator,
        indicators.metric,
        indicators.measure_kind,
        indicators.canonical_unit,
        -- the row's own unit (normalised: 億元 is 亿元), else the metric's canonical one
        case
            when indicators.measure_kind = 'count' then 1.0
            else {{ unit_factor("coalesce(nullif(rows.row_unit_key, ''), indicators.canonical_unit)") }}
        end as factor,
        rows.month,
        rows.ytd,
        rows.last_year_ytd,
        rows.annual_target,
        rows.yoy_pct,
        rows.completion_pct
    from rows
    inner join submissions on rows.submission_id = submissions.submission_id
    left join indicators on rows.indicator_stem = indicators.indicator_key
)

select
    submission_id,
    source_file,
    source_row_number,
    period,
    unit_code,
    is_current_submission,
    indicator,
    metric,
    measure_kind,
    canonical_unit,
    cast({{ parse_number('month') }} * factor as decimal(24, 8)) as month_value,
    cast({{ parse_number('ytd') }} * factor as decimal(24, 8)) as ytd_value,
    cast({{ parse_number('last_year_ytd') }} * factor as decimal(24, 8)) as last_year_ytd_value,
    cast({{ parse_optional_number('annual_target') }} * factor as decimal(24, 8))
        as annual_target_value,
    cast({{ parse_optional_number('yoy_pct') }} as double) as yoy_growth_pct_reported,
    cast({{ parse_optional_number('completion_pct') }} as double) as completion_rate_pct_reported
from typed
