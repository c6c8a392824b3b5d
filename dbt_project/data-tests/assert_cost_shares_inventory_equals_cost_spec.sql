-- Spec §D.3/§D.4: at the same valuation date, an item's Inventory cost share (its remaining entries'
-- cost split, scaled by remaining quantity) totals what Invt. Valuation - Cost Spec. values its
-- remaining quantity at. Average items are left out (Cost Shares skips them; Cost Spec. sums them
-- unscaled). Returns company x item rows that differ by more than 0.01 (unit costs are divided).
with

cost_shares as (

    select
        company,
        item_no,
        total
    from {{ ref('fct_cost_shares_breakdown') }}
    where cost_share = 'Inventory'

),

cost_spec as (

    select
        cost_spec.company,
        cost_spec.item_no,
        cost_spec.amount
    from {{ ref('fct_inventory_cost_spec') }} as cost_spec
    inner join {{ ref('stg_bc__items') }} as items
        on cost_spec.company = items.company and cost_spec.item_no = items.item_no
    where cost_spec.cost_component = 'Total' and items.costing_method != 'Average'

)

select
    coalesce(cost_spec.company, cost_shares.company) as company,
    coalesce(cost_spec.item_no, cost_shares.item_no) as item_no,
    cost_spec.amount as cost_spec_amount,
    cost_shares.total as cost_shares_total
from cost_spec
full outer join cost_shares
    on cost_spec.company = cost_shares.company and cost_spec.item_no = cost_shares.item_no
where abs(coalesce(cost_spec.amount, 0) - coalesce(cost_shares.total, 0)) > 0.01
