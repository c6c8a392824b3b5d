{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_from_selected_period(whole_company=false) }}",
        indexes=[{'columns': ['company', 'period_start']}],
    )
}}
-- One row per company x item x location x variant x period: Inventory Valuation (report 1001, spec
-- §D.1) with the location as filter. See macro inventory_valuation.
-- Period-incremental (macros/period_marts.sql): a run rewrites a company's periods from the first one
-- that changed onwards; max_loaded_at is the row's watermark.
with

mart as (

    {{ inventory_valuation(with_location=true) }}

),

{{ period_mart_watermark_ctes(
    ['int_value_entries_aggregated_by_period', 'int_g_l_entries_aggregated_by_period'],
    ['stg_bc__items'],
    whole_company=false,
) }}

{{ period_mart_select() }}
