with

source as (

    select * from {{ source('bc', 'value_entry') }}

),

renamed as (

    select
        company,
        entry_no,
        coalesce(item_no, '') as item_no,
        posting_date,
        coalesce(item_ledger_entry_type, '') as item_ledger_entry_type,
        coalesce(source_no, '') as source_no,
        coalesce(document_no, '') as document_no,
        coalesce(description, '') as description,
        coalesce(location_code, '') as location_code,
        coalesce(inventory_posting_group, '') as inventory_posting_group,
        coalesce(source_posting_group, '') as source_posting_group,
        item_ledger_entry_no,
        cast(coalesce(valued_quantity, 0) as numeric) as valued_quantity,
        cast(coalesce(item_ledger_entry_quantity, 0) as numeric) as item_ledger_entry_quantity,
        cast(coalesce(invoiced_quantity, 0) as numeric) as invoiced_quantity,
        cast(coalesce(cost_per_unit, 0) as numeric) as cost_per_unit,
        cast(coalesce(sales_amount_actual, 0) as numeric) as sales_amount_actual,
        cast(coalesce(discount_amount, 0) as numeric) as discount_amount,
        coalesce(user_id, '') as user_id,
        coalesce(source_code, '') as source_code,
        applies_to_entry,
        coalesce(global_dimension_1_code, '') as global_dimension_1_code,
        coalesce(global_dimension_2_code, '') as global_dimension_2_code,
        coalesce(source_type, '') as source_type,
        cast(coalesce(cost_amount_actual, 0) as numeric) as cost_amount_actual,
        cast(coalesce(cost_posted_to_g_l, 0) as numeric) as cost_posted_to_g_l,
        coalesce(reason_code, '') as reason_code,
        coalesce(drop_shipment, false) as drop_shipment,
        coalesce(journal_batch_name, '') as journal_batch_name,
        coalesce(gen_bus_posting_group, '') as gen_bus_posting_group,
        coalesce(gen_prod_posting_group, '') as gen_prod_posting_group,
        document_date,
        coalesce(external_document_no, '') as external_document_no,
        cast(coalesce(cost_amount_actual_acy, 0) as numeric) as cost_amount_actual_acy,
        cast(coalesce(cost_posted_to_g_l_acy, 0) as numeric) as cost_posted_to_g_l_acy,
        coalesce(document_type, '') as document_type,
        document_line_no,
        coalesce(order_type, '') as order_type,
        coalesce(order_no, '') as order_no,
        order_line_no,
        coalesce(expected_cost, false) as expected_cost,
        coalesce(item_charge_no, '') as item_charge_no,
        coalesce(valued_by_average_cost, false) as valued_by_average_cost,
        coalesce(partial_revaluation, false) as partial_revaluation,
        coalesce(inventoriable, false) as inventoriable,
        valuation_date,
        coalesce(entry_type, '') as entry_type,
        coalesce(variance_type, '') as variance_type,
        cast(coalesce(purchase_amount_actual, 0) as numeric) as purchase_amount_actual,
        cast(coalesce(purchase_amount_expected, 0) as numeric) as purchase_amount_expected,
        cast(coalesce(sales_amount_expected, 0) as numeric) as sales_amount_expected,
        cast(coalesce(cost_amount_expected, 0) as numeric) as cost_amount_expected,
        cast(coalesce(cost_amount_non_invtbl, 0) as numeric) as cost_amount_non_invtbl,
        cast(coalesce(cost_amount_expected_acy, 0) as numeric) as cost_amount_expected_acy,
        cast(coalesce(cost_amount_non_invtbl_acy, 0) as numeric) as cost_amount_non_invtbl_acy,
        cast(coalesce(expected_cost_posted_to_g_l, 0) as numeric) as expected_cost_posted_to_g_l,
        cast(coalesce(exp_cost_posted_to_g_l_acy, 0) as numeric) as exp_cost_posted_to_g_l_acy,
        dimension_set_id,
        coalesce(job_no, '') as job_no,
        coalesce(variant_code, '') as variant_code,
        coalesce(adjustment, false) as adjustment,
        coalesce(average_cost_exception, false) as average_cost_exception,
        capacity_ledger_entry_no,
        coalesce(type, '') as capacity_type,
        coalesce(no, '') as capacity_no,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
