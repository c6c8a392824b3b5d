{#- The item-side fields of BC's Inventory Report Entry (spec §C.2) as sums over value entries (or their
    aggregate): a select list for a relation with cost_amount_actual, cost_amount_expected, entry_type,
    item_ledger_entry_type, order_type and variance_type. One definition for the period model
    (int_inventory_report_item_side) and the on-demand reconciliation. -#}
{% macro inventory_report_item_field_sums() -%}
sum(cost_amount_actual) filter (where item_ledger_entry_type != '') as inventory,
    sum(cost_amount_expected) filter (
        where entry_type in ('Direct Cost', 'Revaluation')
        and item_ledger_entry_type in ('Purchase', 'Sale', 'Output')
    ) as inventory_interim,
    sum(
        case
            when item_ledger_entry_type = 'Consumption' and entry_type = 'Direct Cost'
                then -cost_amount_actual
            when item_ledger_entry_type = 'Output' and entry_type = 'Direct Cost'
                then -(cost_amount_actual + cost_amount_expected)
            when item_ledger_entry_type = 'Output' and entry_type = 'Revaluation'
                then -cost_amount_expected
            when item_ledger_entry_type = '' and entry_type in ('Direct Cost', 'Indirect Cost')
                then cost_amount_actual
        end
    ) filter (where order_type = 'Production') as wip_inventory,
    -sum(cost_amount_actual) filter (
        where entry_type = 'Direct Cost'
        and (
            item_ledger_entry_type = 'Purchase'
            or (item_ledger_entry_type = '' and order_type = 'Assembly')
        )
    ) as direct_cost_applied_actual,
    -sum(cost_amount_actual) filter (
        where entry_type = 'Direct Cost' and item_ledger_entry_type = '' and order_type = 'Production'
    ) as direct_cost_applied_wip,
    -sum(cost_amount_actual) filter (
        where entry_type = 'Direct Cost' and item_ledger_entry_type in ('Purchase', '')
    ) as direct_cost_applied,
    -sum(cost_amount_actual) filter (
        where entry_type = 'Indirect Cost'
        and (
            item_ledger_entry_type in ('Purchase', 'Output', 'Assembly Output')
            or (item_ledger_entry_type = '' and order_type = 'Assembly')
        )
    ) as overhead_applied_actual,
    -sum(cost_amount_actual) filter (
        where entry_type = 'Indirect Cost' and item_ledger_entry_type = '' and order_type = 'Production'
    ) as overhead_applied_wip,
    -sum(cost_amount_actual) filter (
        where entry_type = 'Indirect Cost'
        and item_ledger_entry_type in ('Purchase', 'Output', 'Assembly Output', '')
    ) as overhead_applied,
    -sum(cost_amount_actual) filter (
        where entry_type = 'Variance' and item_ledger_entry_type = 'Purchase'
    ) as purchase_variance,
    -- §C.7: BC counts assembly-resource capacity cost here with the sign opposite to its G/L
    -- posting (rule K1); replicated, see DECISIONLOG.md
    -sum(cost_amount_actual) filter (
        where entry_type in ('Revaluation', 'Rounding')
        or (
            entry_type = 'Direct Cost'
            and item_ledger_entry_type in (
                'Positive Adjmt.', 'Negative Adjmt.', 'Assembly Output', 'Assembly Consumption', 'Transfer'
            )
        )
        or (entry_type = 'Direct Cost' and item_ledger_entry_type = '' and order_type = 'Assembly')
    ) as inventory_adjmt,
    -sum(cost_amount_expected) filter (
        where item_ledger_entry_type = 'Purchase' and entry_type in ('Direct Cost', 'Revaluation')
    ) as invt_accrual_interim,
    -sum(cost_amount_actual) filter (
        where item_ledger_entry_type = 'Sale' and entry_type = 'Direct Cost'
    ) as cogs,
    -sum(cost_amount_expected) filter (
        where item_ledger_entry_type = 'Sale' and entry_type in ('Direct Cost', 'Revaluation')
    ) as cogs_interim,
    {%- for field, variance_type in [
        ('material_variance', 'Material'),
        ('capacity_variance', 'Capacity'),
        ('subcontracted_variance', 'Subcontracted'),
        ('capacity_overhead_variance', 'Capacity Overhead'),
        ('mfg_overhead_variance', 'Manufacturing Overhead'),
    ] %}
        -sum(cost_amount_actual) filter (
            where entry_type = 'Variance' and variance_type = '{{ variance_type }}'
            and item_ledger_entry_type in ('Output', 'Assembly Output')
        ) as {{ field }},
    {%- endfor %}
    sum(cost_amount_actual) filter (
        where entry_type = 'Direct Cost' and item_ledger_entry_type in ('Output', 'Consumption')
    ) as inventory_to_wip,
    -sum(cost_amount_expected) filter (
        where item_ledger_entry_type = 'Output' and entry_type in ('Direct Cost', 'Revaluation')
    ) as wip_to_interim
{%- endmacro %}
