-- One row per company x document x summary group x side: the G/L lines of Post Inventory Cost to G/L
-- with Posting Method "Per Posting Group" (spec §B.1). Entries are summed per posting date, account
-- type and account, location, inventory posting group, gen. business and product posting group,
-- dimension set and sign: positive and negative amounts are NOT netted. One document per company x
-- posting date, numbered deterministically <journal_document_prefix>-YYYYMMDD; each balances.
with

resolved as (

    select * from {{ ref('int_value_entry_postings_resolved') }}

),

postable as (

    select
        *,
        amount_to_post < 0 as is_negative
    from resolved
    where skip_reason is null

),

grouped as (

    select
        company,
        posting_date,
        account_type,
        account_no,
        bal_account_type,
        bal_account_no,
        location_code,
        inventory_posting_group,
        gen_bus_posting_group,
        gen_prod_posting_group,
        dimension_set_id,
        is_negative,
        sum(amount_to_post) as amount,
        array_agg(value_entry_no order by value_entry_no) as value_entry_nos,
        count(*) as value_entry_count
    from postable
    group by
        company,
        posting_date,
        account_type,
        account_no,
        bal_account_type,
        bal_account_no,
        location_code,
        inventory_posting_group,
        gen_bus_posting_group,
        gen_prod_posting_group,
        dimension_set_id,
        is_negative

),

sides as (

    select
        grouped.*,
        'account' as side,
        1 as side_no,
        grouped.account_no as gl_account_no,
        grouped.account_type as gl_account_type,
        grouped.amount as line_amount
    from grouped
    union all
    select
        grouped.*,
        'balancing' as side,
        2 as side_no,
        grouped.bal_account_no as gl_account_no,
        grouped.bal_account_type as gl_account_type,
        -grouped.amount as line_amount
    from grouped

),

final as (

    select
        company,
        '{{ var("journal_document_prefix") }}-' || to_char(posting_date, 'YYYYMMDD') as document_no,
        posting_date,
        side,
        gl_account_no,
        gl_account_type,
        line_amount as amount,
        -- BC's summary description: "<AccType> - <BalAccType>, <Location>,<InvtPG>,<GenBus>,<GenProd>"
        account_type || ' - ' || bal_account_type || ', ' || location_code || ',' || inventory_posting_group
        || ',' || gen_bus_posting_group || ',' || gen_prod_posting_group as description,
        value_entry_nos,
        value_entry_count,
        location_code,
        inventory_posting_group,
        gen_bus_posting_group,
        gen_prod_posting_group,
        dimension_set_id,
        is_negative,
        row_number() over (
            partition by company, posting_date
            order by
                account_type, account_no, bal_account_type, bal_account_no, location_code,
                inventory_posting_group, gen_bus_posting_group, gen_prod_posting_group,
                dimension_set_id, is_negative, side_no
        ) as line_no
    from sides

)

select * from final
