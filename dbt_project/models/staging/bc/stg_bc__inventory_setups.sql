with

source as (

    select * from {{ source('bc', 'inventory_setup') }}

),

renamed as (

    select
        company,
        coalesce(primary_key, '') as primary_key,
        coalesce(automatic_cost_posting, false) as automatic_cost_posting,
        coalesce(expected_cost_posting_to_g_l, false) as expected_cost_posting_to_g_l,
        coalesce(automatic_cost_adjustment, '') as automatic_cost_adjustment,
        coalesce(average_cost_calc_type, '') as average_cost_calc_type,
        coalesce(average_cost_period, '') as average_cost_period,
        coalesce(default_costing_method, '') as default_costing_method,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
