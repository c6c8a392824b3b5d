{{ config(pre_hook="set local enable_nestloop = off") }}
-- enable_nestloop off: misestimated item ledger filters would otherwise nest loops over applications
-- One row per company x cost share ('Sales' | 'Inventory') x item: Cost Shares Breakdown (report 5848,
-- spec §D.4) between the start date (var cost_shares_start_date, else the first day of the valuation
-- date's month) and the valuation date (var valuation_date, else each company's latest period end).
-- Sales: sale entries posted in the window, shown as cost of sales (positive); revaluation = forwarded
-- minus the sale's own revaluation. Inventory: entries with a remaining quantity at the valuation date,
-- scaled by remaining / entry quantity. Average items are skipped, as BC does. The WIP Inventory share
-- is not built (DECISIONLOG.md).
{%- set parts = ['material', 'capacity', 'capacity_overhead', 'material_overhead', 'subcontracted', 'variance',
    'revaluation', 'rounding', 'purchase_variance', 'material_variance', 'capacity_variance',
    'capacity_overhead_variance', 'mfg_overhead_variance', 'subcontracted_variance'] %}

with

entries as (

    select * from {{ ref('int_item_ledger_entry_costs_forwarded') }}

),

windowed as (

    select
        *,
        {%- if var('cost_shares_start_date', none) %}
            date {{ dbt.string_literal(var('cost_shares_start_date')) }} as start_date
        {%- else %}
            date_trunc('month', valuation_date)::date as start_date
        {%- endif %}
    from entries

),

sales as (

    select
        company,
        'Sales' as cost_share,
        item_no,
        min(start_date) as start_date,
        min(valuation_date) as end_date,
        -sum(quantity) as quantity,
        {%- for part in parts %}
            {%- if part == 'revaluation' %}
                -sum(revaluation - 2 * own_revaluation) as revaluation,
            {%- else %}
                -sum({{ part }}) as {{ part }},
            {%- endif %}
        {%- endfor %}
        count(*) as item_ledger_entry_count
    from windowed
    where entry_type = 'Sale' and posting_date between start_date and valuation_date
    group by company, item_no

),

inventory as (

    select
        company,
        'Inventory' as cost_share,
        item_no,
        min(start_date) as start_date,
        min(valuation_date) as end_date,
        sum(remaining_quantity) as quantity,
        {%- for part in parts %}
            sum({{ part }} * remaining_quantity / quantity) as {{ part }},
        {%- endfor %}
        count(*) as item_ledger_entry_count
    from windowed
    where remaining_quantity != 0 and quantity != 0
    group by company, item_no

),

unioned as (

    select * from sales
    union all
    select * from inventory

),

final as (

    select
        *,
        material + capacity + capacity_overhead + material_overhead + subcontracted + variance + revaluation
        + rounding as total
    from unioned

)

select * from final
