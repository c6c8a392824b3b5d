with

source as (

    select * from {{ source('bc', 'g_l_account') }}

),

renamed as (

    select
        company,
        coalesce(no, '') as g_l_account_no,
        coalesce(name, '') as g_l_account_name,
        coalesce(account_type, '') as account_type,
        coalesce(income_balance, '') as income_balance,
        coalesce(account_category, '') as account_category,
        coalesce(blocked, false) as blocked,
        coalesce(direct_posting, false) as direct_posting,
        coalesce(reconciliation_account, false) as reconciliation_account,
        coalesce(totaling, '') as totaling,
        coalesce(gen_posting_type, '') as gen_posting_type,
        coalesce(gen_bus_posting_group, '') as gen_bus_posting_group,
        coalesce(gen_prod_posting_group, '') as gen_prod_posting_group,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
