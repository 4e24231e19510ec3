select
    label_key,
    unit_code
from {{ source('reference', 'ref_unit_labels') }}
