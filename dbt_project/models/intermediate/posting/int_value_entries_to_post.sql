-- (Step 1/2 of the adjusting journal) One row per company x value entry x cost part with an amount
-- left to post (spec §B.1, §D.5): actual = Cost Amount (Actual) - Cost Posted to G/L; expected =
-- Cost Amount (Expected) - Expected Cost Posted to G/L, only when Expected Cost Posting to G/L is on;
-- each minus what this project's posting task already posted for that entry and part (issue 7).
-- Non-inventoriable entries and items with Inventory Value Zero never reach G/L (§B.1).
with

value_entries as (

    select * from {{ ref('stg_bc__value_entries') }}

),

items as (

    select * from {{ ref('stg_bc__items') }}

),

settings as (

    select * from {{ ref('int_company_settings_resolved') }}

),

posted_by_costclose as (

    select
        company,
        value_entry_no,
        cost_part,
        sum(amount_posted) as amount_posted
    from {{ ref('stg_posting__posted_value_entries') }}
    group by company, value_entry_no, cost_part

),

candidates as (

    select
        value_entries.*,
        coalesce(settings.is_expected_cost_posting, false) as is_expected_cost_posting,
        case
            when value_entries.source_type = 'Item' and value_entries.source_no != value_entries.item_no
                then coalesce(produced_items.inventory_posting_group, value_entries.inventory_posting_group)
            else value_entries.inventory_posting_group
        end as wip_posting_group
    from value_entries
    left join settings on value_entries.company = settings.company
    left join items
        on value_entries.company = items.company and value_entries.item_no = items.item_no
    left join items as produced_items
        on
            value_entries.company = produced_items.company
            and value_entries.source_no = produced_items.item_no
            and value_entries.source_type = 'Item'
    where
        value_entries.inventoriable
        -- the condition below (which reads the settings through the join) written on the value entries
        -- alone, so that it filters the scan of value entries before any join: without it every value
        -- entry, all columns, was sorted twice for the item joins and only then dropped (DECISIONLOG.md 22)
        and (
            value_entries.cost_amount_actual != value_entries.cost_posted_to_g_l
            or (
                value_entries.cost_amount_expected != value_entries.expected_cost_posted_to_g_l
                and value_entries.company in (
                    select expected_posting.company
                    from settings as expected_posting
                    where expected_posting.is_expected_cost_posting
                )
            )
        )
        and not (coalesce(items.inventory_value_zero, false) and not value_entries.adjustment)
        and (
            value_entries.cost_amount_actual != value_entries.cost_posted_to_g_l
            or (
                coalesce(settings.is_expected_cost_posting, false)
                and value_entries.cost_amount_expected != value_entries.expected_cost_posted_to_g_l
            )
        )
    {%- if selected_company() is not none %}
            and value_entries.company = {{ dbt.string_literal(selected_company()) }}
        {%- endif %}

),

cost_parts as (

    select
        candidates.*,
        'actual' as cost_part,
        candidates.cost_amount_actual - candidates.cost_posted_to_g_l as amount_unposted
    from candidates
    union all
    select
        candidates.*,
        'expected' as cost_part,
        candidates.cost_amount_expected - candidates.expected_cost_posted_to_g_l as amount_unposted
    from candidates
    where candidates.is_expected_cost_posting

),

netted as (

    select
        cost_parts.company,
        cost_parts.entry_no as value_entry_no,
        cost_parts.cost_part,
        cost_parts.posting_date,
        cost_parts.item_no,
        cost_parts.item_ledger_entry_no,
        cost_parts.item_ledger_entry_type,
        cost_parts.entry_type,
        cost_parts.variance_type,
        cost_parts.order_type,
        cost_parts.order_no,
        cost_parts.expected_cost as is_expected_cost,
        cost_parts.cost_amount_expected,
        cost_parts.expected_cost_posted_to_g_l,
        cost_parts.is_expected_cost_posting,
        cost_parts.document_no,
        cost_parts.source_no,
        cost_parts.location_code,
        cost_parts.inventory_posting_group,
        cost_parts.wip_posting_group,
        cost_parts.gen_bus_posting_group,
        cost_parts.gen_prod_posting_group,
        cost_parts.dimension_set_id,
        cost_parts.amount_unposted,
        coalesce(posted_by_costclose.amount_posted, 0) as amount_posted_by_costclose,
        -- a target that updates Cost Posted to G/L itself (the demo ERP) leaves nothing unposted: the
        -- project's ledger is subtracted only while BC's own fields still show the part as unposted
        case
            when cost_parts.amount_unposted = 0 then 0
            else cost_parts.amount_unposted - coalesce(posted_by_costclose.amount_posted, 0)
        end as amount_to_post
    from cost_parts
    left join posted_by_costclose
        on
            cost_parts.company = posted_by_costclose.company
            and cost_parts.entry_no = posted_by_costclose.value_entry_no
            and cost_parts.cost_part = posted_by_costclose.cost_part

),

final as (

    select * from netted
    where amount_to_post != 0

)

select * from final
