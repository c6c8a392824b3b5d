{#- Cost Shares Breakdown (report 5848, spec §D.4) options and filters, all from vars so that the
    point-in-time models can be rebuilt for any request (`--selector point_in_time --vars ...`):
    * Starting Date: var cost_shares_start_date, else the first day of the valuation date's month;
    * Ending Date: var valuation_date (see int_item_ledger_entries_remaining_at_valuation_date);
    * Item filter (No., Inventory Posting Group): vars cost_shares_item_nos, cost_shares_inventory_posting_groups;
    * Production Order filter (No.): var cost_shares_production_order_nos.
    A list var may also be given as one string. -#}
{% macro cost_shares_start_date(valuation_date_expression) -%}
    {%- if var('cost_shares_start_date', none) -%}
        date {{ dbt.string_literal(var('cost_shares_start_date')) }}
    {%- else -%}
        date_trunc('month', {{ valuation_date_expression }})::date
    {%- endif -%}
{%- endmacro %}

{% macro _cost_shares_list_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or value == '' or value == [] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if value is string -%}
        {%- set value = [value] -%}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{%- macro _in_list(column, values) -%}
    {{ column }} in (
        {%- for value in values -%}
            {{ dbt.string_literal(value) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
    )
{%- endmacro %}

{#- `true and <item filters>` for an item no. column and an inventory posting group column. -#}
{% macro cost_shares_item_filter(item_no_column, inventory_posting_group_column) -%}
    {%- set item_nos = _cost_shares_list_var('cost_shares_item_nos') -%}
    {%- set groups = _cost_shares_list_var('cost_shares_inventory_posting_groups') -%}
    true
    {%- if item_nos is not none %} and {{ _in_list(item_no_column, item_nos) }}{% endif %}
    {%- if groups is not none %} and {{ _in_list(inventory_posting_group_column, groups) }}{% endif %}
{%- endmacro %}

{% macro cost_shares_production_order_filter(production_order_no_column) -%}
    {%- set order_nos = _cost_shares_list_var('cost_shares_production_order_nos') -%}
    true
    {%- if order_nos is not none %} and {{ _in_list(production_order_no_column, order_nos) }}{% endif %}
{%- endmacro %}
