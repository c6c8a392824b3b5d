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
