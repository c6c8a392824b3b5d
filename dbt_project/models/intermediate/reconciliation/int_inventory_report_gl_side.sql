-- (Step 2/3 of the G/L side) BC's G/L lines (spec §C.3): per company x period, each report field is the
-- net change of the DISTINCT accounts in its setup column. An account in two columns counts in both
-- (CRONUS uses 7170 as Inventory Adjmt. and Direct Cost Applied); the non-inventory columns of BC 26
-- are not read, as in BC.
{%- set gl_fields = inventory_report_gl_fields() %}

with

setup_accounts as (

    select * from {{ ref('int_setup_accounts_unpivoted') }}

),

g_l_entries as (

    select * from {{ ref('int_g_l_entries_aggregated_by_period') }}

),

field_accounts as (

    select distinct
        company,
        case setup_field
            {%- for setup_field, field in gl_fields.items() %}
                when '{{ setup_field }}' then '{{ field }}'
            {%- endfor %}
        end as report_field,
        g_l_account_no
    from setup_accounts
    where
        g_l_account_no != ''
        and setup_field in (
            {%- for setup_field in gl_fields %}
                '{{ setup_field }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )

),

summed as (

    select
        g_l_entries.company,
        g_l_entries.period_start,
        {%- for field in gl_fields.values() | unique %}
            sum(g_l_entries.net_change) filter (where field_accounts.report_field = '{{ field }}') as {{ field }},
        {%- endfor %}
        count(*) as field_account_count
    from g_l_entries
    inner join field_accounts
        on
            g_l_entries.company = field_accounts.company
            and g_l_entries.g_l_account_no = field_accounts.g_l_account_no
    group by g_l_entries.company, g_l_entries.period_start

),

final as (

    select * from summed

)

select * from final
