-- One row per company x value entry x cost part x side: the G/L lines Post Inventory Cost to G/L would
-- post with Posting Method "Per Entry" (spec §B.1, §D.5). Side 'account' gets +amount (debit when
-- positive), side 'balancing' gets -amount, so every document balances. Document No. = the value
-- entry's document no., as BC does; skipped entries are in fct_adjusting_journal_skipped_entries.
with

resolved as (

    select * from {{ ref('int_value_entry_postings_resolved') }}

),

postable as (

    select * from resolved
    where skip_reason is null

),

sides as (

    select
        postable.*,
        'account' as side,
        1 as side_no,
        postable.account_no as gl_account_no,
        postable.account_type as gl_account_type,
        postable.amount_to_post as amount
    from postable
    union all
    select
        postable.*,
        'balancing' as side,
        2 as side_no,
        postable.bal_account_no as gl_account_no,
        postable.bal_account_type as gl_account_type,
        -postable.amount_to_post as amount
    from postable

),

final as (

    select
        company,
        document_no,
        posting_date,
        value_entry_no,
        cost_part,
        side,
        gl_account_no,
        gl_account_type,
        amount,
        -- BC's per-entry description: "<Entry Type> <Source No.> on <Posting Date>"
        entry_type || ' ' || source_no || ' on ' || to_char(posting_date, 'YYYY-MM-DD') as description,
        rule_id,
        item_no,
        item_ledger_entry_type,
        entry_type,
        location_code,
        inventory_posting_group,
        gen_bus_posting_group,
        gen_prod_posting_group,
        dimension_set_id,
        order_no as prod_order_no,
        row_number() over (
            partition by company order by posting_date asc, value_entry_no asc, cost_part desc, side_no asc
        ) as line_no
    from sides

)

select * from final
