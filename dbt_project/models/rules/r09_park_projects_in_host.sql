-- Every figure a park reports appears, with the same amount, in its host unit's form A.
with figures as (
    select * from {{ ref('int_arrival_figures_chained') }}
),

park_rows as (
    select
        f.*,
        u.host_unit_code,
        u.unit_name as park_name
    from figures as f
    inner join {{ ref('stg_reference__units') }} as u on f.unit_code = u.unit_code
    where u.unit_type = 'park'
),

checks as (
    select
        p.period,
        p.unit_code,
        p.project_code,
        null as scope_code,
        p.metric || '_ytd' as metric,
        p.ytd_value as expected_value,
        h.ytd_value as actual_value,
        h.ytd_value is null and p.ytd_value <> 0
        or abs(coalesce(h.ytd_value, 0) - coalesce(p.ytd_value, 0)) > {{ var('amount_tolerance') }} as is_failure,
        p.host_unit_code as suspect_unit_code,
        'other' as suspect_cause,
        printf(
            '%s %s 项目 %s %s：园区报 %s，所在县区 %s %s；见 %s 第%d行',
            p.park_name,
            p.period,
            p.project_code,
            m.metric_label,
            coalesce(printf('%.2f', p.ytd_value), '非数字'),
            p.host_unit_code,
            coalesce(printf('报 %.2f', h.ytd_value), '明细表中没有该项目'),
            p.source_file,
            p.source_row_number
        ) as detail,
        p.source_file
    from park_rows as p
    left join figures as h
        on
            p.period = h.period
            and p.host_unit_code = h.unit_code
            and p.project_code = h.project_code
            and p.metric = h.metric
    inner join {{ ref('metrics') }} as m on p.metric = m.metric
    where p.ytd_value <> 0 or h.ytd_value <> 0
)

{{ rule_result('checks') }}
