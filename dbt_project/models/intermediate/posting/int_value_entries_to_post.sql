-- (Step 1/2 of the adjusting journal) One row per company x value entry x cost part with an amount
-- left to post (spec §B.1, §D.5): actual = Cost Amount (Actual) - Cost Posted to G/L; expected =
-- Cost Amount (Expected) - Expected Cost Posted to G/L, only when Expected Cost Posting to G/L is on;
-- each minus what this project's posting task already posted for that entry and part (issue 7).
-- Non-inventoriable entries and items with Inventory Value Zero never reach G/L (§B.1).
with

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

expected_posting_companies as (

    select company from settings
    where is_expected_cost_posting

),

-- The value entries with something left to post, read on the value entry alone before any join: actual
-- cost anywhere, expected cost only in companies that post it. Each branch's condition implies the
-- predicate of a partial index on raw.value_entry (landing/schema.py EXTRA_INDEXES), so neither scans
-- every value entry of history, also on the nightly run (DECISIONLOG.md 22, 24). The staging model is
-- named in each branch, not through a CTE: a CTE read twice is materialised, i.e. every value entry read.
unposted as (

    select * from {{ ref('stg_bc__value_entries') }}
    where
        inventoriable
        and cost_amount_actual != cost_posted_to_g_l
    {%- if selected_company() is not none %}
            and company = {{ dbt.string_literal(selected_company()) }}
        {%- endif %}
    union all
    select * from {{ ref('stg_bc__value_entries') }}
    where
        inventoriable
        and cost_amount_actual = cost_posted_to_g_l
        and cost_amount_expected != expected_cost_posted_to_g_l
        and company in (select expected_posting_companies.company from expected_posting_companies)
    {%- if selected_company() is not none %}
            and company = {{ dbt.string_literal(selected_company()) }}
        {%- endif %}

),

candidates as (

    select
        unposted.*,
        coalesce(settings.is_expected_cost_posting, false) as is_expected_cost_posting,
        case
            when unposted.source_type = 'Item' and unposted.source_no != unposted.item_no
                then coalesce(produced_items.inventory_posting_group, unposted.inventory_posting_group)
            else unposted.inventory_posting_group
        end as wip_posting_group
    from unposted
    left join settings on unposted.company = settings.company
    left join items
        on unposted.company = items.company and unposted.item_no = items.item_no
    left join items as produced_items
        on
            unposted.company = produced_items.company
            and unposted.source_no = produced_items.item_no
            and unposted.source_type = 'Item'
    where not (coalesce(items.inventory_value_zero, false) and not unposted.adjustment)

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
