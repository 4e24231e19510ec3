-- One project is counted under one reporting unit per period: a transferred project
-- reported by both its old and its new unit is a double count.
with rows as (
    select
        f.period,
        f.unit_code,
        f.project_code,
        sum(f.ytd_value) filter (m.canonical_unit = '亿元') as ytd_yi_yuan,
        any_value(f.source_file) as source_file
    from {{ ref('int_arrival_figures_chained') }} as f
    inner join {{ ref('stg_reference__units') }} as u on f.unit_code = u.unit_code
    inner join {{ ref('metrics') }} as m on f.metric = m.metric
    where u.is_reporting_unit
    group by f.period, f.unit_code, f.project_code
),

-- the projects two units or more reported in a month (few), and who reported them
shared as (
    select
        period,
        project_code,
        count(*) as unit_count
    from rows
    group by period, project_code
    having count(*) > 1
),

shared_by as (
    select
        shared.period,
        shared.project_code,
        shared.unit_count,
        string_agg(units.unit_name, '、' order by units.unit_name) as unit_names
    from shared
    inner join rows on shared.period = rows.period and shared.project_code = rows.project_code
    inner join {{ ref('stg_reference__units') }} as units on rows.unit_code = units.unit_code
    group by shared.period, shared.project_code, shared.unit_count
),

counted as (
    select
        rows.*,
        coalesce(shared_by.unit_count, 1) as unit_count,
        shared_by.unit_names
    from rows
    left join shared_by on rows.period = shared_by.period and rows.project_code = shared_by.project_code
),

checks as (
    select
        c.period,
        c.unit_code,
        c.project_code,
        null as scope_code,
        null as metric,
        null as expected_value,
        c.ytd_yi_yuan as actual_value,
        -- the unit that is not the project's reporting unit in the register is the extra count
        c.unit_count > 1 and coalesce(c.unit_code <> p.reporting_unit_code, true) as is_failure,
        c.unit_code as suspect_unit_code,
        'double_count' as suspect_cause,
        case
            when c.unit_count > 1
                then printf(
                    '项目 %s 在 %s 同时由 %s 报送（项目库报送单位为 %s%s）；见 %s',
                    c.project_code,
                    c.period,
                    c.unit_names,
                    coalesce(p.reporting_unit_code, '未知'),
                    coalesce('，流转自 ' || p.transferred_from_code, ''),
                    c.source_file
                )
            else printf('项目 %s 在 %s 只由一个单位报送', c.project_code, c.period)
        end as detail,
        c.source_file
    from counted as c
    left join {{ ref('int_projects_versioned') }} as p on c.project_code = p.project_code
)

{{ rule_result('checks') }}
