-- One row per company x period x date filter x matrix row: BC's Inventory - G/L Reconciliation matrix
-- (spec §C.5) with the columns Inventory, Inventory (Interim), WIP Inventory, Total, G/L Total,
-- Difference and Warning (§C.6).
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

    {%- set rows = [
        (1, 'Inventory To WIP', '-i_inventory_to_wip', '0', 'i_inventory_to_wip', '0', 'g_inventory_to_wip', '0'),
        (2, 'WIP To Interim', '0', 'i_wip_to_interim', '-i_wip_to_interim', '0', '0', '0'),
        (3, 'COGS (Interim)', '0', 'i_cogs_interim', '0', 'i_cogs_interim', 'g_cogs_interim', 'd_cogs_interim'),
        (4, 'Direct Cost Applied', 'i_direct_cost_applied_actual', '0', 'i_direct_cost_applied_wip',
            'i_direct_cost_applied', 'g_direct_cost_applied', 'd_direct_cost_applied'),
        (5, 'Overhead Applied', 'i_overhead_applied_actual', '0', 'i_overhead_applied_wip',
            'i_overhead_applied', 'g_overhead_applied', 'd_overhead_applied'),
        (6, 'Inventory Adjmt.', 'i_inventory_adjmt', '0', '0', 'i_inventory_adjmt', 'g_inventory_adjmt',
            'd_inventory_adjmt'),
        (7, 'Invt. Accrual (Interim)', '0', 'i_invt_accrual_interim', '0', 'i_invt_accrual_interim',
            'g_invt_accrual_interim', 'd_invt_accrual_interim'),
        (8, 'COGS', 'i_cogs', '0', '0', 'i_cogs', 'g_cogs', 'd_cogs'),
        (9, 'Purchase Variance', 'i_purchase_variance', '0', '0', 'i_purchase_variance',
            'g_purchase_variance', 'd_purchase_variance'),
        (10, 'Material Variance', 'i_material_variance', '0', '0', 'i_material_variance',
            'g_material_variance', 'd_material_variance'),
        (11, 'Capacity Variance', 'i_capacity_variance', '0', '0', 'i_capacity_variance',
            'g_capacity_variance', 'd_capacity_variance'),
        (12, 'Subcontracted Variance', 'i_subcontracted_variance', '0', '0', 'i_subcontracted_variance',
            'g_subcontracted_variance', 'd_subcontracted_variance'),
        (13, 'Capacity Overhead Variance', 'i_capacity_overhead_variance', '0', '0',
            'i_capacity_overhead_variance', 'g_capacity_overhead_variance', 'd_capacity_overhead_variance'),
        (14, 'Mfg. Overhead Variance', 'i_mfg_overhead_variance', '0', '0', 'i_mfg_overhead_variance',
            'g_mfg_overhead_variance', 'd_mfg_overhead_variance'),
        (15, 'Total', 'i_inventory', 'i_inventory_interim', 'i_wip_inventory', 'null', 'null', 'null'),
        (16, 'G/L Total', 'g_inventory', 'g_inventory_interim', 'g_wip_inventory', 'null', 'null', 'null'),
        (17, 'Difference', 'd_inventory', 'd_inventory_interim', 'd_wip_inventory', 'null', 'null', 'null'),
    ] %}
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
