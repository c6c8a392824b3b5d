-- (Step 3/3) BC's Inventory Report Entry lines (spec §C.1-§C.4) per company x period x date filter:
-- 'Item' (value entries), 'G/L Account' (setup accounts' net change) and 'Difference' (G/L - Item),
-- field by field. Date filter 'period' = the month; 'to_date' = everything up to the month's end.
{%- set fields = inventory_report_fields() %}
{%- set gl_fields = inventory_report_gl_fields().values() | list %}

with

periods as (

    select * from {{ ref('int_company_periods_spined') }}

),

item_side as (

    select * from {{ ref('int_inventory_report_item_side') }}

),

gl_side as (

    select * from {{ ref('int_inventory_report_gl_side') }}

),

per_period as (

    select
        periods.company,
        periods.period_start,
        periods.period_end,
        {%- for field in fields %}
            coalesce(item_side.{{ field }}, 0) as item_{{ field }},
            {%- if field in gl_fields %}
                coalesce(gl_side.{{ field }}, 0) as gl_{{ field }},
            {%- else %}
                0::numeric as gl_{{ field }},
            {%- endif %}
        {%- endfor %}
        coalesce(item_side.never_posted_entry_count, 0) as never_posted_entry_count
    from periods
    left join item_side
        on periods.company = item_side.company and periods.period_start = item_side.period_start
    left join gl_side
        on periods.company = gl_side.company and periods.period_start = gl_side.period_start

),

with_to_date as (

    select
        company,
        period_start,
        period_end,
        'period' as date_filter,
        {%- for field in fields %}
            item_{{ field }},
            gl_{{ field }},
        {%- endfor %}
        never_posted_entry_count
    from per_period
    union all
    select
        company,
        period_start,
        period_end,
        'to_date' as date_filter,
        {%- for field in fields %}
            sum(item_{{ field }}) over to_date as item_{{ field }},
            sum(gl_{{ field }}) over to_date as gl_{{ field }},
        {%- endfor %}
        sum(never_posted_entry_count) over to_date as never_posted_entry_count
    from per_period
    window to_date as (partition by company order by period_start)

),

lines as (

    {%- for line_type, prefix in [('Item', 'item_'), ('G/L Account', 'gl_'), ('Difference', none)] %}
        select
            company,
            period_start,
            period_end,
            date_filter,
            '{{ line_type }}' as line_type,
            {%- for field in fields %}
                {%- if prefix is none %}
                    gl_{{ field }} - item_{{ field }} as {{ field }},
                {%- else %}
                    {{ prefix }}{{ field }} as {{ field }},
                {%- endif %}
            {%- endfor %}
            never_posted_entry_count
        from with_to_date
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select * from lines

)

select * from final
