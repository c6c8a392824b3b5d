with

source as (

    select * from {{ source('bc', 'item_ledger_entry') }}

),

renamed as (

    select
        company,
        entry_no,
        coalesce(item_no, '') as item_no,
        posting_date,
        coalesce(entry_type, '') as entry_type,
        coalesce(source_no, '') as source_no,
        coalesce(document_no, '') as document_no,
        coalesce(description, '') as description,
        coalesce(location_code, '') as location_code,
        cast(coalesce(quantity, 0) as numeric) as quantity,
        cast(coalesce(remaining_quantity, 0) as numeric) as remaining_quantity,
        cast(coalesce(invoiced_quantity, 0) as numeric) as invoiced_quantity,
        applies_to_entry,
        coalesce(open, false) as open,
        coalesce(global_dimension_1_code, '') as global_dimension_1_code,
        coalesce(global_dimension_2_code, '') as global_dimension_2_code,
        coalesce(positive, false) as positive,
        coalesce(source_type, '') as source_type,
        coalesce(drop_shipment, false) as drop_shipment,
        document_date,
        coalesce(document_type, '') as document_type,
        document_line_no,
        coalesce(order_type, '') as order_type,
        coalesce(order_no, '') as order_no,
        order_line_no,
        dimension_set_id,
        coalesce(assemble_to_order, false) as assemble_to_order,
        coalesce(variant_code, '') as variant_code,
        coalesce(unit_of_measure_code, '') as unit_of_measure_code,
        coalesce(completely_invoiced, false) as completely_invoiced,
        last_invoice_date,
        coalesce(applied_entry_to_adjust, false) as applied_entry_to_adjust,
        coalesce(correction, false) as correction,
        coalesce(serial_no, '') as serial_no,
        coalesce(lot_no, '') as lot_no,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
