{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='fail',
        pre_hook=["set local enable_nestloop = off", "{{ delete_selected_period() }}"],
        post_hook="analyze {{ this }}",
        indexes=[{'columns': ['company', 'period_start']}],
    )
}}
-- enable_nestloop off: the night's new rows lie past raw's statistics (estimated at 1 row), and nested
-- loops over every application entry per selected entry took minutes at 1M entries (DECISIONLOG.md 17)
-- (Step 1/2 of Inventory Valuation - WIP) Value entries of production orders (Order Type =
-- Production) summed per company x period x order x the attributes report 5802 distinguishes (spec
-- §D.2). Period-incremental like the other aggregates.
with

value_entries as (

    select * from {{ ref('stg_bc__value_entries') }}

),

selected as (

    select *
    from value_entries
    where order_type = 'Production' and {{ period_rows_to_build(ref('stg_bc__value_entries')) }}

),

aggregated as (

    select
        company,
        {{ period_of('posting_date') }} as period_start,
        order_no,
        item_ledger_entry_type,
        entry_type,
        expected_cost as is_expected_cost,
        cost_amount_actual != 0 as has_actual_cost,
        valued_quantity > 0 as is_positive_quantity,
        sum(cost_amount_actual) as cost_amount_actual,
        sum(cost_amount_expected) as cost_amount_expected,
        sum(cost_posted_to_g_l) as cost_posted_to_g_l,
        sum(expected_cost_posted_to_g_l) as expected_cost_posted_to_g_l,
        count(*) as value_entry_count,
        {{ aggregate_loaded_at(ref('stg_bc__value_entries')) }} as max_loaded_at
    from selected
    group by
        company,
        {{ period_of('posting_date') }},
        order_no,
        item_ledger_entry_type,
        entry_type,
        expected_cost,
        cost_amount_actual != 0,
        valued_quantity > 0

),

final as (

    select * from aggregated

)

select * from final
