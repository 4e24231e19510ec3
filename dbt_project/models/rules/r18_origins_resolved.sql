-- R18 来源地可识别: the investor origin of every project with money on a reporting unit's
-- form resolves to a place precise enough for R17 (a country or region; in China a province,
-- and the prefecture when it is the unit's own province). One row per project, unit and
-- month; an origin that does not resolve is named, never guessed.
with projects as (
    select
        period,
        unit_code,
        project_code,
        investor_origin,
        country_code,
        min(origin_class) as origin_class,
        min(source_file) as source_file,
        min(source_row_number) as source_row_number
    from {{ ref('int_arrival_origins_classified') }}
    group by period, unit_code, project_code, investor_origin, country_code
),

checks as (
    select
        period,
        unit_code,
        project_code,
        null as scope_code,
        null as metric,
        null as expected_value,
        null as actual_value,
        origin_class is null as is_failure,
        unit_code as suspect_unit_code,
        'unresolved_origin' as suspect_cause,
        '项目 ' || project_code || ' 投资方来源地'
        || case
            when investor_origin is null or trim(investor_origin) = '' then '为空，无法核对资金口径；请在项目库中填写'
            when country_code is null
                then '「' || investor_origin || '」无法识别为省、市或国家（地区），无法核对资金口径；请在项目库中写明'
            when origin_class is null
                then '「' || investor_origin || '」只写到本省，无法区分省内市外与市内；请在项目库中写明到市（州）'
            else '「' || investor_origin || '」已识别'
        end
        || '；见 ' || source_file || ' 第' || cast(source_row_number as varchar) || '行' as detail,
        source_file
    from projects
)

{{ rule_result('checks') }}
