{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_wip_orders_to_rebuild() }}",
        indexes=[{'columns': ['company', 'production_order_no']}],
    )
}}
-- One row per company x production order x period: Inventory Valuation - WIP (report 5802, spec §D.2):
-- WIP at start, consumption, capacity, output, WIP at end and Cost Posted to G/L. Orders with Status
-- Released or Finished (or not in raw.production_order); periods where the order has no movement and no
-- WIP are left out.
-- Incremental by production order (macros/wip_orders.sql, DECISIONLOG.md 26): an order's rows read all
-- of its periods and no other order, so a run rebuilds only the orders whose entries or records changed
-- (the pre_hook deletes them; this query builds every order with entries and no rows: append).
with

production_entries as (

    select *
    -- the alias is read by wip_orders_to_build on incremental runs only
    from {{ ref('int_production_value_entries_aggregated_by_period') }} as entries  -- noqa: AL05
    where {{ wip_orders_to_build('entries') }}

),

-- an order moves from Released to Finished under a new key; read one row per order, Finished first
production_orders as (

    select distinct on (company, production_order_no) *
    from {{ ref('stg_bc__production_orders') }}
    order by company, production_order_no, production_order_status = 'Finished' desc

),

periods as (

    select * from {{ ref('int_company_periods_spined') }}

),

-- IsNotWIP: output indirect cost, variance and rounding, and expected non-output entries, are not WIP
wip_entries as (

    select *
    from production_entries
    where
        not (item_ledger_entry_type = 'Output' and entry_type not in ('Direct Cost', 'Revaluation'))
        and not (item_ledger_entry_type != 'Output' and is_expected_cost)

),

contributions as (

    select
        company,
        order_no,
        period_start,
        -- "As of <Start-1>": capacity +Act, output -(Exp + Act), others -Act; revaluations with actual 0
        sum(
            case
                when entry_type = 'Revaluation' and has_actual_cost then 0
                when item_ledger_entry_type = '' then cost_amount_actual
                when item_ledger_entry_type = 'Output' then -cost_amount_expected - cost_amount_actual
                else -cost_amount_actual
            end
        ) as start_contribution,
        -- a revaluation of a positive consumption entry (negative consumption) is not consumption
        -sum(cost_amount_actual) filter (
            where item_ledger_entry_type = 'Consumption'
            and not (entry_type = 'Revaluation' and is_positive_quantity)
        ) as consumption,
        sum(cost_amount_actual) filter (where item_ledger_entry_type = '') as capacity,
        -sum(cost_amount_actual + cost_amount_expected) filter (where item_ledger_entry_type = 'Output') as output,
        -sum(cost_amount_actual) filter (
            where item_ledger_entry_type = 'Output' and entry_type = 'Revaluation'
        ) as output_revaluation_actual,
        sum(cost_amount_expected) filter (where item_ledger_entry_type = 'Output') as output_expected,
        sum(
            case
                when item_ledger_entry_type = '' then cost_posted_to_g_l + expected_cost_posted_to_g_l
                when item_ledger_entry_type = 'Consumption' and entry_type = 'Revaluation' and is_positive_quantity
                    then 0
                else -(cost_posted_to_g_l + expected_cost_posted_to_g_l)
            end
        ) as cost_posted,
        -sum(cost_posted_to_g_l) filter (
            where item_ledger_entry_type = 'Output' and entry_type = 'Revaluation'
        ) as output_revaluation_cost_posted
    from wip_entries
    group by company, order_no, period_start

),

first_periods as (

    select
        company,
        order_no,
        min(period_start) as first_period_start,
        max(period_start) as last_period_start
    from contributions
    group by company, order_no

),

