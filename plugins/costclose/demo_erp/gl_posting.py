"""Post value entries to the G/L by the rules of spec §B (codeunit 5802), set-based in SQL.

One statement chain does what BC's ``Inventory Posting To G/L`` does per entry ("Per Entry" mode, not
summarized): for each value entry it takes the expected part (only with Expected Cost Posting to G/L,
§B.1) and the actual part, finds the §B.2 rule (``bc.posting_rule``), resolves both accounts (§B.3:
Inventory Posting Setup by location and inventory posting group -- the produced item's group for the WIP
account -- or General Posting Setup by the VE's gen. posting groups) and writes two G/L entries per part
(account +X, balancing -X), one G/L - Item Ledger Relation row per G/L entry, sets Cost Posted to G/L /
Expected Cost Posted to G/L and removes the entry from ``bc.post_value_entry_to_g_l``.

A value entry is skipped whole, as BC's batch does, when any of its accounts is missing, blank or
blocked, when its setup row is missing, or when it is dated in a closed accounting period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from psycopg2 import sql
from psycopg2.extensions import connection, cursor

log = logging.getLogger(__name__)

SOURCE_CODE = "INVTPCOST"


def lock_company(cur: cursor, company: str) -> None:
    """Serialize every G/L writer of ``company`` for the rest of the transaction."""
    cur.execute("select pg_advisory_xact_lock(hashtext('costclose.demo_erp.gl:' || %s))", (company,))


# Parts to post per value entry, with both accounts resolved (NULL when unresolvable).
_RESOLVE_SQL = """
create temp table _ve_part on commit drop as
with setup as (
  select coalesce(bool_or(expected_cost_posting_to_g_l), false) as exp_on
  from bc.inventory_setup where company = %(company)s
),
candidates as (
  select ve.company, ve.entry_no, ve.item_no, ve.posting_date, ve.item_ledger_entry_type, ve.entry_type,
         ve.variance_type, ve.order_type, ve.order_no, ve.location_code, ve.inventory_posting_group,
         ve.gen_bus_posting_group, ve.gen_prod_posting_group, ve.source_type, ve.source_no, ve.document_no,
         ve.global_dimension_1_code, ve.global_dimension_2_code, ve.dimension_set_id, ve.job_no,
         ve.reason_code, ve.document_date, ve.external_document_no, ve.valued_quantity,
         ve.cost_amount_actual - ve.cost_posted_to_g_l as actual_to_post,
         ve.cost_amount_expected - ve.expected_cost_posted_to_g_l as expected_to_post
  from {source}
  where ve.company = %(company)s
    and ve.entry_no between %(from_no)s and %(to_no)s
    and (%(entry_nos)s::bigint[] is null or ve.entry_no = any(%(entry_nos)s::bigint[]))
    and ve.inventoriable
    and (ve.cost_amount_actual <> ve.cost_posted_to_g_l
         or ve.cost_amount_expected <> ve.expected_cost_posted_to_g_l)
),
parts as (
  select c.*, 'expected'::text as cost_part, 1 as part_order, c.expected_to_post as amount
  from candidates c, setup s
  where s.exp_on and c.expected_to_post <> 0
  union all
  select c.*, 'actual', 2, c.actual_to_post
  from candidates c
  where c.actual_to_post <> 0
),
-- Every account field of both setups as (key, field, account) rows: one join resolves any rule's side.
ips_acc as (
  select ips.location_code, ips.invt_posting_group_code, kv.key as field, kv.value as account_no
  from bc.inventory_posting_setup ips, jsonb_each_text(to_jsonb(ips)) kv
  where ips.company = %(company)s
),
gps_acc as (
  select gps.gen_bus_posting_group, gps.gen_prod_posting_group, kv.key as field, kv.value as account_no
  from bc.general_posting_setup gps, jsonb_each_text(to_jsonb(gps)) kv
  where gps.company = %(company)s and not gps.blocked
),
ruled as (
  select p.*, r.rule_id, r.account_setup_table, r.account_setup_field, r.bal_setup_table, r.bal_setup_field,
         -- §B.3: the WIP account uses the produced item's group when Source No. is another item.
         case when p.source_type = 'Item' and p.source_no <> p.item_no
              then coalesce(src.inventory_posting_group, p.inventory_posting_group)
              else p.inventory_posting_group end as wip_group
  from parts p
  left join bc.posting_rule r
    on r.ve_item_ledger_entry_type = p.item_ledger_entry_type
   and r.ve_entry_type = p.entry_type
   and r.ve_variance_type = p.variance_type
   and r.cost_part = p.cost_part
   and r.rule_id not like 'W1%%'
   and (r.ve_order_type = ''
        or (r.ve_order_type = 'Assembly' and p.order_type = 'Assembly')
        or (r.ve_order_type = '<>Assembly' and p.order_type <> 'Assembly'))
  left join bc.item src on src.company = p.company and src.no = p.source_no
),
resolved as (
  select rl.*,
         coalesce(a_ips.account_no, a_gps.account_no) as account_no,
         coalesce(b_ips.account_no, b_gps.account_no) as bal_account_no
  from ruled rl
  left join ips_acc a_ips
    on rl.account_setup_table = 'Inventory Posting Setup' and a_ips.field = rl.account_setup_field
   and a_ips.location_code = rl.location_code
   and a_ips.invt_posting_group_code = case when rl.account_setup_field = 'wip_account' then rl.wip_group
                                            else rl.inventory_posting_group end
  left join gps_acc a_gps
    on rl.account_setup_table = 'General Posting Setup' and a_gps.field = rl.account_setup_field
   and a_gps.gen_bus_posting_group = rl.gen_bus_posting_group
   and a_gps.gen_prod_posting_group = rl.gen_prod_posting_group
  left join ips_acc b_ips
    on rl.bal_setup_table = 'Inventory Posting Setup' and b_ips.field = rl.bal_setup_field
   and b_ips.location_code = rl.location_code
   and b_ips.invt_posting_group_code = case when rl.bal_setup_field = 'wip_account' then rl.wip_group
                                            else rl.inventory_posting_group end
  left join gps_acc b_gps
    on rl.bal_setup_table = 'General Posting Setup' and b_gps.field = rl.bal_setup_field
   and b_gps.gen_bus_posting_group = rl.gen_bus_posting_group
   and b_gps.gen_prod_posting_group = rl.gen_prod_posting_group
)
select r.*,
  (r.rule_id is not null
   and coalesce(r.account_no, '') <> '' and coalesce(r.bal_account_no, '') <> ''
   and a.no is not null and b.no is not null and ap.starting_date is null) as part_ok
