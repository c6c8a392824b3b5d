{#- Inventory Valuation (report 1001, spec §D.1) for any dates and filters, straight from the value
    entries: one row per company x item. Run by costclose.transform.on_demand through `dbt show`.
    `start_date`/`end_date`: 'YYYY-MM-DD' or none (none end = 9999-12-31, none start = no Starting column);
    `location_codes`/`item_nos`: lists or none. A transfer's inbound leg is a Decrease when its ILE is
    applied to an outbound ILE inside the location filter (so both legs cancel), else an Increase. -#}
{% macro inventory_valuation_on_demand(start_date=none, end_date=none, location_codes=none, item_nos=none, company=none) -%}
{%- set end = end_date or '9999-12-31' -%}
{%- set location_filter -%}
    {%- if location_codes is not none -%}
        in ({% for code in location_codes %}{{ dbt.string_literal(code) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endset -%}
with

value_entries as (

    select * from {{ ref('stg_bc__value_entries') }}

),

items as (

    select * from {{ ref('stg_bc__items') }}

),

applications as (

    select * from {{ ref('stg_bc__item_application_entries') }}

),

item_ledger_entries as (

    select * from {{ ref('stg_bc__item_ledger_entries') }}

),

filtered as (

    select value_entries.*
    from value_entries
    left join items
        on value_entries.company = items.company and value_entries.item_no = items.item_no
    where
        value_entries.item_no != ''
        and value_entries.item_ledger_entry_type != ''
        and coalesce(items.item_type, '') not in ('Service', 'Non-Inventory')
        and value_entries.posting_date <= date {{ dbt.string_literal(end) }}
        {%- if location_codes is not none %}
            and value_entries.location_code {{ location_filter }}
        {%- endif %}
        {%- if item_nos is not none %}
            and value_entries.item_no in (
                {%- for no in item_nos %}{{ dbt.string_literal(no) }}{% if not loop.last %}, {% endif %}{% endfor -%}
            )
        {%- endif %}
        {%- if company is not none %}
            and value_entries.company = {{ dbt.string_literal(company) }}
        {%- endif %}

),

inbound_transfers_applied_inside as (

    select distinct
        applications.company,
        applications.item_ledger_entry_no
    from applications
    inner join item_ledger_entries as outbound
        on
            applications.company = outbound.company
            and applications.outbound_item_entry_no = outbound.entry_no
    where
        applications.outbound_item_entry_no != 0
        {%- if location_codes is not none %}
            and outbound.location_code {{ location_filter }}
        {%- endif %}

),

classified as (

    select
        filtered.*,
        case
            {%- if start_date is not none %}
                when filtered.posting_date < date {{ dbt.string_literal(start_date) }} then 'starting'
            {%- endif %}
            when filtered.item_ledger_entry_type in ('Purchase', 'Positive Adjmt.', 'Output', 'Assembly Output')
                then 'increases'
            when filtered.item_ledger_entry_type in ('Sale', 'Negative Adjmt.', 'Consumption', 'Assembly Consumption')
                then 'decreases'
            when filtered.valued_quantity < 0 or inside.item_ledger_entry_no is not null then 'decreases'
            else 'increases'
        end as report_column
    from filtered
    left join inbound_transfers_applied_inside as inside
        on
            filtered.company = inside.company
            and filtered.item_ledger_entry_no = inside.item_ledger_entry_no
            and filtered.item_ledger_entry_type = 'Transfer'

),

summed as (

    select
        company,
        item_no,
        {%- for column, sign in [('starting', ''), ('increases', ''), ('decreases', '-')] %}
            {{ sign }}coalesce(sum(invoiced_quantity) filter (where report_column = '{{ column }}'), 0)
            as {{ column }}_quantity,
            {{ sign }}coalesce(sum(cost_amount_actual) filter (where report_column = '{{ column }}'), 0)
            as {{ column }}_value,
            {{ sign }}coalesce(sum(item_ledger_entry_quantity) filter (where report_column = '{{ column }}'), 0)
            as {{ column }}_quantity_expected_included,
            {{ sign }}coalesce(
                sum(cost_amount_actual + cost_amount_expected) filter (where report_column = '{{ column }}'), 0
            ) as {{ column }}_value_expected_included,
        {%- endfor %}
        sum(cost_posted_to_g_l) as invoiced_cost_posted_to_g_l,
        sum(expected_cost_posted_to_g_l) as expected_cost_posted_to_g_l
    from classified
    group by company, item_no

)

select
    *,
    starting_quantity + increases_quantity - decreases_quantity as ending_quantity,
    starting_value + increases_value - decreases_value as ending_value,
    starting_value_expected_included + increases_value_expected_included
    - decreases_value_expected_included as ending_value_expected_included,
    invoiced_cost_posted_to_g_l + expected_cost_posted_to_g_l as cost_posted_to_g_l
from summed
order by company, item_no
{%- endmacro %}
