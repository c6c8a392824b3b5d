{#- The fields of BC's "Inventory Report Entry" (spec §C.2) in the order of the reconciliation page. -#}
{% macro inventory_report_fields() -%}
    {{ return([
        'inventory', 'inventory_interim', 'wip_inventory',
        'direct_cost_applied_actual', 'direct_cost_applied_wip', 'direct_cost_applied',
        'overhead_applied_actual', 'overhead_applied_wip', 'overhead_applied',
        'purchase_variance', 'inventory_adjmt', 'invt_accrual_interim', 'cogs', 'cogs_interim',
        'material_variance', 'capacity_variance', 'subcontracted_variance',
        'capacity_overhead_variance', 'mfg_overhead_variance', 'inventory_to_wip', 'wip_to_interim',
    ]) }}
{%- endmacro %}

{#- G/L side (§C.3): which setup field feeds which report field. -#}
{% macro inventory_report_gl_fields() -%}
    {{ return({
        'COGS Account': 'cogs',
        'Inventory Adjmt. Account': 'inventory_adjmt',
        'Invt. Accrual Acc. (Interim)': 'invt_accrual_interim',
        'COGS Account (Interim)': 'cogs_interim',
        'Direct Cost Applied Account': 'direct_cost_applied',
        'Overhead Applied Account': 'overhead_applied',
        'Purchase Variance Account': 'purchase_variance',
        'Inventory Account': 'inventory',
        'Inventory Account (Interim)': 'inventory_interim',
        'Material Variance Account': 'material_variance',
        'Capacity Variance Account': 'capacity_variance',
        'Mfg. Overhead Variance Account': 'mfg_overhead_variance',
        'Cap. Overhead Variance Account': 'capacity_overhead_variance',
        'Subcontracted Variance Account': 'subcontracted_variance',
        'WIP Account': 'wip_inventory',
    }) }}
{%- endmacro %}

{#- BC's reconciliation matrix (spec §C.5): (row_no, row, Inventory, Inventory (Interim), WIP Inventory,
    Total, G/L Total, Difference) per row, as expressions over the Item (i_), G/L (g_) and Difference (d_)
    lines' fields. Shared by fct_inventory_gl_reconciliation and the on-demand reconciliation. -#}
{% macro inventory_gl_matrix_rows() -%}
    {{ return([
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
    ]) }}
{%- endmacro %}
