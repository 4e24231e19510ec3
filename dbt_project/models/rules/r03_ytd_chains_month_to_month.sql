-- Per project and metric: last month's YTD + this month = this month's YTD. When last month's
-- YTD was typed in the wrong unit (int_unit_slips_found) and the chain holds with its
-- corrected value, the break is that slip's echo: it points to the slip (unit_scale, the
-- slip's month in cause_period), and alerts group it with it. A project the register does not
-- know has no chain to check (R07 names it), nor has a month after one the unit never sent
-- (R11 names that).
with registered as (
    select distinct project_code from {{ ref('stg_register__projects') }}
),

slips as (
    select * from {{ ref('int_unit_slips_found') }}
    where form = 'form_a' and is_slip and excess_ytd <> 0
),

figures as (
    select
        f.*,
        s.period as slip_period,
        s.corrected_ytd as slip_corrected_ytd,
        coalesce(
            abs(f.ytd_value - (s.corrected_ytd + f.month_reported)) <= {{ var('amount_tolerance') }}, false
        ) as is_echo
    from {{ ref('int_arrival_figures_chained') }} as f
    left join slips as s
        on
            f.project_code = s.project_code
            and f.unit_code = s.unit_code
            and f.metric = s.metric
            and s.period = strftime(cast(f.period || '-01' as date) - interval 1 month, '%Y-%m')
            and left(s.period, 4) = left(f.period, 4)
),

checks as (
    select
        f.period,
        f.unit_code,
        f.project_code,
        null as scope_code,
        f.metric || '_ytd' as metric,
        f.previous_month_ytd + f.month_reported as expected_value,
        f.ytd_value as actual_value,
        coalesce(
            abs(f.ytd_value - (f.previous_month_ytd + f.month_reported)) > {{ var('amount_tolerance') }}, true
        ) as is_failure,
        f.unit_code as suspect_unit_code,
        case when f.is_echo then 'unit_scale' else 'ytd_break' end as suspect_cause,
        case when f.is_echo then f.slip_period end as cause_period,
        printf(
            '%s %s 项目 %s %s：上月止累计 %.2f + 本月 %s ≠ 本月止累计 %s %s%s；见 %s 第%d行',
            u.unit_name,
            f.period,
            f.project_code,
            m.metric_label,
            f.previous_month_ytd,
            coalesce(printf('%.2f', f.month_reported), '非数字'),
            coalesce(printf('%.2f', f.ytd_value), '非数字'),
            m.canonical_unit,
            case
                when f.is_echo
                    then printf(
                        '（系 %s 单位错误的延续：该月累计应约为 %.2f，按此则衔接）',
                        f.slip_period,
                        f.slip_corrected_ytd
                    )
                else ''
            end,
            f.source_file,
            f.source_row_number
        ) as detail,
        f.source_file
    from figures as f
    inner join {{ ref('stg_reference__units') }} as u on f.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
    where
        f.project_code in (select r.project_code from registered as r)
        and f.has_previous_month_form
        and (
            f.ytd_value is distinct from 0
            or f.month_reported is distinct from 0
            or f.previous_month_ytd <> 0
        )
)

{{ rule_result('checks', with_cause_period=true) }}
