-- Identity of report 1001 (spec §D.1): ending = starting + increases - decreases for every measure, and
-- a period starts where the previous one ended. Returns the breaking rows (tolerance 0: exact numerics).
-- With --vars period (P) it checks the rows from P on against the period before P (DECISIONLOG.md 22).
{%- set period = selected_period() %}
with

valuation as (

    select
        company,
        item_no || '|' || location_code || '|' || variant_code as item_key,
        period_start,
        starting_value,
        increases_value,
        decreases_value,
        ending_value,
        starting_quantity,
        increases_quantity,
        decreases_quantity,
        ending_quantity,
        starting_value_expected_included,
        increases_value_expected_included,
        decreases_value_expected_included,
        ending_value_expected_included
    from {{ ref('fct_inventory_valuation') }}
    {%- if period is not none %}
    where period_start >= cast(date {{ dbt.string_literal(period) }} - interval '1 month' as date)
    {%- endif %}

),

checked as (

    select
        *,
        lag(ending_value) over (partition by company, item_key order by period_start) as previous_ending_value,
        lag(ending_quantity) over (partition by company, item_key order by period_start) as previous_ending_quantity
    from valuation

),

breaking as (

    select *
    from checked
    where
        ending_value != starting_value + increases_value - decreases_value
        or ending_quantity != starting_quantity + increases_quantity - decreases_quantity
        or ending_value_expected_included
        != starting_value_expected_included + increases_value_expected_included - decreases_value_expected_included
        or (previous_ending_value is not null and starting_value != previous_ending_value)
        or (previous_ending_quantity is not null and starting_quantity != previous_ending_quantity)

)

select *
from breaking
{%- if period is not none %}
where period_start >= date {{ dbt.string_literal(period) }}
{%- endif %}