from resolved r
left join bc.g_l_account a
  on a.company = r.company and a.no = r.account_no and not a.blocked and a.account_type = 'Posting'
left join bc.g_l_account b
  on b.company = r.company and b.no = r.bal_account_no and not b.blocked and b.account_type = 'Posting'
left join bc.accounting_period ap
  on ap.company = r.company and ap.closed and ap.starting_date = date_trunc('month', r.posting_date)::date
"""


def resolve_parts(
    cur: cursor,
    company: str,
    *,
    from_entry_no: int = 0,
    to_entry_no: int = 2**62,
    queued_only: bool = False,
    entry_nos: list[int] | None = None,
) -> None:
    """Fill temp table ``_ve_part``: the unposted parts of the selected value entries, accounts resolved."""
    cur.execute("drop table if exists _ve_part")
    # The batch reads the queue (table 5811) and looks its entries up; other runs read a range.
    source = (
        "bc.post_value_entry_to_g_l q join bc.value_entry ve "
        "on ve.company = q.company and ve.entry_no = q.value_entry_no"
        if queued_only
        else "bc.value_entry ve"
    )
    cur.execute(
        sql.SQL(_RESOLVE_SQL).format(source=sql.SQL(source)),
        {
            "company": company,
            "from_no": from_entry_no,
            "to_no": to_entry_no,
            "entry_nos": entry_nos,
        },
    )


@dataclass(frozen=True)
class PostingRun:
    """What one run of posting value entries to the G/L did."""

    register_no: int | None
    value_entries_posted: int
    g_l_entries: int
    skipped_value_entry_nos: tuple[int, ...]


def post_value_entries(
    conn: connection,
    company: str,
    *,
    from_entry_no: int = 0,
    to_entry_no: int = 2**62,
    queued_only: bool = False,
    journal_batch_name: str = "",
    creation_date: date | None = None,
) -> PostingRun:
    """Post every not-fully-posted value entry in [from, to] (or only the queued ones) to the G/L.

    Runs in the caller's transaction; the caller commits. This is both Automatic Cost Posting (called
    right after the simulator writes entries) and the Post Inventory Cost to G/L batch (report 1002,
    ``queued_only=True``).
    """
    with conn.cursor() as cur:
        lock_company(cur, company)
        resolve_parts(
            cur, company, from_entry_no=from_entry_no, to_entry_no=to_entry_no, queued_only=queued_only
        )
        # A VE is posted only if every one of its parts resolves (§B.3: "the whole VE is skipped").
        cur.execute(
            "delete from _ve_part p where exists (select 1 from _ve_part q "
            "where q.entry_no = p.entry_no and not q.part_ok) returning entry_no"
        )
        skipped = tuple(sorted({r[0] for r in cur.fetchall()}))
        cur.execute("select count(distinct entry_no), count(*) from _ve_part")
        n_ve, n_parts = cur.fetchone()
        if n_parts == 0:
            return PostingRun(None, 0, 0, skipped)
        cur.execute("select coalesce(max(entry_no), 0) from bc.g_l_entry where company = %s", (company,))
        first_gl = cur.fetchone()[0] + 1
        cur.execute("select coalesce(max(no), 0) + 1 from bc.g_l_register where company = %s", (company,))
        register_no = cur.fetchone()[0]
        cur.execute(
            """
            create temp table _gl on commit drop as
            select %(first)s - 1 + row_number() over (order by p.entry_no, p.part_order, s.side) as gl_no,
                   p.entry_no as ve_no, p.cost_part, s.side,
                   case s.side when 1 then p.account_no else p.bal_account_no end as account_no,
                   case s.side when 1 then p.bal_account_no else p.account_no end as bal_account_no,
                   case s.side when 1 then p.amount else -p.amount end as amount,
                   p.posting_date, p.document_no, p.entry_type, p.source_no, p.order_type, p.order_no,
                   p.global_dimension_1_code, p.global_dimension_2_code, p.dimension_set_id, p.job_no,
                   p.reason_code, p.document_date, p.external_document_no, p.valued_quantity
            from _ve_part p cross join (values (1), (2)) s(side)
            """,
            {"first": first_gl},
        )
        cur.execute(
            """
            insert into bc.g_l_entry (
              company, entry_no, g_l_account_no, posting_date, document_type, document_no, description,
              bal_account_no, amount, global_dimension_1_code, global_dimension_2_code, user_id,
              source_code, system_created_entry, prior_year_entry, job_no, quantity, journal_batch_name,
              reason_code, gen_posting_type, gen_bus_posting_group, gen_prod_posting_group,
              bal_account_type, transaction_no, debit_amount, credit_amount, document_date,
              external_document_no, source_type, source_no, additional_currency_amount, reversed,
              dimension_set_id, prod_order_no)
            select %(company)s, g.gl_no, g.account_no, g.posting_date, '', g.document_no,
                   g.entry_type || ' ' || g.source_no || ' on ' || g.posting_date,
                   g.bal_account_no, g.amount, g.global_dimension_1_code, g.global_dimension_2_code,
                   'DEMO', %(source_code)s, true, false, g.job_no, 0, %(batch)s, g.reason_code, '', '', '',
                   'G/L Account', %(register)s, greatest(g.amount, 0), greatest(-g.amount, 0),
                   g.document_date, g.external_document_no, '', '', 0, false, g.dimension_set_id,
                   case when g.order_type = 'Production' then g.order_no else '' end
            from _gl g order by g.gl_no
            """,
            {
                "company": company,
                "source_code": SOURCE_CODE,
                "batch": journal_batch_name,
                "register": register_no,
            },
        )
        cur.execute(
            "insert into bc.g_l_item_ledger_relation "
            "(company, g_l_entry_no, value_entry_no, g_l_register_no) select %s, gl_no, ve_no, %s from _gl",
            (company, register_no),
        )
        cur.execute(
            """
            update bc.value_entry ve set
              cost_posted_to_g_l = case when a.has_actual then ve.cost_amount_actual
                                        else ve.cost_posted_to_g_l end,
              cost_posted_to_g_l_acy = case when a.has_actual then ve.cost_amount_actual_acy
                                            else ve.cost_posted_to_g_l_acy end,
              expected_cost_posted_to_g_l = case when a.has_expected then ve.cost_amount_expected
                                                 else ve.expected_cost_posted_to_g_l end
            from (select entry_no, bool_or(cost_part = 'actual') as has_actual,
                         bool_or(cost_part = 'expected') as has_expected
                  from _ve_part group by entry_no) a
            where ve.company = %s and ve.entry_no = a.entry_no
            """,
            (company,),
        )
        cur.execute(
            "delete from bc.post_value_entry_to_g_l q using (select distinct entry_no from _ve_part) p "
            "where q.company = %s and q.value_entry_no = p.entry_no",
            (company,),
        )
        cur.execute(
            """
            insert into bc.g_l_register (company, no, from_entry_no, to_entry_no, creation_date, source_code,
                                         journal_batch_name, from_value_entry_no, to_value_entry_no)
            select %s, %s, min(gl_no), max(gl_no), coalesce(%s, current_date), %s, %s, min(ve_no), max(ve_no)
            from _gl
            """,
            (company, register_no, creation_date, SOURCE_CODE, journal_batch_name),
        )
        cur.execute("select count(*) from _gl")
        n_gl = cur.fetchone()[0]
        cur.execute("drop table _gl; drop table _ve_part")
    log.info(
        "company %s: posted %d value entries as %d G/L entries (register %d)",
        company,
        n_ve,
        n_gl,
        register_no,
    )
    return PostingRun(register_no, n_ve, n_gl, skipped)
