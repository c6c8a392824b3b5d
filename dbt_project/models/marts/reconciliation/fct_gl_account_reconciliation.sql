{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_from_selected_period(whole_company=false) }}",
    )
}}
-- One row per company x period x G/L account of the Inventory or General Posting Setup: the amount the
-- value entries imply on the account through the posting rules (both sides, spec §B.2) against the
-- account's net change (§A.4), for the period and to date. Unlike BC's matrix (§C.3) an account serving
-- two roles (CRONUS 7170: Inventory Adjmt. and Direct Cost Applied) is counted once, so a fully posted
-- company shows 0 everywhere. Also one row for G/L entries with a blank account ('') and one for implied
-- amounts whose account cannot be resolved (null), as the demo ERP's manifest defines its differences.
-- The "inventory = G/L" gate reads this model.
-- Period-incremental (macros/period_marts.sql): a run rewrites a company's periods from the first one
-- that changed onwards; max_loaded_at is the row's watermark.
with

mart as (

    with

    periods as (

        select * from {{ ref('int_company_periods_spined') }}

    ),

    setup_accounts as (

        select * from {{ ref('int_setup_accounts_unpivoted') }}

    ),

    implied as (

        select * from {{ ref('int_value_entry_costs_mapped_to_accounts') }}

    ),

    g_l_entries as (

        select * from {{ ref('int_g_l_entries_aggregated_by_period') }}

    ),

    setup_account_roles as (

        select
            company,
            g_l_account_no,
            string_agg(distinct setup_field, ', ' order by setup_field) as setup_roles
        from setup_accounts
        where g_l_account_no != ''
        group by company, g_l_account_no

    ),

    -- beside the setup accounts: G/L entries whose account no. is blank ('', BC's "Deleted Accounts") and
    -- implied amounts whose account cannot be resolved (null)
    accounts as (

        select * from setup_account_roles
        union all
        select distinct
            company,
            '' as g_l_account_no,
            '(blank account)' as setup_roles
        from g_l_entries
        where g_l_account_no = ''
        union all
        select distinct
            company,
            null as g_l_account_no,
            '(account not resolved)' as setup_roles
        from implied
        where g_l_account_no is null

    ),

    grid as (

        select
            periods.company,
            periods.period_start,
            periods.period_end,
            accounts.g_l_account_no,
            accounts.setup_roles
        from periods
        inner join accounts on periods.company = accounts.company

    ),

    per_period as (

        select
            grid.*,
            coalesce(implied.implied_amount, 0) as implied_amount,
            coalesce(implied.implied_posted_amount, 0) as implied_posted_amount,
            coalesce(g_l_entries.net_change, 0) as gl_net_change
        from grid
        left join implied
            on
                grid.company = implied.company
                and grid.period_start = implied.period_start
                and grid.g_l_account_no is not distinct from implied.g_l_account_no
        left join g_l_entries
            on
                grid.company = g_l_entries.company
                and grid.period_start = g_l_entries.period_start
                and grid.g_l_account_no is not distinct from g_l_entries.g_l_account_no

    ),

    final as (

        select
            company,
            period_start,
            period_end,
            g_l_account_no,
            setup_roles,
            implied_amount,
            gl_net_change,
            gl_net_change - implied_amount as difference,
            implied_amount - implied_posted_amount as unposted_amount,
            gl_net_change - implied_posted_amount as posted_outside_inventory_amount,
            sum(implied_amount) over to_date as implied_amount_to_date,
            sum(gl_net_change) over to_date as gl_net_change_to_date,
            sum(gl_net_change - implied_amount) over to_date as difference_to_date,
            sum(implied_amount - implied_posted_amount) over to_date as unposted_amount_to_date,
            sum(gl_net_change - implied_posted_amount) over to_date as posted_outside_inventory_amount_to_date
        from per_period
        window to_date as (partition by company, g_l_account_no order by period_start)

    )

    select * from final

),

{{ period_mart_watermark_ctes(
    ['int_value_entries_aggregated_by_period', 'int_g_l_entries_aggregated_by_period'],
    [
        'stg_bc__items',
        'stg_bc__inventory_posting_setups',
        'stg_bc__general_posting_setups',
        'stg_bc__g_l_accounts',
        'stg_bc__inventory_setups',
        'stg_bc__general_ledger_setups',
    ],
    whole_company=false,
) }}

{{ period_mart_select() }}
