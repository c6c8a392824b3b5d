with

source as (

    select * from {{ source('bc', 'item') }}

),

renamed as (

    select
        company,
        coalesce(no, '') as item_no,
        coalesce(description, '') as item_description,
        coalesce(base_unit_of_measure, '') as base_unit_of_measure,
        coalesce(type, '') as item_type,
        coalesce(inventory_posting_group, '') as inventory_posting_group,
        cast(coalesce(unit_price, 0) as numeric) as unit_price,
        coalesce(costing_method, '') as costing_method,
        cast(coalesce(unit_cost, 0) as numeric) as unit_cost,
        cast(coalesce(standard_cost, 0) as numeric) as standard_cost,
        cast(coalesce(last_direct_cost, 0) as numeric) as last_direct_cost,
        cast(coalesce(indirect_cost, 0) as numeric) as indirect_cost_percent,
        coalesce(cost_is_adjusted, false) as cost_is_adjusted,
        coalesce(gen_prod_posting_group, '') as gen_prod_posting_group,
        coalesce(inventory_value_zero, false) as inventory_value_zero,
        coalesce(item_category_code, '') as item_category_code,
        coalesce(replenishment_system, '') as replenishment_system,
        cast(coalesce(overhead_rate, 0) as numeric) as overhead_rate,
        coalesce(vendor_no, '') as vendor_no,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
