{{
    config(
        materialized='table',
        pre_hook=[
            "set local enable_nestloop = off",
            "set local enable_mergejoin = off",
            "set local work_mem = '32MB'",
            "set local hash_mem_multiplier = 1",
        ],
        post_hook="analyze {{ this }}",
    )
}}
-- A table, not a view (DECISIONLOG.md 17): the application walk runs once per build instead of once
-- for every model and test that reads it (a test on the view ran the walk without the nestloop setting:
-- over 14 minutes at 1 million value entries). enable_nestloop off: see int_item_ledger_entries_remaining.
-- enable_mergejoin off (DECISIONLOG.md 23): the CTEs carry no statistics, so the planner takes company
-- for a selective key and merged entries with order_usage on company alone, the order keys as a join
-- filter: every entry x every order of the company (571,230 x 40,255 at 1M, the build never finished).
-- Hash joins use every equality key.
-- work_mem 32MB, hash_mem_multiplier 1 (DECISIONLOG.md 26): the walk's ~20 hash tables and CTE stores
-- each grow to their limit at once; at the server's 64MB x 2 the backend peaked at 1,324 MiB at 10.9M
-- value entries, at 32MB x 1 at 476 MiB -- and the walk was faster (155 s instead of 178 s).
-- (Step 2/2 of Cost Shares Breakdown, spec §D.4) One row per company x item ledger entry up to the
-- valuation date (Average items skipped, as BC does): its cost split into material, capacity,
-- capacity overhead, material overhead, subcontracted, variance (and the variance split), revaluation
-- and rounding. Inbound entries take the split from their own value entries (output entries take
-- capacity, capacity overhead and subcontracted cost from their order's capacity entries, scaled by
-- quantity / output quantity). Outbound entries and transfer receipts receive the split of the entries
-- they are applied to, in proportion applied quantity / source quantity, along chains of transfers;
-- their own direct cost minus the forwarded other components is their material cost.
{%- set parts = ['capacity', 'capacity_overhead', 'material_overhead', 'subcontracted', 'variance',
    'purchase_variance', 'material_variance', 'capacity_variance', 'capacity_overhead_variance',
    'mfg_overhead_variance', 'subcontracted_variance', 'revaluation', 'rounding', 'material'] %}

with recursive

remaining as (

    select * from {{ ref('int_item_ledger_entries_remaining_at_valuation_date') }}

),

-- only the columns read below: the CTE is read twice, so PostgreSQL materializes it, and all 60 columns of
-- every value entry were written to temporary files (1.7 GB at 1M entries)
value_entries as (

    select
        company,
        item_ledger_entry_no,
        item_ledger_entry_type,
        posting_date,
        entry_type,
        variance_type,
        order_type,
        order_no,
        capacity_ledger_entry_no,
        partial_revaluation,
        valued_quantity,
        cost_amount_actual,
        cost_amount_expected
    from {{ ref('stg_bc__value_entries') }}

),

applications as (

    select * from {{ ref('stg_bc__item_application_entries') }}

),

capacity_ledger_entries as (

    select * from {{ ref('stg_bc__capacity_ledger_entries') }}

),

entries as (

    select * from remaining
    where costing_method != 'Average'

),

valuation_dates as (

    select distinct
        company,
        valuation_date,
        {{ cost_shares_start_date('valuation_date') }} as start_date
    from remaining

),

