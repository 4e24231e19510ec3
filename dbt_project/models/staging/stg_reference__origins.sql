-- The register's investor origins, as typed, with the place each resolved to (or none).
select
    origin,
    country_code,
    province_code,
    prefecture_code
from {{ source('reference', 'ref_origins') }}
