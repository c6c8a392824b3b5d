-- The costing switches of each company (spec §A.7, §B.4) and its allowed posting dates (§B.1, §D.5).
with

inventory_setups as (

    select * from {{ ref('stg_bc__inventory_setups') }}

),

general_ledger_setups as (

    select * from {{ ref('stg_bc__general_ledger_setups') }}

),

companies as (

    select company from inventory_setups
    union
    select company from general_ledger_setups

),

final as (

    select
        companies.company,
        coalesce(inventory_setups.automatic_cost_posting, false) as is_automatic_cost_posting,
        coalesce(inventory_setups.expected_cost_posting_to_g_l, false) as is_expected_cost_posting,
        general_ledger_setups.allow_posting_from,
        general_ledger_setups.allow_posting_to
    from companies
    left join inventory_setups on companies.company = inventory_setups.company
    left join general_ledger_setups on companies.company = general_ledger_setups.company

)

select * from final
