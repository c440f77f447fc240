with

source as (
    select * from {{ source('raw', 'principal_hash_salt') }}
),

final as (
    select salt from source
    order by salt
    limit 1
)

select * from final
