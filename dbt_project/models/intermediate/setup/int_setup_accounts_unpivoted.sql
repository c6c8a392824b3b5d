-- (Step 1/2 of account resolution, spec §B.3, §C.3) Every account field of every Inventory and
-- General Posting Setup row, one row each, named by its BC field. Blank accounts stay as '' so that
-- "setup row missing" and "account blank" can be told apart.
{%- set ips_fields = [
    ('Inventory Account', 'inventory_account'),
    ('Inventory Account (Interim)', 'inventory_account_interim'),
    ('WIP Account', 'wip_account'),
    ('Material Variance Account', 'material_variance_account'),
    ('Capacity Variance Account', 'capacity_variance_account'),
    ('Mfg. Overhead Variance Account', 'mfg_overhead_variance_account'),
    ('Cap. Overhead Variance Account', 'cap_overhead_variance_account'),
    ('Subcontracted Variance Account', 'subcontracted_variance_account'),
    ('Mat. Non-Inv. Variance Acc.', 'mat_non_inv_variance_acc'),
] %}
{%- set gps_fields = [
    ('COGS Account', 'cogs_account'),
    ('Inventory Adjmt. Account', 'inventory_adjmt_account'),
    ('Invt. Accrual Acc. (Interim)', 'invt_accrual_acc_interim'),
    ('COGS Account (Interim)', 'cogs_account_interim'),
    ('Direct Cost Non-Inv. App. Acc.', 'direct_cost_non_inv_app_acc'),
    ('Direct Cost Applied Account', 'direct_cost_applied_account'),
    ('Overhead Applied Account', 'overhead_applied_account'),
    ('Purchase Variance Account', 'purchase_variance_account'),
] %}

with

inventory_posting_setups as (

    select * from {{ ref('stg_bc__inventory_posting_setups') }}

),

general_posting_setups as (

    select * from {{ ref('stg_bc__general_posting_setups') }}

),

unpivoted as (

    {% for field_name, column_name in ips_fields %}
        select
            company,
            'Inventory Posting Setup' as setup_table,
            location_code as setup_key_1,
            inventory_posting_group as setup_key_2,
            '{{ field_name }}' as setup_field,
            {{ column_name }} as g_l_account_no,
            false as is_setup_blocked
        from inventory_posting_setups
        union all
    {% endfor %}
    {% for field_name, column_name in gps_fields %}
        select
            company,
            'General Posting Setup' as setup_table,
            gen_bus_posting_group as setup_key_1,
            gen_prod_posting_group as setup_key_2,
            '{{ field_name }}' as setup_field,
            {{ column_name }} as g_l_account_no,
            blocked as is_setup_blocked
        from general_posting_setups
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select * from unpivoted

)

select * from final
