-- R17 来源地与口径一致: a project's money sits only under a category its investor's origin
-- allows (the metrics seed's origin_class): 省外 needs a domestic origin outside the
-- province, 省内市外 one inside the province but outside the prefecture, 实际利用外资 one in
-- 港澳台 or abroad; a 市内 origin under 省外 or 省内市外 is the classic 虚报. One row per
-- project, unit, month and metric with money; an origin that did not resolve is R18's.
with figures as (
    select * from {{ ref('int_arrival_origins_classified') }}
    where origin_class is not null
),

metrics as (
    select
        metric,
        metric_label,
        canonical_unit,
        origin_class
    from {{ ref('metrics') }}
    where origin_class is not null
),

-- for each origin, the metrics its money may sit under
allowed as (
    select
        origin_class,
        string_agg(metric_label, '或' order by metric) as labels
    from metrics
    group by origin_class
),

checks as (
    select
        f.period,
        f.unit_code,
        f.project_code,
        null as scope_code,
        f.metric || '_ytd' as metric,
        null as expected_value,
        f.ytd_value as actual_value,
        f.origin_class <> m.origin_class as is_failure,
        f.unit_code as suspect_unit_code,
        'origin_category' as suspect_cause,
        '项目 ' || f.project_code || ' 投资方来源地「' || f.investor_origin || '」属'
        || case f.origin_class
            when 'abroad' then '港澳台或境外'
            when 'out_of_province' then '省外'
            when 'other_prefecture' then '省内市外'
            else '市内（市内县际间）'
        end
        || '，资金填在 ' || m.metric_label || '（累计 '
        || cast(cast(f.ytd_value as decimal(18, 2)) as varchar) || ' ' || m.canonical_unit || '）'
        || case
            when f.origin_class = m.origin_class then '，与来源地一致'
            when a.labels is null then '；市内资金不计入市级以上任何到位资金指标'
            else '；应填 ' || a.labels
        end
        || '；见 ' || f.source_file || ' 第' || cast(f.source_row_number as varchar) || '行' as detail,
        f.source_file
    from figures as f
    inner join metrics as m on f.metric = m.metric
    left join allowed as a on f.origin_class = a.origin_class
)

{{ rule_result('checks') }}
