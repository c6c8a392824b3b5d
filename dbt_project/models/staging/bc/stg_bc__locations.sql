with

source as (

    select * from {{ source('bc', 'location') }}

),

renamed as (

    select
        company,
        coalesce(code, '') as location_code,
        coalesce(name, '') as location_name,
        coalesce(use_as_in_transit, false) as use_as_in_transit,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
