{{ config(pre_hook="set local enable_nestloop = off") }}
-- enable_nestloop off: misestimated item ledger filters would otherwise nest loops over applications
-- One row per company x cost share x source entry (item ledger entry, or capacity ledger entry for the
-- WIP share): Cost Shares Breakdown with Show Details (report 5848, spec §D.4), each entry's share of
-- the cost split between the start date and the valuation date, and its Share of Cost in Period.
-- Sales: sale entries posted in the window, shown as cost of sales (positive); revaluation = forwarded
-- minus the sale's own. Inventory: entries with a remaining quantity, scaled by remaining / entry
-- quantity (a partial revaluation by its valued quantity, as Cost Spec.). WIP Inventory: the
-- production order's consumption and output entries and its capacity entries posted in the window,
-- signed so that WIP is positive (consumed + capacity - output); the order's own variances are
-- deducted, as BC does. Average items are skipped, as BC does.
{%- set parts = ['material', 'capacity', 'capacity_overhead', 'material_overhead', 'subcontracted', 'variance',
    'revaluation', 'rounding', 'purchase_variance', 'material_variance', 'capacity_variance',
    'capacity_overhead_variance', 'mfg_overhead_variance', 'subcontracted_variance'] %}

with

entries as (

    select * from {{ ref('int_item_ledger_entry_costs_forwarded') }}

),

value_entries as (

    select * from {{ ref('stg_bc__value_entries') }}

),

capacity_ledger_entries as (

    select * from {{ ref('stg_bc__capacity_ledger_entries') }}

),

production_orders as (

    select * from {{ ref('stg_bc__production_orders') }}

),

items as (

    select * from {{ ref('stg_bc__items') }}

),

windows as (

    select distinct
        company,
        start_date,
        valuation_date
    from entries

),

sales as (

    select
        company,
        'Sales' as cost_share,
        item_no,
        '' as production_order_no,
        'Item Ledger Entry' as source_type,
        entry_no,
        document_no,
        posting_date,
        entry_type,
        start_date,
        valuation_date as end_date,
        -quantity as quantity,
        {%- for part in parts %}
            {%- if part == 'revaluation' %}
                -(revaluation - 2 * own_revaluation) as revaluation,
            {%- else %}
                -{{ part }} as {{ part }},
            {%- endif %}
        {%- endfor %}
        -cost_in_period as cost_in_period,
        -total_cost as total_cost
    from entries
    where
        entry_type = 'Sale'
        and posting_date between start_date and valuation_date
        and {{ cost_shares_item_filter('item_no', 'inventory_posting_group') }}

),

inventory as (

    select
        company,
        'Inventory' as cost_share,
        item_no,
        '' as production_order_no,
        'Item Ledger Entry' as source_type,
        entry_no,
        document_no,
        posting_date,
        entry_type,
        start_date,
        valuation_date as end_date,
        remaining_quantity as quantity,
        {%- for part in parts %}
            {%- if part == 'revaluation' %}
                -- the forwarded revaluation by share; the own one per unit as Cost Spec. (partial revaluations)
                (revaluation - own_revaluation) * remaining_quantity / quantity
                + own_revaluation_per_unit * abs(quantity) * remaining_quantity / quantity as revaluation,
            {%- else %}
                {{ part }} * remaining_quantity / quantity as {{ part }},
            {%- endif %}
        {%- endfor %}
        cost_in_period * remaining_quantity / quantity as cost_in_period,
        total_cost * remaining_quantity / quantity as total_cost
    from entries
    where
        remaining_quantity != 0
        and quantity != 0
        and {{ cost_shares_item_filter('item_no', 'inventory_posting_group') }}

),

-- the orders BC prints (Status Released or Finished) with the produced item, for the item filter
orders as (

    select
        production_orders.company,
        production_orders.production_order_no,
        production_orders.source_no,
        coalesce(items.inventory_posting_group, '') as inventory_posting_group
    from production_orders
    left join items
        on production_orders.company = items.company and production_orders.source_no = items.item_no
    where
        production_orders.production_order_status in ('Released', 'Finished')
        and {{ cost_shares_production_order_filter('production_orders.production_order_no') }}
        and {{ cost_shares_item_filter('production_orders.source_no', 'items.inventory_posting_group') }}

),

wip_item_entries as (

    select
        entries.company,
        'WIP Inventory' as cost_share,
        entries.item_no,
        entries.order_no as production_order_no,
        'Item Ledger Entry' as source_type,
        entries.entry_no,
        entries.document_no,
        entries.posting_date,
        entries.entry_type,
        entries.start_date,
        entries.valuation_date as end_date,
        entries.quantity,
        {%- for part in parts %}
            {%- if part.endswith('variance') %}
                -(entries.{{ part }} - entries.own_{{ part }}) as {{ part }},
            {%- else %}
                -entries.{{ part }} as {{ part }},
            {%- endif %}
        {%- endfor %}
        -entries.cost_in_period as cost_in_period,
        -entries.total_cost as total_cost
    from entries
    inner join orders
        on entries.company = orders.company and entries.order_no = orders.production_order_no
    where
        entries.order_type = 'Production'
        and entries.entry_type in ('Consumption', 'Output')

),

