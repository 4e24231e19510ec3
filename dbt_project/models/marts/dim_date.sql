-- Month grain, 2020 to 2030: enough for history and targets. has_submissions marks the
-- months the warehouse holds forms for: the months the period-grain marts report on.
with months as (
    select cast(range as date) as month_start_date
    from range(date '2020-01-01', date '2031-01-01', interval 1 month)
)

select
    cast(strftime(month_start_date, '%Y%m') as integer) as date_key,
    strftime(month_start_date, '%Y-%m') as period,
    month_start_date,
    cast(last_day(month_start_date) as date) as month_end_date,
    cast(year(month_start_date) as integer) as calendar_year,
    cast(quarter(month_start_date) as integer) as calendar_quarter,
    cast(month(month_start_date) as integer) as calendar_month,
    cast(month(month_start_date) / 12.0 as double) as elapsed_year_share,
    strftime(month_start_date, '%Y-%m') in (
        select s.period from {{ ref('stg_forms__submissions') }} as s
    ) as has_submissions
from months
