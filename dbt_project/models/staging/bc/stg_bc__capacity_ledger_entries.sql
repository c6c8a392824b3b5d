with

source as (

    select * from {{ source('bc', 'capacity_ledger_entry') }}

),

renamed as (

    select
        company,
        entry_no,
        coalesce(no, '') as capacity_no,
        posting_date,
        coalesce(type, '') as capacity_type,
        coalesce(document_no, '') as document_no,
        coalesce(description, '') as description,
        coalesce(operation_no, '') as operation_no,
        coalesce(work_center_no, '') as work_center_no,
        cast(coalesce(quantity, 0) as numeric) as quantity,
        cast(coalesce(setup_time, 0) as numeric) as setup_time,
        cast(coalesce(run_time, 0) as numeric) as run_time,
        cast(coalesce(invoiced_quantity, 0) as numeric) as invoiced_quantity,
        cast(coalesce(output_quantity, 0) as numeric) as output_quantity,
        cast(coalesce(scrap_quantity, 0) as numeric) as scrap_quantity,
        coalesce(completely_invoiced, false) as completely_invoiced,
        coalesce(last_output_line, false) as last_output_line,
        coalesce(item_no, '') as item_no,
        coalesce(variant_code, '') as variant_code,
        cast(coalesce(direct_cost, 0) as numeric) as direct_cost,
        cast(coalesce(overhead_cost, 0) as numeric) as overhead_cost,
        coalesce(subcontracting, false) as subcontracting,
        coalesce(order_type, '') as order_type,
        coalesce(order_no, '') as order_no,
        order_line_no,
        dimension_set_id,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
