with

source as (

    select * from {{ source('bc', 'production_order') }}

),

renamed as (

    select
        company,
        coalesce(status, '') as production_order_status,
        coalesce(no, '') as production_order_no,
        coalesce(description, '') as description,
        coalesce(source_type, '') as source_type,
        coalesce(source_no, '') as source_no,
        due_date,
        finished_date,
        coalesce(location_code, '') as location_code,
        cast(coalesce(quantity, 0) as numeric) as quantity,
        coalesce(inventory_posting_group, '') as inventory_posting_group,
        coalesce(gen_prod_posting_group, '') as gen_prod_posting_group,
        coalesce(gen_bus_posting_group, '') as gen_bus_posting_group,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
