-- Each reporting unit's form S YTD against the sum of its own form A, per month and metric.
-- When the unit has no form A that month but a file of its was set aside, the suspect is that
-- file (missing_submission, with the file and why), not the summary.
with summary as (
    select
        s.period,
        s.unit_code,
        u.unit_name,
        s.metric,
        s.ytd_value,
        s.source_file,
        s.source_row_number
    from {{ ref('stg_forms__summary_indicators') }} as s
    inner join {{ ref('stg_reference__units') }} as u on s.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on s.metric = m.metric
    where s.is_current_submission and u.is_reporting_unit and m.source = 'form_a'
),

detail as (
    select
        period,
        unit_code,
        metric,
        sum(ytd_value) as ytd_value,
        any_value(source_file) as source_file
    from {{ ref('int_arrival_figures_chained') }}
    group by period, unit_code, metric
),

set_aside as (
    select * from {{ ref('int_rejected_files_grouped') }}
),

checks as (
    select
        summary.period,
        summary.unit_code,
        null as project_code,
        null as scope_code,
        summary.metric || '_ytd' as metric,
        coalesce(detail.ytd_value, 0) as expected_value,
        summary.ytd_value as actual_value,
        coalesce(
            abs(summary.ytd_value - coalesce(detail.ytd_value, 0)) > {{ var('amount_tolerance') }}, true
        ) as is_failure,
        summary.unit_code as suspect_unit_code,
        case
            when detail.unit_code is null and set_aside.files is not null then 'missing_submission'
            else 'detail_summary_mismatch'
        end as suspect_cause,
        case
            when detail.unit_code is null and set_aside.files is not null
                then '明细表未能入库：本单位本月被搁置的文件 ' || set_aside.files || '。'
            else ''
        end
        || printf(
            '%s %s 主要指标汇总表 %s 累计 %s %s，明细表合计 %.2f %s（差 %.2f）；见 %s 第%d行',
            summary.unit_name,
            summary.period,
            m.metric_label,
            coalesce(printf('%.2f', summary.ytd_value), '非数字'),
            m.canonical_unit,
            coalesce(detail.ytd_value, 0),
            m.canonical_unit,
            coalesce(summary.ytd_value, 0) - coalesce(detail.ytd_value, 0),
            summary.source_file,
            summary.source_row_number
        ) as detail,
        summary.source_file
    from summary
    left join detail
        on
            summary.period = detail.period
            and summary.unit_code = detail.unit_code
            and summary.metric = detail.metric
    inner join {{ ref('metrics') }} as m on summary.metric = m.metric
    left join set_aside on summary.period = set_aside.period and summary.unit_code = set_aside.unit_code
)

{{ rule_result('checks') }}
