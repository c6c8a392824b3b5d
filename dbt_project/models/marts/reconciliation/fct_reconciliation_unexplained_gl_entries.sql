{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='fail',
        pre_hook=["set local enable_nestloop = off", "{{ delete_sparse_period_rows() }}"],
    )
}}
-- One row per company x G/L entry on the G/L side of the reconciliation that no value entry explains
-- (spec §C.3, §C.6): entries with a blank account ("Deleted Accounts"), entries on a setup account
-- without a G/L - Item Ledger Relation (direct postings, other modules: "Direct Posting"), and entries
-- linked to value entries of another month ("Posting Date"; value_entry_nos lists those entries);
-- entries created by date compression ("Compression") and closing entries ("Closed Fiscal Year").
-- A row of a period depends on that period's G/L entries only, so with --vars period the model rebuilds
-- that period alone (macros/period_marts.sql, sparse period marts; DECISIONLOG.md 17).
with

-- only the columns used: on_setup_accounts below is read twice, so PostgreSQL materializes it
g_l_entries as (

    select
        company,
        entry_no,
        posting_date,
        g_l_account_no,
        document_no,
        description,
        source_code,
        amount
    from {{ ref('stg_bc__g_l_entries') }}
    where {{ sparse_period_rows('posting_date') }}

),

relations as (

    select * from {{ ref('stg_bc__g_l_item_ledger_relations') }}

),

value_entries as (

    select * from {{ ref('stg_bc__value_entries') }}

),

setup_accounts as (

    select * from {{ ref('int_setup_accounts_unpivoted') }}

),

accounts as (

    select
        company,
        g_l_account_no,
        string_agg(distinct setup_field, ', ' order by setup_field) as setup_roles
    from setup_accounts
    where g_l_account_no != ''
    group by company, g_l_account_no

),

on_setup_accounts as (

    select
        g_l_entries.*,
        accounts.setup_roles
    from g_l_entries
    left join accounts
        on g_l_entries.company = accounts.company and g_l_entries.g_l_account_no = accounts.g_l_account_no
    where g_l_entries.g_l_account_no = '' or accounts.g_l_account_no is not null

),

-- set-based, one pass over the relations of the entries above: whether an entry has any relation, and
-- the value entries of another month it is related to
links as (

    select
        on_setup_accounts.company,
        on_setup_accounts.entry_no as g_l_entry_no,
        array_agg(relations.value_entry_no order by relations.value_entry_no) filter (
            where {{ period_of('value_entries.posting_date') }} != {{ period_of('on_setup_accounts.posting_date') }}
        ) as value_entry_nos
    from on_setup_accounts
    inner join relations
        on
            on_setup_accounts.company = relations.company
            and on_setup_accounts.entry_no = relations.g_l_entry_no
    left join value_entries
        on relations.company = value_entries.company and relations.value_entry_no = value_entries.entry_no
    group by on_setup_accounts.company, on_setup_accounts.entry_no

),

classified as (

    select
        on_setup_accounts.company,
        {{ period_of('on_setup_accounts.posting_date') }} as period_start,
        on_setup_accounts.entry_no as g_l_entry_no,
        on_setup_accounts.posting_date,
        on_setup_accounts.g_l_account_no,
        on_setup_accounts.setup_roles,
        on_setup_accounts.document_no,
        on_setup_accounts.description,
        on_setup_accounts.source_code,
        on_setup_accounts.amount,
        links.value_entry_nos,
        case
            when on_setup_accounts.g_l_account_no = '' then 'Deleted Accounts'
            -- compression deletes the relations of the entries it sums; closing entries never have any
            when {{ is_date_compression_source_code('on_setup_accounts.source_code') }} then 'Compression'
            when
                links.g_l_entry_no is null
                and on_setup_accounts.source_code = {{ dbt.string_literal(close_income_statement_source_code()) }}
                then 'Closed Fiscal Year'
            when links.g_l_entry_no is null then 'Direct Posting'
            when links.value_entry_nos is not null then 'Posting Date'
        end as reason
    from on_setup_accounts
    left join links
        on on_setup_accounts.company = links.company and on_setup_accounts.entry_no = links.g_l_entry_no

),

final as (

    select * from classified
    where reason is not null

)

select * from final
