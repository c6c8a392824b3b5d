with

source as (

    select * from {{ source('bc', 'general_posting_setup') }}

),

renamed as (

    select
        company,
        coalesce(gen_bus_posting_group, '') as gen_bus_posting_group,
        coalesce(gen_prod_posting_group, '') as gen_prod_posting_group,
        coalesce(cogs_account, '') as cogs_account,
        coalesce(inventory_adjmt_account, '') as inventory_adjmt_account,
        coalesce(invt_accrual_acc_interim, '') as invt_accrual_acc_interim,
        coalesce(cogs_account_interim, '') as cogs_account_interim,
        coalesce(direct_cost_non_inv_app_acc, '') as direct_cost_non_inv_app_acc,
        coalesce(direct_cost_applied_account, '') as direct_cost_applied_account,
        coalesce(overhead_applied_account, '') as overhead_applied_account,
        coalesce(purchase_variance_account, '') as purchase_variance_account,
        coalesce(blocked, false) as blocked,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
