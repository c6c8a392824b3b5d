{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_from_selected_period(whole_company=true) }}",
    )
}}
-- One row per company x period x date filter: the warning BC's reconciliation shows (spec §C.6).
-- Check 1 is independent; checks 2-8 run in BC's order and the first match wins. Checks 4
-- (Compression) and 5 (Closed Fiscal Year) recognise compressed and closing G/L entries by their
-- source code, as raw has no date-compression register and no closing-date flag (DECISIONLOG.md 9).
-- Period-incremental (macros/period_marts.sql): a run rewrites a company's periods from the first one
-- that changed; this mart rewrites every period of a changed company (its rows read later periods).
with

mart as (

    {%- set fields = inventory_report_fields() %}
    -- the fields BC's CheckGLClosingOverlaps looks at: a closing entry only explains income-statement rows
    {%- set income_statement_fields = [
        'direct_cost_applied_actual', 'overhead_applied_actual', 'purchase_variance', 'inventory_adjmt', 'cogs',
        'material_variance', 'capacity_variance', 'subcontracted_variance', 'capacity_overhead_variance',
        'mfg_overhead_variance', 'direct_cost_applied_wip', 'overhead_applied_wip', 'inventory_to_wip',
        'direct_cost_applied', 'overhead_applied',
    ] %}

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

    flagged_g_l_entries as (

        select * from {{ ref('int_g_l_entries_flagged_by_period') }}

    ),

    accounting_periods as (

        select * from {{ ref('int_accounting_periods_bounded') }}

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

    -- fiscal years: from a New Fiscal Year period (or a company's first period) to the day before the next
    fiscal_year_starts as (

        select
            company,
            starting_date,
            ending_date,
            is_closed,
            count(*) filter (
                where is_new_fiscal_year or starting_date = first_starting_date
            ) over (partition by company order by starting_date) as fiscal_year_no
        from (
            select
                *,
                min(starting_date) over (partition by company) as first_starting_date
            from accounting_periods
        ) as periods

    ),

    closed_fiscal_year_ends as (

        select
            company,
            max(ending_date) as fiscal_year_end
        from fiscal_year_starts
        group by company, fiscal_year_no
        having bool_and(is_closed) and max(ending_date) < date '9999-12-31'

    ),

    period_flags as (

        select
            flagged_g_l_entries.company,
            flagged_g_l_entries.period_start,
            flagged_g_l_entries.compression_entry_count,
            case
                when closed_fiscal_year_ends.fiscal_year_end is not null then flagged_g_l_entries.closing_entry_count
                else 0
            end as closed_fiscal_year_closing_entry_count
        from flagged_g_l_entries
        left join closed_fiscal_year_ends
            on
                flagged_g_l_entries.company = closed_fiscal_year_ends.company
                and closed_fiscal_year_ends.fiscal_year_end
                = (flagged_g_l_entries.period_start + interval '1 month' - interval '1 day')::date

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
                when differences.date_filter = 'period'
                    then coalesce(blank_account_entries.blank_account_entry_count, 0)
                else coalesce(sum(blank_account_entries.blank_account_entry_count) over (
                        partition by differences.company, differences.date_filter order by differences.period_start
                    ), 0)
            end as blank_account_entry_count,
            case
                when differences.date_filter = 'period' then coalesce(period_flags.compression_entry_count, 0)
                else coalesce(sum(period_flags.compression_entry_count) over (
                        partition by differences.company, differences.date_filter order by differences.period_start
                    ), 0)
            end as compression_entry_count,
            case
                when differences.date_filter = 'period'
                    then coalesce(period_flags.closed_fiscal_year_closing_entry_count, 0)
                else coalesce(sum(period_flags.closed_fiscal_year_closing_entry_count) over (
                        partition by differences.company, differences.date_filter order by differences.period_start
                    ), 0)
            end as closed_fiscal_year_closing_entry_count,
            (
                {%- for field in income_statement_fields %}
                    {% if not loop.first %}or {% endif %}differences.{{ field }} != 0
                {%- endfor %}
            ) as has_income_statement_difference,
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
        left join period_flags
            on
                differences.company = period_flags.company
                and differences.period_start = period_flags.period_start

    ),

    warned as (

        select
            *,
            case
                when is_all_zero then null
                when never_posted_entry_count > 0 then 'Post Cost to G/L'
                when compression_entry_count > 0 then 'Compression'
                when has_income_statement_difference and closed_fiscal_year_closing_entry_count > 0
                    then 'Closed Fiscal Year'
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
                when 'Compression'
                    then 'Some inventory or G/L entries have been date compressed.'
                when 'Closed Fiscal Year'
                    then 'Closing entries of a closed fiscal year changed the income statement G/L accounts.'
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
            sum_of_differences,
            compression_entry_count,
            closed_fiscal_year_closing_entry_count
        from warned

    )

    select * from final

),

{{ period_mart_watermark_ctes(
    [
        'int_value_entries_aggregated_by_period',
        'int_g_l_entries_aggregated_by_period',
        'int_g_l_entries_flagged_by_period',
    ],
    [
        'stg_bc__items',
        'stg_bc__inventory_posting_setups',
        'stg_bc__general_posting_setups',
        'stg_bc__inventory_setups',
        'stg_bc__accounting_periods',
    ],
    whole_company=true,
) }}

{{ period_mart_select() }}
