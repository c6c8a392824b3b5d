{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['company', 'period_start'],
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_from_selected_period(whole_company=true) }}",
    )
}}
-- One row per company x period x date filter x matrix row: BC's Inventory - G/L Reconciliation matrix
-- (spec §C.5) with the columns Inventory, Inventory (Interim), WIP Inventory, Total, G/L Total,
-- Difference and Warning (§C.6).
-- Period-incremental (macros/period_marts.sql): a run rewrites a company's periods from the first one
-- that changed; this mart rewrites every period of a changed company (its rows read later periods).
with

mart as (

    with

    report_entries as (

        select * from {{ ref('int_inventory_report_entries_unioned') }}

    ),

    warnings as (

        select * from {{ ref('fct_inventory_gl_reconciliation_warnings') }}

    ),

    lines as (

        select
            item_line.company,
            item_line.period_start,
            item_line.period_end,
            item_line.date_filter,
            {%- for field in inventory_report_fields() %}
                item_line.{{ field }} as i_{{ field }},
                gl_line.{{ field }} as g_{{ field }},
                difference_line.{{ field }} as d_{{ field }},
            {%- endfor %}
            true as is_joined
        from report_entries as item_line
        inner join report_entries as gl_line
            on
                item_line.company = gl_line.company
                and item_line.period_start = gl_line.period_start
                and item_line.date_filter = gl_line.date_filter
                and gl_line.line_type = 'G/L Account'
        inner join report_entries as difference_line
            on
                item_line.company = difference_line.company
                and item_line.period_start = difference_line.period_start
                and item_line.date_filter = difference_line.date_filter
                and difference_line.line_type = 'Difference'
        where item_line.line_type = 'Item'

    ),

    matrix as (

        {%- set rows = inventory_gl_matrix_rows() %}
        {%- for row_no, row_name, inv, interim, wip, total, gl_total, difference in rows %}
            select
                company,
                period_start,
                period_end,
                date_filter,
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

    ),

    final as (

        select
            matrix.company,
            matrix.period_start,
            matrix.period_end,
            matrix.date_filter,
            matrix.row_no,
            matrix.matrix_row,
            matrix.inventory,
            matrix.inventory_interim,
            matrix.wip_inventory,
            matrix.total,
            matrix.gl_total,
            matrix.difference,
            case
                when
                    warnings.is_expected_cost_setup_warning
                    and (
                        (matrix.matrix_row in ('COGS (Interim)', 'Invt. Accrual (Interim)') and matrix.difference != 0)
                        or (
                            matrix.matrix_row = 'Difference'
                            and (matrix.inventory_interim != 0 or matrix.wip_inventory != 0)
                        )
                    )
                    then 'Expected Cost Setup'
                when matrix.difference != 0
                    or (
                        matrix.matrix_row = 'Difference'
                        and (matrix.inventory != 0 or matrix.inventory_interim != 0 or matrix.wip_inventory != 0)
                    )
                    then warnings.warning
            end as warning
        from matrix
        left join warnings
            on
                matrix.company = warnings.company
                and matrix.period_start = warnings.period_start
                and matrix.date_filter = warnings.date_filter

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
