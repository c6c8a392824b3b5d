-- Independent oracle for the tests: G/L net change minus what the value entries imply, per account and month.
-- Written from spec §B.2/§B.3 without the product's code: rules from posting_rules.csv columns, accounts from
-- the current Inventory/General Posting Setup (WIP: the produced item's group), blank when unresolvable.
with setup as (
  select expected_cost_posting_to_g_l as exp_on from bc.inventory_setup where company = %(company)s
),
parts as (
  select v.*, 'actual' as part, v.cost_amount_actual as amount from bc.value_entry v
  where v.company = %(company)s and v.inventoriable and v.cost_amount_actual <> 0
  union all
  select v.*, 'expected', v.cost_amount_expected from bc.value_entry v, setup
  where v.company = %(company)s and v.inventoriable and setup.exp_on and v.cost_amount_expected <> 0
),
ruled as (
  select p.company, p.posting_date, p.amount, p.location_code, p.inventory_posting_group,
         p.gen_bus_posting_group, p.gen_prod_posting_group,
         case when p.source_type = 'Item' and p.source_no <> p.item_no then src.inventory_posting_group
              else p.inventory_posting_group end as wip_group,
         r.account_setup_table as t1, r.account_setup_field as f1, r.bal_setup_table as t2, r.bal_setup_field as f2
  from parts p
  left join bc.item src on src.company = p.company and src.no = p.source_no
  join bc.posting_rule r
    on r.ve_item_ledger_entry_type = p.item_ledger_entry_type and r.ve_entry_type = p.entry_type
   and r.ve_variance_type = p.variance_type and r.cost_part = p.part and r.rule_id not like 'W1%%'
   and (r.ve_order_type = '' or (r.ve_order_type = 'Assembly' and p.order_type = 'Assembly')
        or (r.ve_order_type = '<>Assembly' and p.order_type <> 'Assembly'))
),
sides as (
  select company, posting_date, amount, location_code, inventory_posting_group, wip_group,
         gen_bus_posting_group, gen_prod_posting_group, t1 as t, f1 as f from ruled
  union all
  select company, posting_date, -amount, location_code, inventory_posting_group, wip_group,
         gen_bus_posting_group, gen_prod_posting_group, t2, f2 from ruled
),
implied as (
  select nullif(case s.t
           when 'Inventory Posting Setup' then to_jsonb(ips) ->> s.f
           else to_jsonb(gps) ->> s.f end, '') as account_no,
         to_char(s.posting_date, 'YYYY-MM') as period, sum(s.amount) as amount
  from sides s
  left join bc.inventory_posting_setup ips
    on s.t = 'Inventory Posting Setup' and ips.company = s.company and ips.location_code = s.location_code
   and ips.invt_posting_group_code = case when s.f = 'wip_account' then s.wip_group else s.inventory_posting_group end
  left join bc.general_posting_setup gps
    on s.t = 'General Posting Setup' and gps.company = s.company
   and gps.gen_bus_posting_group = s.gen_bus_posting_group and gps.gen_prod_posting_group = s.gen_prod_posting_group
  group by 1, 2
),
gl as (
  select g_l_account_no as account_no, to_char(posting_date, 'YYYY-MM') as period, sum(amount) as amount
  from bc.g_l_entry where company = %(company)s group by 1, 2
)
select coalesce(gl.account_no, i.account_no) as account_no, coalesce(gl.period, i.period) as period,
       coalesce(gl.amount, 0) - coalesce(i.amount, 0) as difference
from gl full join implied i on gl.account_no is not distinct from i.account_no and gl.period = i.period
where coalesce(gl.amount, 0) - coalesce(i.amount, 0) <> 0
order by 1 nulls last, 2
