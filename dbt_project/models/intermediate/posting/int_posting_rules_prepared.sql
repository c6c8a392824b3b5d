-- The posting-rule table of spec §B.2 (seed posting_rules, a verbatim copy of
-- ../shared/spec/posting_rules.csv) made joinable: BC's blank ILE type ' ' becomes '' as in the raw
-- data, and the order-type condition is split into "equals" / "not equals".
-- Rules W1a/W1b (BC 26 "Finish Order Without Output") are left out: they need the production order
-- line's finished quantity and the Manufacturing Setup toggle, which the raw schema does not carry
-- (DECISIONLOG.md). O3/O6 apply only when the var include_non_inventory_cost_in_produced_items is true.
with

posting_rules as (

    select * from {{ ref('posting_rules') }}

),

prepared as (

    select
        rule_id,
        coalesce(trim(ve_item_ledger_entry_type), '') as item_ledger_entry_type,
        coalesce(trim(ve_entry_type), '') as entry_type,
        coalesce(trim(ve_variance_type), '') as variance_type,
        case
            when coalesce(trim(ve_order_type), '') like '<>%' then substr(trim(ve_order_type), 3)
            else ''
        end as order_type_not,
        case
            when coalesce(trim(ve_order_type), '') like '<>%' then ''
            else coalesce(trim(ve_order_type), '')
        end as order_type_is,
        trim(cost_part) as cost_part,
        trim(account_type_gets_plus) as account_type,
        trim(account_setup_table) as account_setup_table,
        trim(account_setup_field) as account_setup_field,
        trim(bal_account_type_gets_minus) as bal_account_type,
        trim(bal_setup_table) as bal_setup_table,
        trim(bal_setup_field) as bal_setup_field
    from posting_rules
    where
        rule_id not like 'W1%'
        {%- if not var('include_non_inventory_cost_in_produced_items') %}
            and rule_id not in ('O3', 'O6')
        {%- endif %}

),

final as (

    select * from prepared

)

select * from final
