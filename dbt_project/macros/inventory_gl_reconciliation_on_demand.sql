{#- Inventory - G/L Reconciliation (spec §C) for any dates and BC's request filters, straight from the
    entries: one row per company x matrix row (§C.5), like fct_inventory_gl_reconciliation. Run through
    `dbt show --inline` (see costclose.transform.on_demand). As in BC (§C.1, §C.2, §C.7):
    * `start_date`/`end_date` ('YYYY-MM-DD' or none = unbounded) filter posting dates on both sides;
    * `location_codes` filter the value entries only; the G/L side stays company-wide;
    * `item_nos` filter the value entries by item, which drops capacity entries (blank item), so WIP
      does not reconcile under an item filter;
    * the G/L side is the net change of the distinct setup accounts of each column (§C.3).
    Warnings (§C.6) are not evaluated here: they exist per period in
    fct_inventory_gl_reconciliation_warnings. -#}
{% macro inventory_gl_reconciliation_on_demand(start_date=none, end_date=none, location_codes=none, item_nos=none, company=none) -%}
{%- set fields = inventory_report_fields() -%}
{%- set gl_fields = inventory_report_gl_fields() -%}
with

value_entries as (

    select * from {{ ref('stg_bc__value_entries') }}

),

items as (

    select * from {{ ref('stg_bc__items') }}

),

g_l_entries as (

    select * from {{ ref('stg_bc__g_l_entries') }}

),

setup_accounts as (

    select * from {{ ref('int_setup_accounts_unpivoted') }}

),

item_entries as (

    select value_entries.*
    from value_entries
    left join items
        on value_entries.company = items.company and value_entries.item_no = items.item_no
    where
        (value_entries.item_no = '' or coalesce(items.item_type, '') not in ('Service', 'Non-Inventory'))
        {%- if start_date is not none %}
            and value_entries.posting_date >= date {{ dbt.string_literal(start_date) }}
        {%- endif %}
        {%- if end_date is not none %}
            and value_entries.posting_date <= date {{ dbt.string_literal(end_date) }}
        {%- endif %}
        {%- if location_codes is not none %}
            and value_entries.location_code in (
                {%- for code in location_codes %}{{ dbt.string_literal(code) }}{% if not loop.last %}, {% endif %}{% endfor -%}
            )
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

item_side as (

    select
        company,
        {{ inventory_report_item_field_sums() }}
    from item_entries
    group by company

),

field_accounts as (

    select distinct
        company,
        case setup_field
            {%- for setup_field, field in gl_fields.items() %}
                when {{ dbt.string_literal(setup_field) }} then {{ dbt.string_literal(field) }}
            {%- endfor %}
        end as report_field,
        g_l_account_no
    from setup_accounts
    where
        g_l_account_no != ''
        and setup_field in (
            {%- for setup_field in gl_fields %}
                {{ dbt.string_literal(setup_field) }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        )

),

gl_side as (

    select
        g_l_entries.company,
        {%- for field in gl_fields.values() | unique %}
            sum(g_l_entries.amount) filter (where field_accounts.report_field = '{{ field }}') as {{ field }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from g_l_entries
    inner join field_accounts
        on
            g_l_entries.company = field_accounts.company
            and g_l_entries.g_l_account_no = field_accounts.g_l_account_no
    where
        true
        {%- if start_date is not none %}
            and g_l_entries.posting_date >= date {{ dbt.string_literal(start_date) }}
        {%- endif %}
        {%- if end_date is not none %}
            and g_l_entries.posting_date <= date {{ dbt.string_literal(end_date) }}
        {%- endif %}
        {%- if company is not none %}
            and g_l_entries.company = {{ dbt.string_literal(company) }}
        {%- endif %}
    group by g_l_entries.company

),

lines as (

    select
        coalesce(item_side.company, gl_side.company) as company,
        {%- for field in fields %}
            coalesce(item_side.{{ field }}, 0) as i_{{ field }},
            {%- if field in gl_fields.values() %}
                coalesce(gl_side.{{ field }}, 0) as g_{{ field }},
                coalesce(gl_side.{{ field }}, 0) - coalesce(item_side.{{ field }}, 0) as d_{{ field }}{% if not loop.last %},{% endif %}
            {%- else %}
                0::numeric as g_{{ field }},
                -coalesce(item_side.{{ field }}, 0) as d_{{ field }}{% if not loop.last %},{% endif %}
            {%- endif %}
        {%- endfor %}
    from item_side
    full outer join gl_side on item_side.company = gl_side.company

),

matrix as (

    {%- for row_no, row_name, inv, interim, wip, total, gl_total, difference in inventory_gl_matrix_rows() %}
        select
            company,
            {{ row_no }} as row_no,
            '{{ row_name }}' as matrix_row,
            ({{ inv }})::numeric as inventory,
            ({{ interim }})::numeric as inventory_interim,
            ({{ wip }})::numeric as wip_inventory,
            ({{ total }})::numeric as total,
            ({{ gl_total }})::numeric as gl_total,
            ({{ difference }})::numeric as difference
        from lines
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select * from matrix
order by company, row_no
{%- endmacro %}
