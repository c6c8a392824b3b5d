with

source as (

    select * from {{ source('bc', 'g_l_entry') }}

),

renamed as (

    select
        company,
        entry_no,
        coalesce(g_l_account_no, '') as g_l_account_no,
        posting_date,
        coalesce(document_type, '') as document_type,
        coalesce(document_no, '') as document_no,
        coalesce(description, '') as description,
        coalesce(bal_account_no, '') as bal_account_no,
        cast(coalesce(amount, 0) as numeric) as amount,
        coalesce(global_dimension_1_code, '') as global_dimension_1_code,
        coalesce(global_dimension_2_code, '') as global_dimension_2_code,
        coalesce(user_id, '') as user_id,
        coalesce(source_code, '') as source_code,
        coalesce(system_created_entry, false) as system_created_entry,
        coalesce(prior_year_entry, false) as prior_year_entry,
        coalesce(job_no, '') as job_no,
        cast(coalesce(quantity, 0) as numeric) as quantity,
        coalesce(journal_batch_name, '') as journal_batch_name,
        coalesce(reason_code, '') as reason_code,
        coalesce(gen_posting_type, '') as gen_posting_type,
        coalesce(gen_bus_posting_group, '') as gen_bus_posting_group,
        coalesce(gen_prod_posting_group, '') as gen_prod_posting_group,
        coalesce(bal_account_type, '') as bal_account_type,
        transaction_no,
        cast(coalesce(debit_amount, 0) as numeric) as debit_amount,
        cast(coalesce(credit_amount, 0) as numeric) as credit_amount,
        document_date,
        coalesce(external_document_no, '') as external_document_no,
        coalesce(source_type, '') as source_type,
        coalesce(source_no, '') as source_no,
        cast(coalesce(additional_currency_amount, 0) as numeric) as additional_currency_amount,
        coalesce(reversed, false) as reversed,
        dimension_set_id,
        coalesce(prod_order_no, '') as prod_order_no,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
