-- One row per company x value entry x cost part that Post Inventory Cost to G/L would skip, with the
-- reason (spec §B.1, §D.5) and the columns BC's "Skipped Entries" list shows. Never posted.
with

resolved as (

    select * from {{ ref('int_value_entry_postings_resolved') }}

),

final as (

    select
        company,
        value_entry_no,
        cost_part,
        skip_reason,
        item_no,
        item_ledger_entry_type,
        entry_type,
        is_expected_cost,
        document_no,
        posting_date,
        location_code,
        inventory_posting_group,
        gen_bus_posting_group,
        gen_prod_posting_group,
        rule_id,
        account_no,
        bal_account_no,
        amount_to_post
    from resolved
    where skip_reason is not null

)

select * from final
