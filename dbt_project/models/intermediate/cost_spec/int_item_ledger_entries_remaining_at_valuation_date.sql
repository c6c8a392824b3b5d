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
        items.costing_method,
        valuation_dates.valuation_date
    from item_ledger_entries
    inner join valuation_dates on item_ledger_entries.company = valuation_dates.company
    inner join items
        on item_ledger_entries.company = items.company and item_ledger_entries.item_no = items.item_no
    where
        item_ledger_entries.posting_date <= valuation_dates.valuation_date
        and not item_ledger_entries.drop_shipment
        and items.item_type = 'Inventory'

),

-- remaining quantity at the valuation date (§D.3 step 1): applications posted up to the date whose
-- counterpart is posted up to the date too; an inbound entry's own application row (a transfer
-- receipt's) is not an application to another entry
applied as (

    select
        entries.company,
        entries.entry_no,
        sum(
            case when entries.quantity > 0 then applications.quantity else -applications.quantity end
        ) as applied_quantity
    from entries
    inner join applications
        on
            entries.company = applications.company
            and entries.valuation_date >= applications.posting_date
            and (
                (
                    entries.quantity > 0
                    and entries.entry_no = applications.inbound_item_entry_no
                    and applications.outbound_item_entry_no != 0
                    and entries.entry_no != applications.item_ledger_entry_no
                )
                or (
                    entries.quantity < 0
                    and entries.entry_no = applications.outbound_item_entry_no
                    and entries.entry_no = applications.item_ledger_entry_no
                )
            )
    inner join item_ledger_entries as counterparts
        on
            applications.company = counterparts.company
            and counterparts.entry_no = case
                when entries.quantity > 0 then applications.outbound_item_entry_no
                else applications.inbound_item_entry_no
            end
    where
        counterparts.posting_date <= entries.valuation_date
        and sign(counterparts.quantity) != sign(entries.quantity)
    group by entries.company, entries.entry_no

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
