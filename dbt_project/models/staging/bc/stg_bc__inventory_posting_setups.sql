with

source as (

    select * from {{ source('bc', 'inventory_posting_setup') }}

),

renamed as (

    select
        company,
        coalesce(location_code, '') as location_code,
        coalesce(invt_posting_group_code, '') as inventory_posting_group,
        coalesce(inventory_account, '') as inventory_account,
        coalesce(inventory_account_interim, '') as inventory_account_interim,
        coalesce(wip_account, '') as wip_account,
        coalesce(material_variance_account, '') as material_variance_account,
        coalesce(capacity_variance_account, '') as capacity_variance_account,
        coalesce(mfg_overhead_variance_account, '') as mfg_overhead_variance_account,
        coalesce(cap_overhead_variance_account, '') as cap_overhead_variance_account,
        coalesce(subcontracted_variance_account, '') as subcontracted_variance_account,
        coalesce(mat_non_inv_variance_acc, '') as mat_non_inv_variance_acc,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
