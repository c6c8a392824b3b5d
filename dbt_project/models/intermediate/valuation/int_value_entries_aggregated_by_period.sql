{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='fail',
        pre_hook=["set local enable_nestloop = off", "{{ delete_selected_period() }}"],
        post_hook="analyze {{ this }}",
        indexes=[{'columns': ['company', 'period_start']}],
    )
}}
-- enable_nestloop off: the night's new rows lie past raw's statistics (estimated at 1 row), and nested
-- loops over every application entry per selected entry took minutes at 1M entries (DECISIONLOG.md 17)
-- (Step 1/2 of every value-entry figure) Value entries summed per company x period x every attribute
-- a report or a posting rule distinguishes. The one full scan of value entries in a build; the marts
-- read this. Period-incremental (DECISIONLOG.md): a run rewrites whole (company, period) slices.
with

value_entries as (

    select * from {{ ref('stg_bc__value_entries') }}

),

items as (

    select * from {{ ref('stg_bc__items') }}

),

item_application_entries as (

    select * from {{ ref('stg_bc__item_application_entries') }}

),

selected as (

    select *
    from value_entries
    where {{ period_rows_to_build(ref('stg_bc__value_entries')) }}

),

-- Inventory Valuation (§D.1) puts an inbound transfer leg into Decreases when its ILE is applied to
-- an outbound ILE inside the filter (the shipping leg), so the two legs cancel without a location
-- filter; an unapplied inbound leg is an Increase.
applied_transfer_receipts as (

    select distinct
        company,
        item_ledger_entry_no
    from item_application_entries
    where outbound_item_entry_no != 0 and quantity > 0

),

classified as (

    select
        selected.company,
        {{ period_of('selected.posting_date') }} as period_start,
        selected.item_no,
        selected.location_code,
        selected.variant_code,
        selected.inventory_posting_group,
        -- §B.3: the WIP account reads the produced item's group when Source Type = Item and the
        -- source is another item (consumption of a component, capacity with a blank item)
        case
            when selected.source_type = 'Item' and selected.source_no != selected.item_no
                then coalesce(produced_items.inventory_posting_group, selected.inventory_posting_group)
            else selected.inventory_posting_group
        end as wip_posting_group,
        selected.gen_bus_posting_group,
        selected.gen_prod_posting_group,
        selected.item_ledger_entry_type,
        selected.entry_type,
        selected.variance_type,
        selected.order_type,
        selected.expected_cost as is_expected_cost,
        selected.inventoriable as is_inventoriable,
        case
            when selected.item_ledger_entry_type != 'Transfer' then ''
            when selected.valued_quantity < 0 then 'outbound'
            when applied_transfer_receipts.item_ledger_entry_no is not null then 'inbound applied'
            else 'inbound unapplied'
        end as transfer_leg,
        selected.cost_amount_actual,
        selected.cost_amount_expected,
        selected.cost_posted_to_g_l,
        selected.expected_cost_posted_to_g_l,
        selected.cost_amount_non_invtbl,
        selected.invoiced_quantity,
        selected.item_ledger_entry_quantity,
        selected.valued_quantity,
        selected.cost_posted_to_g_l = 0 and selected.cost_amount_actual != 0 as is_never_posted,
        selected._loaded_at
    from selected
    left join items as produced_items
        on
            selected.company = produced_items.company
            and selected.source_no = produced_items.item_no
            and selected.source_type = 'Item'
            and selected.source_no != selected.item_no
    left join applied_transfer_receipts
        on
            selected.company = applied_transfer_receipts.company
            and selected.item_ledger_entry_no = applied_transfer_receipts.item_ledger_entry_no
            and selected.item_ledger_entry_type = 'Transfer'
            and selected.valued_quantity >= 0

),

aggregated as (

    select
        company,
        period_start,
        item_no,
        location_code,
        variant_code,
        inventory_posting_group,
        wip_posting_group,
        gen_bus_posting_group,
        gen_prod_posting_group,
        item_ledger_entry_type,
        entry_type,
        variance_type,
        order_type,
        is_expected_cost,
        is_inventoriable,
        transfer_leg,
        sum(cost_amount_actual) as cost_amount_actual,
        sum(cost_amount_expected) as cost_amount_expected,
        sum(cost_posted_to_g_l) as cost_posted_to_g_l,
        sum(expected_cost_posted_to_g_l) as expected_cost_posted_to_g_l,
        sum(cost_amount_non_invtbl) as cost_amount_non_invtbl,
        sum(invoiced_quantity) as invoiced_quantity,
        sum(item_ledger_entry_quantity) as item_ledger_entry_quantity,
        sum(valued_quantity) as valued_quantity,
        count(*) as value_entry_count,
        count(*) filter (where is_never_posted) as never_posted_entry_count,
        {{ aggregate_loaded_at(ref('stg_bc__value_entries')) }} as max_loaded_at
    from classified
    group by
        company,
        period_start,
        item_no,
        location_code,
        variant_code,
        inventory_posting_group,
        wip_posting_group,
        gen_bus_posting_group,
        gen_prod_posting_group,
        item_ledger_entry_type,
        entry_type,
        variance_type,
        order_type,
        is_expected_cost,
        is_inventoriable,
        transfer_leg

),

final as (

    select * from aggregated

)

select * from final
