{{ config(pre_hook="set local enable_nestloop = off") }}
-- enable_nestloop off: misestimated item ledger filters would otherwise nest loops over applications
-- One row per company x item x cost component (Direct Cost, Revaluation, Rounding, Indirect Cost,
-- Variance, and a Total line) at the valuation date: Invt. Valuation - Cost Spec. (report 5801, spec
-- §D.3). The valuation date is the var valuation_date, or else each company's latest period end.
with

remaining as (

    select * from {{ ref('int_item_ledger_entries_remaining_at_valuation_date') }}

),

value_entries as (

    select * from {{ ref('stg_bc__value_entries') }}

),

valuation_dates as (

    select distinct
        company,
        valuation_date
    from remaining

),

-- §D.3 step 2: per component, unit cost = (Act + Exp) / |ILE quantity| (|Valued Quantity| for partial
-- revaluations) times |remaining quantity|; Average items sum their costs unscaled
components as (

    select
        remaining.company,
        remaining.item_no,
        remaining.entry_no,
        remaining.remaining_quantity,
        value_entries.entry_type as cost_component,
        case
            when remaining.costing_method = 'Average'
                then sum(value_entries.cost_amount_actual + value_entries.cost_amount_expected)
            else sum(
                    (value_entries.cost_amount_actual + value_entries.cost_amount_expected)
                    / nullif(
                        case
                            when value_entries.partial_revaluation then abs(value_entries.valued_quantity)
                            else abs(remaining.quantity)
                        end,
                        0
                    )
                ) * abs(remaining.remaining_quantity)
        end as amount,
        count(*) as value_entry_count
    from remaining
    inner join value_entries
        on
            remaining.company = value_entries.company
            and remaining.entry_no = value_entries.item_ledger_entry_no
            and remaining.valuation_date >= value_entries.posting_date
    where value_entries.entry_type in ('Direct Cost', 'Revaluation', 'Rounding', 'Indirect Cost', 'Variance')
    group by
        remaining.company,
        remaining.item_no,
        remaining.entry_no,
        remaining.remaining_quantity,
        remaining.costing_method,
        value_entries.entry_type

),

item_quantities as (

    select
        company,
        item_no,
        sum(remaining_quantity) as remaining_quantity
    from remaining
    group by company, item_no

),

per_component as (

    select
        components.company,
        components.item_no,
        components.cost_component,
        sum(components.amount) as amount,
        sum(components.value_entry_count) as value_entry_count
    from components
    group by components.company, components.item_no, components.cost_component

),

with_unit_cost as (

    select
        per_component.*,
        item_quantities.remaining_quantity,
        per_component.amount / nullif(abs(item_quantities.remaining_quantity), 0) as cost_per_unit
    from per_component
    inner join item_quantities
        on per_component.company = item_quantities.company and per_component.item_no = item_quantities.item_no

),

lines as (

    select
        company,
        item_no,
        cost_component,
        case cost_component
            when 'Direct Cost' then 1
            when 'Revaluation' then 2
            when 'Rounding' then 3
            when 'Indirect Cost' then 4
            when 'Variance' then 5
        end as line_no,
        remaining_quantity,
        cost_per_unit,
        amount,
        value_entry_count
    from with_unit_cost
    union all
    select
        company,
        item_no,
        'Total' as cost_component,
        6 as line_no,
        max(remaining_quantity) as remaining_quantity,
        sum(cost_per_unit) as cost_per_unit,
        sum(amount) as amount,
        sum(value_entry_count) as value_entry_count
    from with_unit_cost
    group by company, item_no

),

final as (

    select
        lines.company,
        valuation_dates.valuation_date,
        lines.item_no,
        lines.line_no,
        lines.cost_component,
        lines.remaining_quantity,
        lines.cost_per_unit,
        lines.amount,
        lines.value_entry_count
    from lines
    inner join valuation_dates on lines.company = valuation_dates.company

)

select * from final
