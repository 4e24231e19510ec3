-- The files set aside for each unit and month (unreadable, unknown form, …), listed with why,
-- so that a missing form whose file came but was set aside is named as such — by R02, R11
-- and the culprits of failed totals — not as "never sent" or "summary disagrees with detail".
-- Files of a month that has not ended yet are not listed: they are looked at again later.
select
    period,
    unit_code,
    count(*) as file_count,
    string_agg(
        source_file || '（' || replace(detail, source_file || ': ', '') || '）', '；'
        order by source_file
    ) as files
from {{ ref('stg_landing__rejected_files') }}
where unit_code is not null and period is not null and reason <> 'period_outside_window'
group by period, unit_code
