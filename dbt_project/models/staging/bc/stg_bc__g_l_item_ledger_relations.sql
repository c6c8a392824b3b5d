with

source as (

    select * from {{ source('bc', 'g_l_item_ledger_relation') }}

),

renamed as (

    select
        company,
        g_l_entry_no,
        value_entry_no,
        g_l_register_no,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
