-- (Step 1/3 of the item side) BC's "Get Inventory Report" item lines (spec §C.2) summed per company x
-- period. Capacity value entries (blank item) count; items of Type <> Inventory do not.
with

value_entries as (

    select * from {{ ref('int_value_entries_aggregated_by_period') }}

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

    select * from summed

)

select * from final