-- capacity entries of the order posted in the window, with their value entries up to the end date:
-- direct cost is capacity (subcontracted for a subcontracting entry), indirect cost capacity overhead
capacity_costs as (

    select
        capacity_ledger_entries.company,
        capacity_ledger_entries.entry_no,
        capacity_ledger_entries.item_no,
        capacity_ledger_entries.order_no,
        capacity_ledger_entries.document_no,
        capacity_ledger_entries.posting_date,
        capacity_ledger_entries.quantity,
        capacity_ledger_entries.subcontracting,
        windows.start_date,
        windows.valuation_date,
        coalesce(sum(value_entries.cost_amount_actual) filter (where value_entries.entry_type = 'Direct Cost'), 0)
            as direct_cost,
        coalesce(sum(value_entries.cost_amount_actual) filter (where value_entries.entry_type = 'Indirect Cost'), 0)
            as indirect_cost,
        coalesce(sum(value_entries.cost_amount_actual) filter (where value_entries.entry_type = 'Revaluation'), 0)
            as revaluation,
        coalesce(sum(value_entries.cost_amount_actual) filter (where value_entries.entry_type = 'Rounding'), 0)
            as rounding,
        coalesce(sum(value_entries.cost_amount_actual) filter (
            where value_entries.posting_date >= windows.start_date
        ), 0) as cost_in_period,
        coalesce(sum(value_entries.cost_amount_actual), 0) as total_cost
    from capacity_ledger_entries
    inner join windows on capacity_ledger_entries.company = windows.company
    inner join value_entries
        on
            capacity_ledger_entries.company = value_entries.company
            and capacity_ledger_entries.entry_no = value_entries.capacity_ledger_entry_no
    where
        capacity_ledger_entries.order_type = 'Production'
        and capacity_ledger_entries.posting_date between windows.start_date and windows.valuation_date
        and value_entries.item_ledger_entry_type = ''
        and value_entries.posting_date <= windows.valuation_date
    group by
        capacity_ledger_entries.company,
        capacity_ledger_entries.entry_no,
        capacity_ledger_entries.item_no,
        capacity_ledger_entries.order_no,
        capacity_ledger_entries.document_no,
        capacity_ledger_entries.posting_date,
        capacity_ledger_entries.quantity,
        capacity_ledger_entries.subcontracting,
        windows.start_date,
        windows.valuation_date

),

wip_capacity_entries as (

    select
        capacity_costs.company,
        'WIP Inventory' as cost_share,
        capacity_costs.item_no,
        capacity_costs.order_no as production_order_no,
        'Capacity Ledger Entry' as source_type,
        capacity_costs.entry_no,
        capacity_costs.document_no,
        capacity_costs.posting_date,
        '' as entry_type,
        capacity_costs.start_date,
        capacity_costs.valuation_date as end_date,
        capacity_costs.quantity,
        0::numeric as material,
        case when capacity_costs.subcontracting then 0 else capacity_costs.direct_cost end as capacity,
        capacity_costs.indirect_cost as capacity_overhead,
        0::numeric as material_overhead,
        case when capacity_costs.subcontracting then capacity_costs.direct_cost else 0 end as subcontracted,
        {%- for part in parts if part.endswith('variance') %}
            -- capacity entries carry no variance; BC deducts the order's own variance anyway
            0::numeric as {{ part }},
        {%- endfor %}
        capacity_costs.revaluation,
        capacity_costs.rounding,
        capacity_costs.cost_in_period,
        capacity_costs.total_cost
    from capacity_costs
    inner join orders
        on capacity_costs.company = orders.company and capacity_costs.order_no = orders.production_order_no

),

unioned as (

    {%- set columns = ['company', 'cost_share', 'item_no', 'production_order_no', 'source_type', 'entry_no',
        'document_no', 'posting_date', 'entry_type', 'start_date', 'end_date', 'quantity']
        + parts + ['cost_in_period', 'total_cost'] %}
    {%- for relation in ['sales', 'inventory', 'wip_item_entries', 'wip_capacity_entries'] %}
        select
            {%- for column in columns %}
                {{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relation }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        *,
        material + capacity + capacity_overhead + material_overhead + subcontracted + variance + revaluation
        + rounding as total,
        cost_in_period / nullif(total_cost, 0) as share_of_cost_in_period
    from unioned

)

select * from final
