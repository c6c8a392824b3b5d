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
-- (Step 1/3 of the G/L side) G/L entries summed per company x period x account: the "Net Change"
-- FlowField of spec §A.4/§C.3 over a period. Period-incremental like the value-entry aggregate.
with

g_l_entries as (

    select * from {{ ref('stg_bc__g_l_entries') }}

),

selected as (

    select *
    from g_l_entries
    where {{ period_rows_to_build(ref('stg_bc__g_l_entries')) }}

),

aggregated as (

    select
        company,
        {{ period_of('posting_date') }} as period_start,
        g_l_account_no,
        sum(amount) as net_change,
        count(*) as g_l_entry_count,
        {{ aggregate_loaded_at(ref('stg_bc__g_l_entries')) }} as max_loaded_at
    from selected
    group by company, {{ period_of('posting_date') }}, g_l_account_no

),

final as (

    select * from aggregated

)

select * from final
