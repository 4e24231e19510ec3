-- Every version ever received of every form A and form S, superseded ones included: the
-- submission history. Versions of one unit, month and form are numbered in the order they
-- count (填报日期, then file name, then load); the last, if no newer file replaced it at its
-- path, is the one in force.
with files as (
    select * from {{ ref('stg_landing__files') }}
    where kind in ('form_a', 'form_s')
),

numbered as (
    select
        submission_id,
        source_file,
        file_sha256,
        period,
        unit_code,
        kind as form,
        filled_date,
        loaded_at,
        superseded_at,
        row_number() over (
            partition by period, unit_code, kind
            order by is_current_version, filled_date nulls first, source_file, loaded_at
        ) as version_number,
        count(*) over (partition by period, unit_code, kind) as version_count
    from files
)

select
    *,
    superseded_at is null and version_number = version_count as is_current
from numbered