spined as (

    select
        first_periods.company,
        first_periods.order_no,
        first_periods.last_period_start,
        periods.period_start,
        periods.period_end,
        coalesce(contributions.start_contribution, 0) as start_contribution,
        coalesce(contributions.consumption, 0) as consumption,
        coalesce(contributions.capacity, 0) as capacity,
        coalesce(contributions.output, 0) as output,
        coalesce(contributions.output_revaluation_actual, 0) as output_revaluation_actual,
        coalesce(contributions.output_expected, 0) as output_expected,
        coalesce(contributions.cost_posted, 0) as cost_posted,
        coalesce(contributions.output_revaluation_cost_posted, 0) as output_revaluation_cost_posted
    from first_periods
    inner join periods
        on first_periods.company = periods.company and first_periods.first_period_start <= periods.period_start
    left join contributions
        on
            first_periods.company = contributions.company
            and first_periods.order_no = contributions.order_no
            and periods.period_start = contributions.period_start

),

cumulated as (

    select
        *,
        coalesce(sum(start_contribution) over before_period, 0) as wip_at_start,
        sum(output_expected) over to_end as output_expected_to_end,
        sum(cost_posted) over to_end as cost_posted_to_end,
        sum(output_revaluation_cost_posted) over to_end as output_revaluation_cost_posted_to_end
    from spined
    window
        before_period as (
            partition by company, order_no order by period_start
            rows between unbounded preceding and 1 preceding
        ),
        to_end as (
            partition by company, order_no order by period_start
            rows between unbounded preceding and current row
        )

),

-- when the order's output is fully invoiced (no expected output left), output revaluation actual
-- amounts leave Output and Cost Posted to G/L (§D.2)
adjusted as (

    select
        *,
        output_expected_to_end = 0 as is_output_fully_invoiced,
        output - case when output_expected_to_end = 0 then output_revaluation_actual else 0 end as output_shown,
        cost_posted_to_end
        - case when output_expected_to_end = 0 then output_revaluation_cost_posted_to_end else 0 end
            as cost_posted_to_g_l
    from cumulated

),

final as (

    select
        adjusted.company,
        adjusted.order_no as production_order_no,
        adjusted.period_start,
        adjusted.period_end,
        coalesce(production_orders.production_order_status, '') as production_order_status,
        coalesce(production_orders.description, '') as description,
        coalesce(production_orders.source_type, '') as source_type,
        coalesce(production_orders.source_no, '') as source_no,
        adjusted.wip_at_start,
        adjusted.consumption,
        adjusted.capacity,
        adjusted.output_shown as output,
        adjusted.wip_at_start + adjusted.consumption + adjusted.capacity + adjusted.output_shown as wip_at_end,
        adjusted.cost_posted_to_g_l,
        adjusted.is_output_fully_invoiced
    from adjusted
    left join production_orders
        on
            adjusted.company = production_orders.company
            and adjusted.order_no = production_orders.production_order_no
    where
        coalesce(production_orders.production_order_status, 'Released') in ('Released', 'Finished')
        -- a Finished order whose output is completely invoiced is skipped once it has no more entries
        -- (report 5802; "completely invoiced" read as: no expected output cost left)
        and not (
            production_orders.production_order_status = 'Finished'
            and adjusted.is_output_fully_invoiced
            and adjusted.period_start > adjusted.last_period_start
        )
        and (
            adjusted.wip_at_start != 0 or adjusted.consumption != 0 or adjusted.capacity != 0
            or adjusted.output_shown != 0 or adjusted.cost_posted_to_g_l != 0
        )

),

-- the newest raw load each order's rows were built from: its entries and its records
order_watermarks as (

    select
        company,
        order_no,
        max(max_loaded_at) as max_loaded_at
    from production_entries
    group by company, order_no

),

order_records_loaded as (

    select
        company,
        production_order_no,
        max(_loaded_at) as max_loaded_at
    from {{ ref('stg_bc__production_orders') }}
    group by company, production_order_no

)

select
    final.*,
    greatest(order_watermarks.max_loaded_at, order_records_loaded.max_loaded_at) as max_loaded_at
from final
inner join order_watermarks
    on final.company = order_watermarks.company and final.production_order_no = order_watermarks.order_no
left join order_records_loaded
    on
        final.company = order_records_loaded.company
        and final.production_order_no = order_records_loaded.production_order_no
