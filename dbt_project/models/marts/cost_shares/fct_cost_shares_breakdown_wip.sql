-- One row per company x production order (Status Released or Finished): the WIP Inventory share of
-- Cost Shares Breakdown (report 5848, spec §D.4) between the start date and the valuation date, the
-- sum of the order's detail rows in fct_cost_shares_breakdown_details: consumption and output entries
-- up to the valuation date and capacity entries posted in the window, signed so that WIP is positive
-- (consumed + capacity - output), the order's own variances deducted. Quantity is the order quantity,
-- as BC prints it.
{%- set parts = ['material', 'capacity', 'capacity_overhead', 'material_overhead', 'subcontracted', 'variance',
    'revaluation', 'rounding', 'purchase_variance', 'material_variance', 'capacity_variance',
    'capacity_overhead_variance', 'mfg_overhead_variance', 'subcontracted_variance', 'total'] %}

with

details as (

    select * from {{ ref('fct_cost_shares_breakdown_details') }}
    where cost_share = 'WIP Inventory'

),

production_orders as (

    select * from {{ ref('stg_bc__production_orders') }}

),

summed as (

    select
        company,
        production_order_no,
        min(start_date) as start_date,
        min(end_date) as end_date,
        {%- for part in parts %}
            sum({{ part }}) as {{ part }},
        {%- endfor %}
        sum(cost_in_period) / nullif(sum(total_cost), 0) as share_of_cost_in_period,
        count(*) filter (where source_type = 'Item Ledger Entry') as item_ledger_entry_count,
        count(*) filter (where source_type = 'Capacity Ledger Entry') as capacity_ledger_entry_count
    from details
    group by company, production_order_no

),

final as (

    select
        summed.company,
        summed.production_order_no,
        production_orders.production_order_status,
        production_orders.description,
        production_orders.source_no,
        production_orders.quantity,
        summed.start_date,
        summed.end_date,
        {%- for part in parts %}
            summed.{{ part }},
        {%- endfor %}
        summed.share_of_cost_in_period,
        summed.item_ledger_entry_count,
        summed.capacity_ledger_entry_count
    from summed
    inner join production_orders
        on
            summed.company = production_orders.company
            and summed.production_order_no = production_orders.production_order_no

)

select * from final
