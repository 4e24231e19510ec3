-- Each YTD against the same project's (form A) or unit's (form S) previous YTD of the year.
-- YTD moves by a factor of 1 to a few from month to month; a factor of 10³ or more (up or
-- down) is a scale slip. Figures below a floor (0.1 亿元, 100 万美元) are not compared.
with project_steps as (
    select
        f.period,
        f.unit_code,
        f.project_code,
        f.metric,
        f.ytd_value,
        f.last_earlier_ytd as previous_value,
        f.last_earlier_period as previous_period,
        f.source_file,
        f.source_row_number,
        '明细表' as form_label
    from {{ ref('int_arrival_figures_chained') }} as f
),

summaries as (
    select
        s.*,
        lag(s.ytd_value) over (
            partition by s.unit_code, s.metric, left(s.period, 4) order by s.period
        ) as previous_value,
        lag(s.period) over (
            partition by s.unit_code, s.metric, left(s.period, 4) order by s.period
        ) as previous_period
    from {{ ref('stg_forms__summary_indicators') }} as s
    inner join {{ ref('metrics') }} as m on s.metric = m.metric
    where s.is_current_submission and m.source = 'form_a'
),

unit_steps as (
    select
        period,
        unit_code,
        null as project_code,
        metric,
        ytd_value,
        previous_value,
        previous_period,
        source_file,
        source_row_number,
        '汇总表' as form_label
    from summaries
),

steps as (
    select
        steps.*,
        log10(steps.ytd_value / steps.previous_value) as magnitude
    from (
        select * from project_steps
        union all
        select * from unit_steps
    ) as steps
    where
        steps.ytd_value > 0
        and steps.previous_value >= case when steps.metric = 'fdi_utilized' then 100 else 0.1 end
),

checks as (
    select
        s.period,
        s.unit_code,
        s.project_code,
        null as scope_code,
        s.metric || '_ytd' as metric,
        -- the value the figure most likely should have been: scaled back by 10^2 or 10^4
        s.ytd_value / power(10, round(s.magnitude / 2) * 2) as expected_value,
        s.ytd_value as actual_value,
        abs(s.magnitude) >= 3 as is_failure,
        s.unit_code as suspect_unit_code,
        'unit_scale' as suspect_cause,
        printf(
            '%s %s %s%s %s 累计 %.2f %s，为 %s 的 %.4g 倍，疑似%s；见 %s 第%d行',
            u.unit_name,
            s.period,
            s.form_label,
            coalesce(' 项目 ' || s.project_code, ''),
            m.metric_label,
            s.ytd_value,
            m.canonical_unit,
            s.previous_period,
            power(10, s.magnitude),
            case
                when s.magnitude > 0 and s.metric = 'fdi_utilized' then '把美元或万美元填成了更大的单位'
                when s.magnitude > 0 then '把万元填成了亿元'
                else '把亿元填成了万元'
            end,
            s.source_file,
            s.source_row_number
        ) as detail,
        s.source_file
    from steps as s
    inner join {{ ref('stg_reference__units') }} as u on s.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on s.metric = m.metric
)

{{ rule_result('checks') }}
