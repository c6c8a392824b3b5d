{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='fail',
        pre_hook=["set local enable_nestloop = off", "{{ delete_selected_period() }}"],
        post_hook="analyze {{ this }}",
    )
}}
-- enable_nestloop off: the night's new rows lie past raw's statistics (estimated at 1 row), and nested
-- loops over every application entry per selected entry took minutes at 1M entries (DECISIONLOG.md 17)
-- (Step 1/3 of the G/L side, warnings) One row per company x period with G/L entries: how many of them
-- were created by date compression, and how many closing entries (Close Income Statement) are dated on
-- the period's last day, for BC's reconciliation warnings "Compression" and "Closed Fiscal Year"
-- (spec §C.6 checks 4 and 5). Every period with G/L entries gets a row, so the incremental watermark
-- exists even when nothing was ever compressed. Period-incremental like the G/L aggregate.
with

g_l_entries as (

    select * from {{ ref('stg_bc__g_l_entries') }}

),

selected as (

    select *
    from g_l_entries
    where {{ period_rows_to_build(ref('stg_bc__g_l_entries')) }}

),

flagged as (

    select
        company,
        {{ period_of('posting_date') }} as period_start,
        count(*) filter (where {{ is_date_compression_source_code('source_code') }}) as compression_entry_count,
        -- BC dates closing entries on the closing date C<year end>; raw carries the plain date
        count(*) filter (
            where source_code = {{ dbt.string_literal(close_income_statement_source_code()) }}
            and posting_date = ({{ period_of('posting_date') }} + interval '1 month' - interval '1 day')::date
        ) as closing_entry_count,
        {{ aggregate_loaded_at(ref('stg_bc__g_l_entries')) }} as max_loaded_at
    from selected
    group by company, {{ period_of('posting_date') }}

),

final as (

    select * from flagged

)

select * from final
