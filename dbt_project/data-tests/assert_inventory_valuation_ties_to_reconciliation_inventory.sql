-- Spec §D.0: the sum over items of the ending invoiced value equals the reconciliation's item-side
-- Inventory with date filter up to the period end. Returns company x period rows that differ
-- (tolerance 0: exact numerics), with and without the location grain. With --vars period (P): the periods
-- from P on, the ones that run rewrote (DECISIONLOG.md 22).
{%- set period = selected_period() %}
with

by_location as (

    select
        company,
        period_start,
        sum(ending_value) as ending_value
    from {{ ref('fct_inventory_valuation') }}
    {%- if period is not none %}
    where period_start >= date {{ dbt.string_literal(period) }}
    {%- endif %}
    group by company, period_start

),

by_item as (

    select
        company,
        period_start,
        sum(ending_value) as ending_value
    from {{ ref('fct_inventory_valuation_items') }}
    {%- if period is not none %}
    where period_start >= date {{ dbt.string_literal(period) }}
    {%- endif %}
    group by company, period_start

),

reconciliation as (

    select
        company,
        period_start,
        inventory
    from {{ ref('int_inventory_report_entries_unioned') }}
    where
        line_type = 'Item'
        and date_filter = 'to_date'
    {%- if period is not none %}
            and period_start >= date {{ dbt.string_literal(period) }}
        {%- endif %}

)

select
    reconciliation.company,
    reconciliation.period_start,
    reconciliation.inventory,
    by_location.ending_value as ending_value_by_location,
    by_item.ending_value as ending_value_by_item
from reconciliation
left join by_location
    on reconciliation.company = by_location.company and reconciliation.period_start = by_location.period_start
left join by_item
    on reconciliation.company = by_item.company and reconciliation.period_start = by_item.period_start
where
    coalesce(by_location.ending_value, 0) != reconciliation.inventory
    or coalesce(by_item.ending_value, 0) != reconciliation.inventory
