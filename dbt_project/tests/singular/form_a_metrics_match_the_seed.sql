-- The metrics seed marks as form_a exactly the metrics form_a_metrics() lists (the columns
-- of the landing table and of the fact). Rows returned are the disagreements.
with listed as (
    select unnest([
        {%- for metric in form_a_metrics() %}'{{ metric }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    ]) as metric
),

seeded as (
    select metric from {{ ref('metrics') }}
    where source = 'form_a'
)

select coalesce(listed.metric, seeded.metric) as metric
from listed
full outer join seeded on listed.metric = seeded.metric
where listed.metric is null or seeded.metric is null
