-- Every reporting unit valid in a month sent both forms; once the deadline (day
-- var('deadline_day') of the following month, Beijing date) has passed, a missing form is
-- a failure naming the unit. Before it, the unit is listed as still to come. A form whose
-- file came but was set aside is said so, with the file and why (it was sent, not usable).
with submissions as (
    select * from {{ ref('stg_forms__submissions') }}
),

periods as (
    select distinct period from submissions
),

forms as (
    select unnest(['form_a', 'form_s']) as form
),

expected as (
    select
        periods.period,
        units.unit_code,
        units.unit_name,
        forms.form,
        {{ deadline_date('periods.period') }} as deadline_date
    from periods
    inner join {{ ref('stg_reference__units') }} as units
        on
            units.is_reporting_unit
            and last_day(cast(periods.period || '-01' as date))
            between units.valid_from and coalesce(units.valid_to, date '9999-12-31')
    cross join forms
),

received as (
    select
        period,
        unit_code,
        form,
        any_value(source_file) as source_file
    from submissions
    where is_current
    group by period, unit_code, form
),

set_aside as (
    select * from {{ ref('int_rejected_files_grouped') }}
),

checks as (
    select
        e.period,
        e.unit_code,
        null as project_code,
        null as scope_code,
        null as metric,
        null as expected_value,
        null as actual_value,
        -- late only once the deadline has passed
        r.unit_code is null and {{ run_date() }} > e.deadline_date as is_failure,
        e.unit_code as suspect_unit_code,
        'missing_submission' as suspect_cause,
        printf(
            '%s %s %s',
            e.unit_name,
            e.period,
            case
                when r.unit_code is null and a.files is not null
                    then
                        '的' || case e.form when 'form_a' then '到位资金明细表' else '主要指标汇总表' end
                        || '未能入库：被搁置的文件 ' || a.files || '，请修改后重新报送（截止日期 '
                        || strftime(e.deadline_date, '%Y-%m-%d')
                        || '）'
                when r.unit_code is null
                    then
                        '未报送' || case e.form when 'form_a' then '到位资金明细表' else '主要指标汇总表' end
                        || '（截止日期 '
                        || strftime(e.deadline_date, '%Y-%m-%d')
                        || '）'
                else '已报送 ' || r.source_file
            end
        ) as detail,
        r.source_file
    from expected as e
    left join received as r on e.period = r.period and e.unit_code = r.unit_code and e.form = r.form
    left join set_aside as a on e.period = a.period and e.unit_code = a.unit_code
)

{{ rule_result('checks') }}
