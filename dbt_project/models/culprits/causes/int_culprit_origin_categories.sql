-- origin_category (R13): money under a category its investor's origin does not allow (R17)
-- is in the wrong total: + its YTD in the total it sits in (a province nets it out of that
-- category), − in the one it belongs to (none for 市内 money: no total above the county
-- counts it).

with failures as (
    select
        period,
        unit_code,
        project_code,
        metric,
        actual_value
    from {{ ref('r17_origin_matches_category') }}
    where is_failure
),

classified as (
    select
        period,
        unit_code,
        project_code,
        metric || '_ytd' as metric,
        origin_class
    from {{ ref('int_arrival_origins_classified') }}
),

belongs as (
    select
        metric,
        origin_class
    from {{ ref('metrics') }}
    where origin_class is not null
),

moved as (
    select
        'R13' as rule_id,
        f.period,
        f.unit_code,
        f.metric,
        'origin_category' as cause,
        f.actual_value as amount,
        'origin|' || f.period || '|' || f.unit_code || '|' || f.project_code || '|' || f.metric as defect_key,
        '项目 ' || f.project_code || ' 的资金按投资方来源地不应计入此指标' as note
    from failures as f
    union all
    select
        'R13' as rule_id,
        f.period,
        f.unit_code,
        b.metric || '_ytd' as metric,
        'origin_category' as cause,
        -f.actual_value as amount,
        'origin|' || f.period || '|' || f.unit_code || '|' || f.project_code || '|' || f.metric as defect_key,
        '项目 ' || f.project_code || ' 的资金按投资方来源地应计入此指标，却填在别处' as note
    from failures as f
    inner join classified as c
        on
            f.period = c.period
            and f.unit_code = c.unit_code
            and f.project_code = c.project_code
            and f.metric = c.metric
    inner join belongs as b on c.origin_class = b.origin_class
)

{{ cause_result('moved') }}
