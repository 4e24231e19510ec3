-- The city's 利益分成 scheme for moved projects (reference/transfer_sharing.csv, optional):
-- each row in force for the moves dated from valid_from to valid_to. Without the file, no
-- move is shared (考核口径 = 统计口径).
with current_rows as (
    {{ current_rows(source('reference', 'ref_transfer_sharing')) }}
)

select
    cast(valid_from as date) as valid_from,
    try_cast(nullif(trim(valid_to), '') as date) as valid_to,
    cast(referrer_share_pct as decimal(9, 4)) as referrer_share_pct,
    cast(years as integer) as sharing_years,
    cast(coalesce(nullif(trim(league_bonus_points), ''), '0') as decimal(9, 4)) as league_bonus_points
from current_rows