own_costs as (

    select
        entries.company,
        entries.entry_no,
        sum(value_entries.cost_amount_actual + value_entries.cost_amount_expected)
        filter (where value_entries.entry_type = 'Direct Cost') as direct_cost,
        sum(value_entries.cost_amount_actual + value_entries.cost_amount_expected)
        filter (where value_entries.entry_type = 'Indirect Cost') as indirect_cost,
        sum(value_entries.cost_amount_actual + value_entries.cost_amount_expected)
        filter (where value_entries.entry_type = 'Revaluation') as revaluation,
        sum(value_entries.cost_amount_actual + value_entries.cost_amount_expected)
        filter (where value_entries.entry_type = 'Rounding') as rounding,
        sum(value_entries.cost_amount_actual) filter (where value_entries.entry_type = 'Variance') as variance,
        -- revaluation per unit as Cost Spec. computes it (§D.3): a partial revaluation revalues only the
        -- quantity it was posted for (its Valued Quantity), so it is not spread over the whole entry
        sum(
            (value_entries.cost_amount_actual + value_entries.cost_amount_expected) / nullif(
                case
                    when value_entries.partial_revaluation then abs(value_entries.valued_quantity)
                    else abs(entries.quantity)
                end,
                0
            )
        ) filter (where value_entries.entry_type = 'Revaluation') as revaluation_per_unit,
        -- BC's Share of Cost in Period: the entry's own cost posted in [start, end] over its total cost
        sum(value_entries.cost_amount_actual + value_entries.cost_amount_expected) filter (
            where value_entries.posting_date >= valuation_dates.start_date
        ) as cost_in_period,
        sum(value_entries.cost_amount_actual + value_entries.cost_amount_expected) as total_cost,
        {%- for part, variance_type in [
            ('purchase_variance', 'Purchase'), ('material_variance', 'Material'),
            ('capacity_variance', 'Capacity'), ('capacity_overhead_variance', 'Capacity Overhead'),
            ('mfg_overhead_variance', 'Manufacturing Overhead'), ('subcontracted_variance', 'Subcontracted'),
        ] %}
            sum(value_entries.cost_amount_actual + value_entries.cost_amount_expected) filter (
                where value_entries.entry_type = 'Variance' and value_entries.variance_type = '{{ variance_type }}'
            ) as {{ part }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from entries
    inner join value_entries
        on
            entries.company = value_entries.company
            and entries.entry_no = value_entries.item_ledger_entry_no
            and entries.valuation_date >= value_entries.posting_date
    inner join valuation_dates on entries.company = valuation_dates.company
    group by entries.company, entries.entry_no

),

-- the order's actual usage of capacity (CalcActualUsageCosts): direct cost is capacity, or subcontracted
-- when the capacity entry is subcontracting; indirect cost is capacity overhead
order_usage as (

    select
        value_entries.company,
        value_entries.order_type,
        value_entries.order_no,
        sum(value_entries.cost_amount_actual) filter (
            where value_entries.entry_type = 'Direct Cost'
            and not coalesce(capacity_ledger_entries.subcontracting, false)
        ) as capacity,
        sum(value_entries.cost_amount_actual) filter (
            where value_entries.entry_type = 'Direct Cost' and coalesce(capacity_ledger_entries.subcontracting, false)
        ) as subcontracted,
        sum(value_entries.cost_amount_actual) filter (
            where value_entries.entry_type = 'Indirect Cost'
        ) as capacity_overhead
    from value_entries
    inner join valuation_dates on value_entries.company = valuation_dates.company
    left join capacity_ledger_entries
        on
            value_entries.company = capacity_ledger_entries.company
            and value_entries.capacity_ledger_entry_no = capacity_ledger_entries.entry_no
    where
        value_entries.item_ledger_entry_type = ''
        and value_entries.order_no != ''
        and value_entries.posting_date <= valuation_dates.valuation_date
    group by value_entries.company, value_entries.order_type, value_entries.order_no

),

order_output as (

    select
        company,
        order_type,
        order_no,
        sum(quantity) as output_quantity
    from entries
    where entry_type in ('Output', 'Assembly Output')
    group by company, order_type, order_no

),

buffers as (

    select
        entries.company,
        entries.entry_no,
        coalesce(own_costs.direct_cost, 0) as direct_cost,
        coalesce(own_costs.revaluation, 0) as own_revaluation,
        coalesce(own_costs.rounding, 0) as own_rounding,
        coalesce(order_usage.capacity * entries.quantity / nullif(order_output.output_quantity, 0), 0)
            as capacity,
        coalesce(order_usage.capacity_overhead * entries.quantity / nullif(order_output.output_quantity, 0), 0)
            as capacity_overhead,
        coalesce(order_usage.subcontracted * entries.quantity / nullif(order_output.output_quantity, 0), 0)
            as subcontracted,
        coalesce(own_costs.indirect_cost, 0) as material_overhead,
        coalesce(own_costs.revaluation_per_unit, 0) as revaluation_per_unit,
        coalesce(own_costs.cost_in_period, 0) as cost_in_period,
        coalesce(own_costs.total_cost, 0) as total_cost,
        coalesce(own_costs.variance, 0) as variance,
        coalesce(own_costs.purchase_variance, 0) as purchase_variance,
        coalesce(own_costs.material_variance, 0) as material_variance,
        coalesce(own_costs.capacity_variance, 0) as capacity_variance,
        coalesce(own_costs.capacity_overhead_variance, 0) as capacity_overhead_variance,
        coalesce(own_costs.mfg_overhead_variance, 0) as mfg_overhead_variance,
        coalesce(own_costs.subcontracted_variance, 0) as subcontracted_variance
    from entries
    left join own_costs on entries.company = own_costs.company and entries.entry_no = own_costs.entry_no
    left join order_usage
        on
            entries.company = order_usage.company
            and entries.order_type = order_usage.order_type
            and entries.order_no = order_usage.order_no
            and entries.entry_type in ('Output', 'Assembly Output')
    left join order_output
        on
            entries.company = order_output.company
            and entries.order_type = order_output.order_type
            and entries.order_no = order_output.order_no

),

own_splits as (

    select
        *,
        own_revaluation as revaluation,
        own_rounding as rounding,
        direct_cost - (capacity + capacity_overhead + subcontracted) as material
    from buffers

),

-- the application rows that move cost, each joined to its target first (materialized, so the planner
-- cannot pair every source with every target of a company on a misestimate)
outbound_applications as materialized (

    select applications.*
    from applications
    inner join entries as targets
        on
            applications.company = targets.company
            and applications.outbound_item_entry_no = targets.entry_no
    where applications.outbound_item_entry_no = applications.item_ledger_entry_no

),

transfer_receipt_applications as materialized (

    select applications.*
    from applications
    inner join entries as receipts
        on
            applications.company = receipts.company
            and applications.inbound_item_entry_no = receipts.entry_no
    where
        applications.inbound_item_entry_no = applications.item_ledger_entry_no
        and applications.outbound_item_entry_no != 0
        and receipts.entry_type = 'Transfer'
        and receipts.quantity > 0

),

-- one application step: an inbound entry to an outbound entry applied to it, and a transfer shipment to
-- its receipt; factor = applied quantity / source quantity
-- Factors keep 28 decimals, the scale of BC's (.NET) Decimal (DECISIONLOG.md 20): an unrounded
-- numeric product gains ~20 digits per step, so a 10-step chain carried 200-digit factors and summing
-- them dominated the build at 1M entries.
edges as (

    select
        outbound_applications.company,
        outbound_applications.inbound_item_entry_no as from_entry_no,
        outbound_applications.outbound_item_entry_no as to_entry_no,
        round(outbound_applications.quantity / sources.quantity, 28) as factor
    from outbound_applications
    inner join entries as sources
        on
            outbound_applications.company = sources.company
            and outbound_applications.inbound_item_entry_no = sources.entry_no
    where
        outbound_applications.posting_date <= sources.valuation_date
        and sources.quantity != 0
    union all
    select
        transfer_receipt_applications.company,
        transfer_receipt_applications.outbound_item_entry_no as from_entry_no,
        transfer_receipt_applications.inbound_item_entry_no as to_entry_no,
        round(transfer_receipt_applications.quantity / sources.quantity, 28) as factor
    from transfer_receipt_applications
    inner join entries as sources
        on
            transfer_receipt_applications.company = sources.company
            and transfer_receipt_applications.outbound_item_entry_no = sources.entry_no
    where
        transfer_receipt_applications.posting_date <= sources.valuation_date
        and sources.quantity != 0

),

receivers as (

    select distinct
        company,
        to_entry_no as entry_no
    from edges

),

origins as (

    select own_splits.*
    from own_splits
    left join receivers
        on own_splits.company = receivers.company and own_splits.entry_no = receivers.entry_no
    where receivers.entry_no is null

),

paths (company, origin_entry_no, entry_no, factor, depth) as (

    select
        origins.company,
        origins.entry_no as origin_entry_no,
        origins.entry_no,
        1::numeric as factor,
        0 as depth
    from origins
    union all
    select
        paths.company,
        paths.origin_entry_no,
        edges.to_entry_no as entry_no,
        round(paths.factor * edges.factor, 28) as factor,
        paths.depth + 1 as depth
    from paths
    inner join edges on paths.company = edges.company and paths.entry_no = edges.from_entry_no
    where paths.depth < 50

),

forwarded as (

    select
        paths.company,
        paths.entry_no,
        {%- for part in parts %}
            sum(paths.factor * origins.{{ part }}) as {{ part }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from paths
    inner join origins
        on paths.company = origins.company and paths.origin_entry_no = origins.entry_no
    where paths.depth > 0
    group by paths.company, paths.entry_no

),

final as (

    select
        entries.company,
        entries.entry_no,
        entries.item_no,
        entries.entry_type,
        entries.posting_date,
        entries.quantity,
        entries.remaining_quantity,
        entries.valuation_date,
        valuation_dates.start_date,
        entries.order_type,
        entries.order_no,
        entries.document_no,
        entries.inventory_posting_group,
        own_splits.cost_in_period,
        own_splits.total_cost,
        forwarded.entry_no is not null as is_forwarded,
        own_splits.revaluation as own_revaluation,
        own_splits.revaluation_per_unit as own_revaluation_per_unit,
        {%- for part in parts if part.endswith('variance') %}
            own_splits.{{ part }} as own_{{ part }},
        {%- endfor %}
        {%- for part in parts if part not in ('material', 'revaluation', 'rounding') %}
            coalesce(forwarded.{{ part }}, own_splits.{{ part }}) as {{ part }},
        {%- endfor %}
        coalesce(forwarded.revaluation, 0) + own_splits.revaluation as revaluation,
        coalesce(forwarded.rounding, 0) + own_splits.rounding as rounding,
        case
            when forwarded.entry_no is null then own_splits.material
            else own_splits.direct_cost - (
                    forwarded.capacity + forwarded.capacity_overhead + forwarded.material_overhead
                    + forwarded.subcontracted + forwarded.variance + forwarded.revaluation + forwarded.rounding
                )
        end as material
    from entries
    inner join own_splits on entries.company = own_splits.company and entries.entry_no = own_splits.entry_no
    inner join valuation_dates on entries.company = valuation_dates.company
    left join forwarded on entries.company = forwarded.company and entries.entry_no = forwarded.entry_no

)

select * from final
