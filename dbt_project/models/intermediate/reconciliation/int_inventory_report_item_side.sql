{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_from_selected_period(whole_company=false) }}",
    )
}}
-- (Step 1/3 of the item side) BC's "Get Inventory Report" item lines (spec §C.2) summed per company x
-- period. Capacity value entries (blank item) count; items of Type <> Inventory do not.
-- A table, period-incremental (macros/period_marts.sql, DECISIONLOG.md 22): a period's line depends on that
-- period's aggregate slice and the items only, so a run sums the periods it rebuilds, not all history.
with

{{ period_mart_watermark_ctes(['int_value_entries_aggregated_by_period'], ['stg_bc__items'], whole_company=false) }},

value_entries as (

    select aggregated.*
    from {{ ref('int_value_entries_aggregated_by_period') }} as aggregated
    inner join mart_rebuild_from
        on aggregated.company = mart_rebuild_from.company and aggregated.period_start >= mart_rebuild_from.rebuild_from
    where {{ period_slice_filter('aggregated.period_start', 'aggregated.company') }}

),

items as (

    select * from {{ ref('stg_bc__items') }}

),

inventory_entries as (

    select value_entries.*
    from value_entries
    left join items
        on value_entries.company = items.company and value_entries.item_no = items.item_no
    where value_entries.item_no = '' or coalesce(items.item_type, '') not in ('Service', 'Non-Inventory')

),

summed as (

    select
        company,
        period_start,
        {{ inventory_report_item_field_sums() }},
        sum(never_posted_entry_count) as never_posted_entry_count
    from inventory_entries
    group by company, period_start

),

final as (

    select
        summed.*,
        mart_row_watermarks.max_loaded_at
    from summed
    left join mart_row_watermarks
        on summed.company = mart_row_watermarks.company and summed.period_start = mart_row_watermarks.period_start

)

select * from final
