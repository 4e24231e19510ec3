-- 考核口径: each project moved between reporting units (the current register's 流转自 and
-- 流转日期) under a row of the city's 利益分成 scheme in force on the move's date, with the
-- share credited to the unit it came from and the months it applies to: from the move to
-- sharing_years later (a month counts when its last day is in [move date, end date)).
-- Ephemeral: read by the bulletin and the league table. No scheme, no rows.
{{ config(materialized='ephemeral') }}

select
    p.project_code,
    p.transferred_from_code as from_unit_code,
    p.reporting_unit_code as to_unit_code,
    p.transferred_date,
    cast(p.transferred_date + interval '1 year' * s.sharing_years as date) as sharing_ends_date,
    s.referrer_share_pct,
    s.league_bonus_points,
    extract(year from p.transferred_date) as move_year
from {{ ref('int_projects_versioned') }} as p
inner join {{ ref('stg_reference__transfer_sharing') }} as s
    on p.transferred_date between s.valid_from and coalesce(s.valid_to, date '9999-12-31')
where
    p.transferred_from_code is not null
    and p.transferred_from_code <> p.reporting_unit_code
