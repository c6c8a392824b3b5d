with

source as (

    select * from {{ source('bc', 'inventory_period') }}

),

renamed as (

    select
        company,
        ending_date,
        coalesce(name, '') as name,
        coalesce(closed, false) as closed,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
