-- One row per company x value entry x cost part not yet in G/L (spec §B.1: Cost Amount - Cost Posted
-- to G/L, net of what this project posted): the value-entry side of every reconciliation difference,
-- with the accounts it will post to, or why it cannot be posted.
with

resolved as (

    select * from {{ ref('int_value_entry_postings_resolved') }}

),

final as (

    select
        company,
        {{ period_of('posting_date') }} as period_start,
        value_entry_no,
        cost_part,
        posting_date,
        item_no,
        item_ledger_entry_type,
        entry_type,
        document_no,
        location_code,
        inventory_posting_group,
        amount_unposted,
        amount_posted_by_costclose,
        amount_to_post,
        rule_id,
        account_no,
        bal_account_no,
        skip_reason,
        skip_reason is null as is_postable
    from resolved

)

select * from final
