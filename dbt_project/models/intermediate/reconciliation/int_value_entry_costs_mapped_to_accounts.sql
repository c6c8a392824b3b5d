{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='append_new_columns',
        pre_hook=["set local enable_mergejoin = off", "{{ delete_from_selected_period(whole_company=false) }}"],
        indexes=[{'columns': ['company', 'period_start']}],
    )
}}
-- enable_mergejoin off (DECISIONLOG.md 25): the posting-setup lookups of resolve_posting_accounts are
-- merged on company alone otherwise (full build at 10M entries: 170 s -> 28 s).
-- (Step 1/2 of the per-account reconciliation) The amounts value entries imply on each G/L account
-- through the posting rules (spec §B.2, §B.3), per company x period x account: both sides of every
-- rule, the actual part always and the expected part when Expected Cost Posting to G/L is on (§B.1).
-- Beside the full amount, the part BC already marked posted (Cost Posted to G/L, Expected Cost
-- Posted to G/L) goes through the same rules, which splits a difference into "not posted yet" and
-- "posted outside inventory posting". A side whose account cannot be resolved (missing setup row,
-- blank setup field, no rule) is summed under g_l_account_no null.
-- A table, period-incremental like the marts (macros/period_marts.sql, DECISIONLOG.md 22): a period's rows
-- depend on that period's aggregate slice and the setups only, so a run maps the periods it rebuilds
-- (from the first changed one on; every period after a setup table was re-loaded), not all history.
with

{{ period_mart_watermark_ctes(
    ['int_value_entries_aggregated_by_period'],
    [
        'stg_bc__items',
        'stg_bc__inventory_posting_setups',
        'stg_bc__general_posting_setups',
        'stg_bc__g_l_accounts',
        'stg_bc__inventory_setups',
        'stg_bc__general_ledger_setups',
    ],
    whole_company=false,
) }},

value_entries as (

    select aggregated.*
    from {{ ref('int_value_entries_aggregated_by_period') }} as aggregated
    inner join mart_rebuild_from
        on aggregated.company = mart_rebuild_from.company and aggregated.period_start >= mart_rebuild_from.rebuild_from
    where {{ period_slice_filter('aggregated.period_start', 'aggregated.company') }}

),

settings as (

    select * from {{ ref('int_company_settings_resolved') }}

),

cost_rows as (

    select
        value_entries.company,
        value_entries.period_start,
        value_entries.item_ledger_entry_type,
        value_entries.entry_type,
        value_entries.variance_type,
        value_entries.order_type,
        value_entries.location_code,
        value_entries.inventory_posting_group,
        value_entries.wip_posting_group,
        value_entries.gen_bus_posting_group,
        value_entries.gen_prod_posting_group,
        parts.cost_part,
        parts.amount,
        parts.amount_posted
    from value_entries
    left join settings on value_entries.company = settings.company
    cross join
        lateral (
            values
            ('actual', value_entries.cost_amount_actual, value_entries.cost_posted_to_g_l),
            (
                'expected',
                case when settings.is_expected_cost_posting then value_entries.cost_amount_expected else 0 end,
                case when settings.is_expected_cost_posting then value_entries.expected_cost_posted_to_g_l else 0 end
            )
        ) as parts (cost_part, amount, amount_posted)
    where value_entries.is_inventoriable and (parts.amount != 0 or parts.amount_posted != 0)

),

resolved as (

    {{ resolve_posting_accounts('cost_rows') }}

),

-- each side on its own: a side whose setup row is missing or whose setup field is blank implies its
-- amount on no account (g_l_account_no null), the other side still on its account
sides as (

    select
        company,
        period_start,
        nullif(account_no, '') as g_l_account_no,
        amount,
        amount_posted
    from resolved
    union all
    select
        company,
        period_start,
        nullif(bal_account_no, '') as g_l_account_no,
        -amount as amount,
        -amount_posted as amount_posted
    from resolved

),

final as (

    select
        sides.company,
        sides.period_start,
        sides.g_l_account_no,
        sum(sides.amount) as implied_amount,
        sum(sides.amount_posted) as implied_posted_amount,
        max(mart_row_watermarks.max_loaded_at) as max_loaded_at
    from sides
    left join mart_row_watermarks
        on sides.company = mart_row_watermarks.company and sides.period_start = mart_row_watermarks.period_start
    group by sides.company, sides.period_start, sides.g_l_account_no

)

select * from final
