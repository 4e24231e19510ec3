-- 产业链: per month, prefecture and chain of the scheme in force that month (KM2022 4+4+1,
-- KM2023 8+N): the chain's 链长 and lead department, its money this month and YTD (from the
-- fact), and its projects signed, started and in production this year, its 10亿元以上
-- projects signed and the amount agreed (from the register). Money or projects no chain of
-- the scheme claims are one row, chain_code '_unassigned' (R14 names it): the chains of a
-- city add up to its total.

with periods as (
    select
        period,
        month_start_date,
        month_end_date,
        calendar_year
    from {{ ref('dim_date') }}
    where has_submissions
),

chains as (
    select * from {{ ref('dim_chain') }}
),

districts as (
    select * from {{ ref('dim_district') }}
),

prefectures as (
    select distinct prefecture_code from districts
    where is_reporting_unit
),

-- every chain of the scheme in force, in every prefecture, every month
spine as (
    select
        periods.period,
        periods.month_start_date,
        prefectures.prefecture_code,
        chains.chain_key,
        chains.scheme,
        chains.chain_code,
        chains.chain_name,
        chains.leader,
        chains.lead_department
    from periods
    cross join prefectures
    inner join chains
        on periods.month_start_date between chains.valid_from and coalesce(chains.valid_to, date '9999-12-31')
),

money as (
    select
        f.period,
        d.prefecture_code,
        coalesce(f.chain_key, '_unassigned') as chain_key,
        {%- for metric in form_a_metrics() %}
            sum(f.{{ metric }}_month) as {{ metric }}_month,
            sum(f.{{ metric }}_ytd) as {{ metric }}_ytd{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('fact_capital_arrival') }} as f
    inner join districts as d on f.district_key = d.district_key
    group by f.period, d.prefecture_code, coalesce(f.chain_key, '_unassigned')
),

schemes as (
    select
        scheme,
        min(valid_from) as valid_from,
        max(coalesce(valid_to, date '9999-12-31')) as valid_to
    from chains
    group by scheme
),

project_events as (
    -- the register's events of the year up to the month, by the chain of the scheme in force
    select
        p.period,
        d.prefecture_code,
        coalesce(c.chain_key, '_unassigned') as chain_key,
        e.metric,
        sum(e.value) as ytd_value
    from periods as p
    inner join {{ ref('int_register_events') }} as e
        on e.event_date between make_date(p.calendar_year, 1, 1) and p.month_end_date
    inner join districts as d
        on e.reporting_unit_code = d.unit_code and p.month_end_date between d.valid_from and coalesce(d.valid_to, date '9999-12-31')
    left join schemes as s on p.month_start_date between s.valid_from and s.valid_to
    left join {{ ref('int_project_chains_mapped') }} as m on e.project_code = m.project_code and s.scheme = m.scheme
    left join chains as c on m.scheme = c.scheme and m.chain_code = c.chain_code
    group by p.period, d.prefecture_code, coalesce(c.chain_key, '_unassigned'), e.metric
),

counts as (
    select
        period,
        prefecture_code,
        chain_key,
        coalesce(sum(ytd_value) filter (metric = 'projects_signed'), 0) as projects_signed_ytd,
        coalesce(sum(ytd_value) filter (metric = 'projects_started'), 0) as projects_started_ytd,
        coalesce(sum(ytd_value) filter (metric = 'projects_in_production'), 0) as projects_in_production_ytd,
        coalesce(sum(ytd_value) filter (metric = 'major_projects_signed'), 0) as major_projects_signed_ytd,
        coalesce(sum(ytd_value) filter (metric = 'agreed_amount_signed'), 0) as agreed_amount_signed_ytd
    from project_events
    group by period, prefecture_code, chain_key
),

unassigned as (
    select distinct
        period,
        prefecture_code
    from (
        select
            period,
            prefecture_code
        from money
        where chain_key = '_unassigned'
        union all
        select
            period,
            prefecture_code
        from counts
        where chain_key = '_unassigned'
    ) as loose
),

rows as (
    select
        period,
        prefecture_code,
        chain_key,
        scheme,
        chain_code,
        chain_name,
        leader,
        lead_department
    from spine
    union all
    select
        u.period,
        u.prefecture_code,
        '_unassigned' as chain_key,
        null as scheme,
        '_unassigned' as chain_code,
        '未归入产业链' as chain_name,
        null as leader,
        null as lead_department
    from unassigned as u
)

select
    r.period,
    cast(r.period || '-01' as date) as period_date,
    r.prefecture_code,
    d.unit_name as prefecture_name,
    r.scheme,
    r.chain_code,
    r.chain_name,
    r.leader,
    r.lead_department,
    {%- for metric in form_a_metrics() %}
        cast(coalesce(m.{{ metric }}_month, 0) as decimal(24, 8)) as {{ metric }}_month,
        cast(coalesce(m.{{ metric }}_ytd, 0) as decimal(24, 8)) as {{ metric }}_ytd,
    {%- endfor %}
    cast(coalesce(c.projects_signed_ytd, 0) as integer) as projects_signed_ytd,
    cast(coalesce(c.projects_started_ytd, 0) as integer) as projects_started_ytd,
    cast(coalesce(c.projects_in_production_ytd, 0) as integer) as projects_in_production_ytd,
    cast(coalesce(c.major_projects_signed_ytd, 0) as integer) as major_projects_signed_ytd,
    cast(coalesce(c.agreed_amount_signed_ytd, 0) as decimal(24, 8)) as agreed_amount_signed_ytd
from rows as r
inner join districts as d on r.prefecture_code = d.unit_code
left join money as m on r.period = m.period and r.prefecture_code = m.prefecture_code and r.chain_key = m.chain_key
left join counts as c on r.period = c.period and r.prefecture_code = c.prefecture_code and r.chain_key = c.chain_key
where {{ in_period_window('r.period') }}
