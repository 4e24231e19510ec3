-- Per city, month and metric: the fact's money assigned to a chain of the scheme in force
-- adds up to the city's total (every yuan belongs to exactly one chain).
with facts as (
    select
        f.*,
        d.prefecture_code
    from {{ ref('fact_capital_arrival') }} as f
    inner join {{ ref('dim_district') }} as d on f.district_key = d.district_key
),

amounts as (
    select
        facts.period,
        facts.prefecture_code,
        facts.unit_code,
        facts.chain_key,
        u.cell.metric,
        u.cell.ytd_value
    from facts
    cross join unnest([
        {%- for metric in form_a_metrics() %}
            struct_pack(metric := '{{ metric }}', ytd_value := facts.{{ metric }}_ytd)
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ]) as u (cell)
),

totals as (
    select
        period,
        prefecture_code,
        metric,
        sum(ytd_value) as total_value,
        coalesce(sum(ytd_value) filter (chain_key is not null), 0) as chained_value
    from amounts
    group by period, prefecture_code, metric
),

unassigned as (
    select
        period,
        prefecture_code,
        metric,
        unit_code,
        sum(ytd_value) as ytd_value
    from amounts
    where chain_key is null
    group by period, prefecture_code, metric, unit_code
    qualify row_number() over (partition by period, prefecture_code, metric order by sum(ytd_value) desc) = 1
),

checks as (
    select
        t.period,
        null as unit_code,
        null as project_code,
        t.prefecture_code as scope_code,
        t.metric || '_ytd' as metric,
        t.total_value as expected_value,
        t.chained_value as actual_value,
        abs(t.total_value - t.chained_value) > {{ var('amount_tolerance') }} as is_failure,
        u.unit_code as suspect_unit_code,
        'other' as suspect_cause,
        printf(
            '%s %s：各产业链合计 %.2f %s，全市合计 %.2f %s%s',
            t.period,
            m.metric_label,
            t.chained_value,
            m.canonical_unit,
            t.total_value,
            m.canonical_unit,
            coalesce(printf('；未归入产业链最多的是 %s（%.2f）', u.unit_code, u.ytd_value), '')
        ) as detail,
        null as source_file
    from totals as t
    inner join {{ ref('metrics') }} as m on t.metric = m.metric
    left join unassigned as u
        on t.period = u.period and t.prefecture_code = u.prefecture_code and t.metric = u.metric
)

{{ rule_result('checks') }}
