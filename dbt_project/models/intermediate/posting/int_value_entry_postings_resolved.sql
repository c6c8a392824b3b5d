{{ config(materialized='table', pre_hook="set local enable_mergejoin = off") }}
-- enable_mergejoin off (DECISIONLOG.md 25): the setup lookups are equi-joins on company and setup keys,
-- but with the to-post rows overestimated the planner merged on company alone and re-read the few
-- hundred setup rows for every entry (138 million rows at 10M entries: 86 s; hash joins: 7.5 s).
-- (Step 2/2 of the adjusting journal) One row per company x value entry x cost part to post, with its
-- posting rule (spec §B.2), both accounts (§B.3) and, when it cannot be posted, why (§B.1, §D.5):
-- expected cost on an entry type that cannot carry it, expected cost posting off, a missing setup row,
-- a blank, missing or blocked account, a closed accounting period, or a date outside the allowed range.
with

to_post as (

    select * from {{ ref('int_value_entries_to_post') }}

),

periods as (

    select * from {{ ref('int_accounting_periods_bounded') }}

),

settings as (

    select * from {{ ref('int_company_settings_resolved') }}

),

resolved as (

    {{ resolve_posting_accounts('to_post') }}

),

dated as (

    select
        resolved.*,
        coalesce(periods.is_closed, false) as is_in_closed_period,
        settings.allow_posting_from,
        settings.allow_posting_to
    from resolved
    left join periods
        on
            resolved.company = periods.company
            and resolved.posting_date between periods.starting_date and periods.ending_date
    left join settings on resolved.company = settings.company

),

final as (

    select
        company,
        value_entry_no,
        cost_part,
        posting_date,
        item_no,
        item_ledger_entry_no,
        item_ledger_entry_type,
        entry_type,
        variance_type,
        order_type,
        order_no,
        is_expected_cost,
        document_no,
        source_no,
        location_code,
        inventory_posting_group,
        wip_posting_group,
        gen_bus_posting_group,
        gen_prod_posting_group,
        dimension_set_id,
        amount_unposted,
        amount_posted_by_costclose,
        amount_to_post,
        rule_id,
        account_type,
        account_no,
        bal_account_type,
        bal_account_no,
        case
            -- §B.1 step 1: with expected cost posting off, an expected entry never posted as expected is skipped
            when not is_expected_cost_posting and expected_cost_posted_to_g_l = 0 and is_expected_cost
                then 'Expected Cost Posting to G/L is off'
            -- §B.1 step 2
            when entry_type not in ('Direct Cost', 'Revaluation') and (is_expected_cost or cost_amount_expected != 0)
                then 'Expected cost on Entry Type ''' || entry_type || ''' is not allowed'
            when skip_reason is not null then skip_reason
            when is_in_closed_period
                then 'Posting date ' || posting_date || ' is in a closed accounting period'
            when allow_posting_from is not null and posting_date < allow_posting_from
                then 'Posting date ' || posting_date || ' is before Allow Posting From ' || allow_posting_from
            when allow_posting_to is not null and posting_date > allow_posting_to
                then 'Posting date ' || posting_date || ' is after Allow Posting To ' || allow_posting_to
        end as skip_reason
    from dated

)

select * from final
