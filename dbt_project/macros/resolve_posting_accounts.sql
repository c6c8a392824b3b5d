{#- (Step 2/2 of account resolution) Map cost rows to their posting rule (spec §B.2) and resolve both
    accounts through the setups (§B.3).

    `cost_rows` is a CTE/relation with: company, item_ledger_entry_type, entry_type, variance_type,
    order_type, location_code, inventory_posting_group, wip_posting_group, gen_bus_posting_group,
    gen_prod_posting_group, cost_part ('actual' | 'expected'), plus any columns to carry through.
    Returns the same rows with rule_id, account_type, account_no, bal_account_type, bal_account_no and
    skip_reason (null when both accounts resolve to existing, unblocked G/L accounts). A row whose
    combination has no rule keeps rule_id null: BC rejects it ("The following combination ... is not
    allowed"). -#}
{% macro resolve_posting_accounts(cost_rows) -%}
    {%- set ips = "'Inventory Posting Setup'" -%}
    select
        cost_rows.*,
        rules.rule_id,
        rules.account_type,
        rules.account_setup_table,
        rules.account_setup_field,
        account_setup.g_l_account_no as account_no,
        rules.bal_account_type,
        rules.bal_setup_table,
        rules.bal_setup_field,
        bal_setup.g_l_account_no as bal_account_no,
        case
            when rules.rule_id is null
                then 'No posting rule for Item Ledger Entry Type = ''' || cost_rows.item_ledger_entry_type
                    || ''', Entry Type = ''' || cost_rows.entry_type
                    || ''', Variance Type = ''' || cost_rows.variance_type
                    || ''', cost part = ' || cost_rows.cost_part || ' (combination not allowed)'
            when account_setup.setup_table is null
                then rules.account_setup_table || ' ('
                    || {{ _setup_key_1('rules.account_setup_table') }} || ', '
                    || {{ _setup_key_2('rules.account_setup_table', 'rules.account_setup_field') }}
                    || ') is missing'
            when bal_setup.setup_table is null
                then rules.bal_setup_table || ' ('
                    || {{ _setup_key_1('rules.bal_setup_table') }} || ', '
                    || {{ _setup_key_2('rules.bal_setup_table', 'rules.bal_setup_field') }}
                    || ') is missing'
            when account_setup.is_setup_blocked or bal_setup.is_setup_blocked
                then 'General Posting Setup (' || cost_rows.gen_bus_posting_group || ', '
                    || cost_rows.gen_prod_posting_group || ') is blocked'
            when account_setup.g_l_account_no = ''
                then rules.account_setup_field || ' is blank in ' || rules.account_setup_table
            when bal_setup.g_l_account_no = ''
                then rules.bal_setup_field || ' is blank in ' || rules.bal_setup_table
            when account_gl.g_l_account_no is null
                then 'G/L account ' || account_setup.g_l_account_no || ' does not exist'
            when bal_gl.g_l_account_no is null
                then 'G/L account ' || bal_setup.g_l_account_no || ' does not exist'
            when account_gl.blocked
                then 'G/L account ' || account_setup.g_l_account_no || ' is blocked'
            when bal_gl.blocked
                then 'G/L account ' || bal_setup.g_l_account_no || ' is blocked'
        end as skip_reason
    from {{ cost_rows }} as cost_rows
    left join {{ ref('int_posting_rules_prepared') }} as rules
        on
            cost_rows.item_ledger_entry_type = rules.item_ledger_entry_type
            and cost_rows.entry_type = rules.entry_type
            and cost_rows.cost_part = rules.cost_part
            and (rules.variance_type = '' or cost_rows.variance_type = rules.variance_type)
            and (rules.order_type_is = '' or cost_rows.order_type = rules.order_type_is)
            and (rules.order_type_not = '' or cost_rows.order_type != rules.order_type_not)
    left join {{ ref('int_setup_accounts_unpivoted') }} as account_setup
        on
            cost_rows.company = account_setup.company
            and rules.account_setup_table = account_setup.setup_table
            and rules.account_setup_field = account_setup.setup_field
            and {{ _setup_key_1('rules.account_setup_table') }} = account_setup.setup_key_1
            and {{ _setup_key_2('rules.account_setup_table', 'rules.account_setup_field') }}
            = account_setup.setup_key_2
    left join {{ ref('int_setup_accounts_unpivoted') }} as bal_setup
        on
            cost_rows.company = bal_setup.company
            and rules.bal_setup_table = bal_setup.setup_table
            and rules.bal_setup_field = bal_setup.setup_field
            and {{ _setup_key_1('rules.bal_setup_table') }} = bal_setup.setup_key_1
            and {{ _setup_key_2('rules.bal_setup_table', 'rules.bal_setup_field') }} = bal_setup.setup_key_2
    left join {{ ref('stg_bc__g_l_accounts') }} as account_gl
        on
            cost_rows.company = account_gl.company
            and account_setup.g_l_account_no = account_gl.g_l_account_no
    left join {{ ref('stg_bc__g_l_accounts') }} as bal_gl
        on
            cost_rows.company = bal_gl.company
            and bal_setup.g_l_account_no = bal_gl.g_l_account_no
{%- endmacro %}

{#- Inventory Posting Setup is keyed by (Location Code, Invt. Posting Group); capacity VEs have a
    blank location, so they resolve to the blank-location row (§B.3, DECISIONLOG.md). -#}
{% macro _setup_key_1(setup_table) -%}
    case when {{ setup_table }} = 'Inventory Posting Setup'
        then cost_rows.location_code else cost_rows.gen_bus_posting_group end
{%- endmacro %}

{#- The WIP account alone reads the produced item's posting group (§B.3). -#}
{% macro _setup_key_2(setup_table, setup_field) -%}
    case
        when {{ setup_table }} = 'Inventory Posting Setup' and {{ setup_field }} = 'WIP Account'
            then cost_rows.wip_posting_group
        when {{ setup_table }} = 'Inventory Posting Setup' then cost_rows.inventory_posting_group
        else cost_rows.gen_prod_posting_group
    end
{%- endmacro %}
