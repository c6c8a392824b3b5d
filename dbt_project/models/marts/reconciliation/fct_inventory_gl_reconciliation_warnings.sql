-- One row per company x period x date filter: the warning BC's reconciliation shows (spec §C.6).
-- Check 1 is independent; checks 2-8 run in BC's order and the first match wins. Checks 4
-- (Compression) and 5 (Closed Fiscal Year) need BC's date-compression registers and closing dates,
-- which the raw schema does not carry (DECISIONLOG.md); they never fire.
{%- set fields = inventory_report_fields() %}

with

report_entries as (

    select * from {{ ref('int_inventory_report_entries_unioned') }}

),

settings as (

    select * from {{ ref('int_company_settings_resolved') }}

),

g_l_entries as (

    select * from {{ ref('int_g_l_entries_aggregated_by_period') }}

),

differences as (

    select * from report_entries
    where line_type = 'Difference'

),

items as (

    select * from report_entries
    where line_type = 'Item' and date_filter = 'period'

),

gl_lines as (

    select * from report_entries
    where line_type = 'G/L Account'

),

item_inventory_all_dates as (

    select
        company,
        sum(inventory) as inventory
    from items
    group by company

),

blank_account_entries as (

    select
        company,
        period_start,
        sum(g_l_entry_count) as blank_account_entry_count
    from g_l_entries
    where g_l_account_no = ''
    group by company, period_start

),

checked as (

    select
        differences.company,
        differences.period_start,
        differences.period_end,
        differences.date_filter,
        (
            differences.inventory_interim != 0
            or differences.wip_inventory != 0
            or differences.invt_accrual_interim != 0
            or differences.cogs_interim != 0
        ) and not coalesce(settings.is_expected_cost_posting, false) as is_expected_cost_setup_warning,
        (
            {%- for field in fields %}
                {% if not loop.first %}and {% endif %}differences.{{ field }} = 0
            {%- endfor %}
        ) as is_all_zero,
        differences.never_posted_entry_count,
        case
            when differences.date_filter = 'period' then coalesce(blank_account_entries.blank_account_entry_count, 0)
            else coalesce(sum(blank_account_entries.blank_account_entry_count) over (
                    partition by differences.company, differences.date_filter order by differences.period_start
                ), 0)
        end as blank_account_entry_count,
        coalesce(item_inventory_all_dates.inventory, 0) - gl_lines.inventory as all_dates_inventory_difference,
        (
            {%- for field in fields %}
                {% if not loop.first %}+ {% endif %}differences.{{ field }}
            {%- endfor %}
        ) as sum_of_differences
    from differences
    left join settings on differences.company = settings.company
    left join gl_lines
        on
            differences.company = gl_lines.company
            and differences.period_start = gl_lines.period_start
            and differences.date_filter = gl_lines.date_filter
    left join item_inventory_all_dates on differences.company = item_inventory_all_dates.company
    left join blank_account_entries
        on
            differences.company = blank_account_entries.company
            and differences.period_start = blank_account_entries.period_start

),

warned as (

    select
        *,
        case
            when is_all_zero then null
            when never_posted_entry_count > 0 then 'Post Cost to G/L'
            when blank_account_entry_count > 0 then 'Deleted Accounts'
            when all_dates_inventory_difference = 0 then 'Posting Date'
            when sum_of_differences != 0 then 'Direct Posting'
        end as warning
    from checked

),

final as (

    select
        company,
        period_start,
        period_end,
        date_filter,
        warning,
        case warning
            when 'Post Cost to G/L'
                then 'Some value entries are not posted to the general ledger. Run Post Inventory Cost to G/L.'
            when 'Deleted Accounts'
                then 'G/L entries with a blank account exist in the period: accounts were deleted.'
            when 'Posting Date'
                then 'Over all dates the totals agree; value entries and G/L entries differ only in posting date.'
            when 'Direct Posting'
                then 'Costs were posted directly to inventory G/L accounts.'
        end as warning_text,
        is_expected_cost_setup_warning,
        case when is_expected_cost_setup_warning
                then 'Expected Cost Posting to G/L is off, so the interim inventory G/L accounts are empty.'
        end as expected_cost_setup_warning_text,
        never_posted_entry_count,
        blank_account_entry_count,
        all_dates_inventory_difference,
        sum_of_differences
    from warned

)

select * from final
