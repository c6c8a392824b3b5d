-- One row per company x cost share ('Sales' | 'Inventory') x item: Cost Shares Breakdown (report 5848,
-- spec §D.4) between the start date (var cost_shares_start_date, else the first day of the valuation
-- date's month) and the valuation date (var valuation_date, else each company's latest period end): the
-- item's detail rows of fct_cost_shares_breakdown_details summed. Sales: sale entries posted in the
-- window, shown as cost of sales (positive). Inventory: entries with a remaining quantity at the
-- valuation date. Average items are skipped, as BC does. The WIP Inventory share is
-- fct_cost_shares_breakdown_wip (one row per production order).
{%- set parts = ['material', 'capacity', 'capacity_overhead', 'material_overhead', 'subcontracted', 'variance',
    'revaluation', 'rounding', 'purchase_variance', 'material_variance', 'capacity_variance',
    'capacity_overhead_variance', 'mfg_overhead_variance', 'subcontracted_variance'] %}

with

details as (

    select * from {{ ref('fct_cost_shares_breakdown_details') }}
    where cost_share in ('Sales', 'Inventory')

),

summed as (

    select
        company,
        cost_share,
        item_no,
        min(start_date) as start_date,
        min(end_date) as end_date,
        sum(quantity) as quantity,
        {%- for part in parts %}
            sum({{ part }}) as {{ part }},
        {%- endfor %}
        count(*) as item_ledger_entry_count,
        sum(total) as total,
        sum(cost_in_period) / nullif(sum(total_cost), 0) as share_of_cost_in_period
    from details
    group by company, cost_share, item_no

),

final as (

    select * from summed

)

select * from final
