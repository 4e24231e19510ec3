-- Every version of every project in the register, typed, names resolved to unit codes.
with rows as (
    {{ current_rows(source('register', 'register_rows')) }}
),

labels as (
    select * from {{ ref('stg_reference__unit_labels') }}
)

select
    rows.submission_id as register_version_id,
    rows.source_file,
    rows.row_number as source_row_number,
    cast(rows.filled_date as date) as register_filled_date,
    rows.project_code,
    rows.project_name,
    rows.investor,
    rows.investor_origin,
    nullif(rows.top500_category, '') as top500_category,
    rows.chain as chain_label,
    rows.chain_key,
    rows.industry_code,
    rows.reporting_unit as reporting_unit_label,
    ru.unit_code as reporting_unit_code,
    pk.unit_code as park_code,
    tf.unit_code as transferred_from_code,
    {{ to_canonical('rows.agreed_amount', "coalesce(rows.agreed_amount_unit, '亿元')", "'亿元'") }} as agreed_amount_yi_yuan,
    try_cast(left(rows.signed_date, 10) as date) as signed_date,
    try_cast(left(rows.started_date, 10) as date) as started_date,
    try_cast(left(rows.production_date, 10) as date) as production_date,
    try_cast(left(rows.transferred_date, 10) as date) as transferred_date
from rows
left join labels as ru on rows.reporting_unit_key = ru.label_key
left join labels as pk on rows.park_key = pk.label_key
left join labels as tf on rows.transferred_from_key = tf.label_key
