{{ config(materialized='table', pre_hook="set local enable_nestloop = off") }}
-- enable_nestloop off: the planner underestimates the filtered item ledger (rows=1) and would nest
-- loops over every application entry; hash joins are right at any size
-- (Step 1/2 of Cost Spec. and Cost Shares) One row per company x item ledger entry posted up to the
-- valuation date (no drop shipments, items of Type = Inventory) with its remaining quantity at that date
-- (spec §D.3 step 1). Valuation date = var valuation_date, else each company's latest period end.
with

item_ledger_entries as (

    select * from {{ ref('stg_bc__item_ledger_entries') }}

),

applications as (

    select * from {{ ref('stg_bc__item_application_entries') }}

),

items as (

    select * from {{ ref('stg_bc__items') }}

),

periods as (

    select * from {{ ref('int_company_periods_spined') }}

),

valuation_dates as (

    select
        company,
        {%- if var('valuation_date', none) %}
            date {{ dbt.string_literal(var('valuation_date')) }} as valuation_date
        {%- else %}
            max(period_end) as valuation_date
        {%- endif %}
    from periods
    group by company

),

entries as (

    select
        item_ledger_entries.company,
        item_ledger_entries.entry_no,
        item_ledger_entries.item_no,
        item_ledger_entries.quantity,
        item_ledger_entries.posting_date,
        item_ledger_entries.entry_type,
        item_ledger_entries.order_type,
        item_ledger_entries.order_no,
        item_ledger_entries.location_code,
        item_ledger_entries.document_no,
        items.inventory_posting_group,
        items.costing_method,
        valuation_dates.valuation_date
    from item_ledger_entries
    inner join valuation_dates on item_ledger_entries.company = valuation_dates.company
    inner join items
        on item_ledger_entries.company = items.company and item_ledger_entries.item_no = items.item_no
    where
        item_ledger_entries.posting_date <= valuation_dates.valuation_date
        and not item_ledger_entries.drop_shipment
        -- Type = Inventory, written as an exclusion so the planner estimates it (BC's only other types)
        and items.item_type not in ('Service', 'Non-Inventory')

),

-- remaining quantity at the valuation date (§D.3 step 1): applications posted up to the date whose
-- counterpart is posted up to the date too; an inbound entry's own application row (a transfer
-- receipt's) is not an application to another entry.
-- two equi-joins (inbound entries through Inbound Item Entry No., outbound entries through their own
-- application rows), not one join with an OR, so PostgreSQL can hash them
application_links as (

    select
        entries.company,
        entries.entry_no,
        entries.quantity,
        entries.valuation_date,
        applications.quantity as applied_quantity,
        applications.outbound_item_entry_no as counterpart_entry_no
    from entries
    inner join applications
        on
            entries.company = applications.company
            and entries.entry_no = applications.inbound_item_entry_no
    where
        entries.quantity > 0
        and applications.outbound_item_entry_no != 0
        and applications.item_ledger_entry_no != entries.entry_no
        and applications.posting_date <= entries.valuation_date
    union all
    select
        entries.company,
        entries.entry_no,
        entries.quantity,
        entries.valuation_date,
        -applications.quantity as applied_quantity,
        applications.inbound_item_entry_no as counterpart_entry_no
    from entries
    inner join applications
        on
            entries.company = applications.company
            and entries.entry_no = applications.outbound_item_entry_no
            and entries.entry_no = applications.item_ledger_entry_no
    where
        entries.quantity < 0
        and applications.posting_date <= entries.valuation_date

),

applied as (

    select
        application_links.company,
        application_links.entry_no,
        sum(application_links.applied_quantity) as applied_quantity
    from application_links
    inner join item_ledger_entries as counterparts
        on
            application_links.company = counterparts.company
            and application_links.counterpart_entry_no = counterparts.entry_no
    where
        counterparts.posting_date <= application_links.valuation_date
        and sign(counterparts.quantity) != sign(application_links.quantity)
    group by application_links.company, application_links.entry_no

),

remaining as (

    select
        entries.*,
        entries.quantity + coalesce(applied.applied_quantity, 0) as remaining_quantity
    from entries
    left join applied on entries.company = applied.company and entries.entry_no = applied.entry_no

),

final as (

    select * from remaining

)

select * from final
