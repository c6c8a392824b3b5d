-- One row per company x G/L entry on the G/L side of the reconciliation that no value entry explains
-- (spec §C.3, §C.6): entries with a blank account ("Deleted Accounts"), entries on a setup account
-- without a G/L - Item Ledger Relation (direct postings, other modules: "Direct Posting"), and entries
-- linked to value entries of another period ("Posting Date").
with

g_l_entries as (

    select * from {{ ref('stg_bc__g_l_entries') }}

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

linked as (

    select
        relations.company,
        relations.g_l_entry_no,
        min(value_entries.posting_date) as first_value_entry_posting_date,
        max(value_entries.posting_date) as last_value_entry_posting_date,
        array_agg(relations.value_entry_no order by relations.value_entry_no) as value_entry_nos
    from relations
    left join value_entries
        on relations.company = value_entries.company and relations.value_entry_no = value_entries.entry_no
    group by relations.company, relations.g_l_entry_no

),

classified as (

    select
        g_l_entries.company,
        {{ period_of('g_l_entries.posting_date') }} as period_start,
        g_l_entries.entry_no as g_l_entry_no,
        g_l_entries.posting_date,
        g_l_entries.g_l_account_no,
        accounts.setup_roles,
        g_l_entries.document_no,
        g_l_entries.description,
        g_l_entries.source_code,
        g_l_entries.amount,
        linked.value_entry_nos,
        case
            when g_l_entries.g_l_account_no = '' then 'Deleted Accounts'
            when linked.g_l_entry_no is null then 'Direct Posting'
            when
                {{ period_of('linked.first_value_entry_posting_date') }} != {{ period_of('g_l_entries.posting_date') }}
                or {{ period_of('linked.last_value_entry_posting_date') }}
                != {{ period_of('g_l_entries.posting_date') }}
                then 'Posting Date'
        end as reason
    from g_l_entries
    left join accounts
        on g_l_entries.company = accounts.company and g_l_entries.g_l_account_no = accounts.g_l_account_no
    left join linked
        on g_l_entries.company = linked.company and g_l_entries.entry_no = linked.g_l_entry_no
    where g_l_entries.g_l_account_no = '' or accounts.g_l_account_no is not null

),

final as (

    select * from classified
    where reason is not null

)

select * from final
