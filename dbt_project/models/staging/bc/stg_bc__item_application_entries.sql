with

source as (

    select * from {{ source('bc', 'item_application_entry') }}

),

renamed as (

    select
        company,
        entry_no,
        item_ledger_entry_no,
        inbound_item_entry_no,
        outbound_item_entry_no,
        cast(coalesce(quantity, 0) as numeric) as quantity,
        posting_date,
        transferred_from_entry_no,
        coalesce(cost_application, false) as cost_application,
        output_completely_invd_date,
        coalesce(outbound_entry_is_updated, false) as outbound_entry_is_updated,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
