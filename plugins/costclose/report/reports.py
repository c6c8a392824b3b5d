"""The four valuation reports of spec §D as the close pack prints them, read from the dbt marts.

The marts hold the numbers (spec §D.1-§D.4); these queries only pick the company and period, add the
item's description and inventory posting group (BC prints both) and sort as BC does. Captions are BC's;
column names are those captions in snake_case.
"""

from __future__ import annotations

from psycopg2 import sql

from costclose.report.spec import Column, Kind, ReportSpec

MARTS = "marts"
STAGING = "staging"

START = "As of {day_before_start}"
END = "As of {end}"
EXPECTED = "Expected Cost Included"


def _rel(schema: str, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


ITEMS = _rel(STAGING, "stg_bc__items")

INVENTORY_VALUATION = ReportSpec(
    key="inventory_valuation",
    title="Inventory Valuation",
    csv_name="inventory_valuation.csv",
    sheet_name="Inventory Valuation",
    report_id="1001",
    columns=(
        Column("inventory_posting_group", "Inventory Posting Group"),
        Column("item_no", "No."),
        Column("description", "Description"),
        Column("base_unit_of_measure", "Base Unit of Measure"),
        Column("variant_code", "Variant Code"),
        Column("starting_quantity", "Quantity", Kind.QUANTITY, START),
        Column("starting_value", "Value", Kind.MONEY, START, summed=True),
        Column("increases_quantity", "Quantity", Kind.QUANTITY, "Increases (LCY)"),
        Column("increases_value", "Value", Kind.MONEY, "Increases (LCY)", summed=True),
        Column("decreases_quantity", "Quantity", Kind.QUANTITY, "Decreases (LCY)"),
        Column("decreases_value", "Value", Kind.MONEY, "Decreases (LCY)", summed=True),
        Column("ending_quantity", "Quantity", Kind.QUANTITY, END),
        Column("ending_value", "Value", Kind.MONEY, END, summed=True),
        Column("cost_posted_to_g_l", "Cost Posted to G/L", Kind.MONEY, summed=True),
        Column("cost_posted_to_g_l_difference", "Difference", Kind.MONEY, summed=True),
        Column("expected_cost_included_starting_quantity", "Quantity", Kind.QUANTITY, f"{EXPECTED}: {START}"),
        Column(
            "expected_cost_included_starting_value", "Value", Kind.MONEY, f"{EXPECTED}: {START}", summed=True
        ),
        Column(
            "expected_cost_included_increases_quantity", "Quantity", Kind.QUANTITY, f"{EXPECTED}: Increases"
        ),
        Column(
            "expected_cost_included_increases_value",
            "Value",
            Kind.MONEY,
            f"{EXPECTED}: Increases",
            summed=True,
        ),
        Column(
            "expected_cost_included_decreases_quantity", "Quantity", Kind.QUANTITY, f"{EXPECTED}: Decreases"
        ),
        Column(
            "expected_cost_included_decreases_value",
            "Value",
            Kind.MONEY,
            f"{EXPECTED}: Decreases",
            summed=True,
        ),
        Column("expected_cost_included_ending_quantity", "Quantity", Kind.QUANTITY, f"{EXPECTED}: {END}"),
        Column("expected_cost_included_ending_value", "Value", Kind.MONEY, f"{EXPECTED}: {END}", summed=True),
        Column(
            "expected_cost_included_cost_posted_to_g_l",
            "Cost Posted to G/L",
            Kind.MONEY,
            EXPECTED,
            summed=True,
        ),
        Column("expected_cost_included_difference", "Difference", Kind.MONEY, EXPECTED, summed=True),
    ),
    # Without a location filter (BC's default run): both legs of a transfer cancel (spec §D.1).
    query=sql.SQL(
        """
        select
            coalesce(i.inventory_posting_group, '') as inventory_posting_group,
            v.item_no,
            coalesce(i.item_description, '') as description,
            coalesce(i.base_unit_of_measure, '') as base_unit_of_measure,
            v.variant_code,
            v.starting_quantity,
            v.starting_value,
            v.increases_quantity,
            v.increases_value,
            v.decreases_quantity,
            v.decreases_value,
            v.ending_quantity,
            v.ending_value,
            v.invoiced_cost_posted_to_g_l as cost_posted_to_g_l,
            v.invoiced_cost_posted_difference as cost_posted_to_g_l_difference,
            v.starting_quantity_expected_included as expected_cost_included_starting_quantity,
            v.starting_value_expected_included as expected_cost_included_starting_value,
            v.increases_quantity_expected_included as expected_cost_included_increases_quantity,
            v.increases_value_expected_included as expected_cost_included_increases_value,
            v.decreases_quantity_expected_included as expected_cost_included_decreases_quantity,
            v.decreases_value_expected_included as expected_cost_included_decreases_value,
            v.ending_quantity_expected_included as expected_cost_included_ending_quantity,
            v.ending_value_expected_included as expected_cost_included_ending_value,
            v.cost_posted_to_g_l as expected_cost_included_cost_posted_to_g_l,
            v.total_cost_posted_difference as expected_cost_included_difference
        from {valuation} as v
        left join {items} as i on i.company = v.company and i.item_no = v.item_no
        where v.company = %(company)s and v.period_start = %(period_start)s
        order by 1, v.item_no, v.variant_code
        """
    ).format(valuation=_rel(MARTS, "fct_inventory_valuation_items"), items=ITEMS),
    group_by=("inventory_posting_group",),
    # the page: the items carrying the most value at the period end
    weight=sql.SQL("abs(ending_value)"),
    entity=("item_no", "variant_code"),
    entity_label="items",
)

INVENTORY_VALUATION_WIP = ReportSpec(
    key="inventory_valuation_wip",
    title="Inventory Valuation - WIP",
    csv_name="inventory_valuation_wip.csv",
    sheet_name="Inventory Valuation - WIP",
    report_id="5802",
    columns=(
        Column("status", "Status"),
        Column("no", "No."),
        Column("description", "Description"),
        Column("source_type", "Source Type"),
        Column("source_no", "Source No."),
        Column("wip_at_start", "Value", Kind.MONEY, START, summed=True),
        Column("consumption", "Consumption", Kind.MONEY, summed=True),
        Column("capacity", "Capacity", Kind.MONEY, summed=True),
        Column("output", "Output", Kind.MONEY, summed=True),
        Column("wip_at_end", "Value", Kind.MONEY, END, summed=True),
        Column("cost_posted_to_g_l", "Cost Posted to G/L", Kind.MONEY, summed=True),
    ),
    query=sql.SQL(
        """
        select
            production_order_status as status,
            production_order_no as no,
            description,
            source_type,
            source_no,
            wip_at_start,
            consumption,
            capacity,
            output,
            wip_at_end,
            cost_posted_to_g_l
        from {wip}
        where company = %(company)s and period_start = %(period_start)s
        order by production_order_status, production_order_no
        """
    ).format(wip=_rel(MARTS, "fct_inventory_valuation_wip")),
    weight=sql.SQL("abs(wip_at_end) + abs(consumption) + abs(capacity) + abs(output)"),
    entity=("status", "no"),
    entity_label="production orders",
)

COST_SPEC = ReportSpec(
    key="cost_spec",
    title="Invt. Valuation - Cost Spec.",
    csv_name="cost_spec.csv",
    sheet_name="Invt. Valuation - Cost Spec.",
    report_id="5801",
    columns=(
        Column("inventory_posting_group", "Inventory Posting Group"),
        Column("item_no", "No."),
        Column("description", "Description"),
        Column("entry_type", "Entry Type"),
        Column("quantity", "Quantity", Kind.QUANTITY),
        Column("cost_per_unit", "Cost per Unit", Kind.UNIT_COST),
        Column("amount", "Amount", Kind.MONEY, summed=True),
        Column("no_of_entries", "No. of Entries", Kind.COUNT),
    ),
    # The mart is built for one Valuation Date (dbt var valuation_date, else the latest period end);
    # trim_scale drops the long scale of the unit-cost division without changing the value.
    query=sql.SQL(
        """
        select
            coalesce(i.inventory_posting_group, '') as inventory_posting_group,
            s.item_no,
            coalesce(i.item_description, '') as description,
            s.cost_component as entry_type,
            trim_scale(s.remaining_quantity) as quantity,
            trim_scale(s.cost_per_unit) as cost_per_unit,
            trim_scale(s.amount) as amount,
            s.value_entry_count as no_of_entries,
            s.line_no
        from {cost_spec} as s
        left join {items} as i on i.company = s.company and i.item_no = s.item_no
        where s.company = %(company)s and s.valuation_date = %(period_end)s
        order by 1, s.item_no, s.line_no
        """
    ).format(cost_spec=_rel(MARTS, "fct_inventory_cost_spec"), items=ITEMS),
    group_by=("inventory_posting_group",),
    total_filter=sql.SQL("entry_type = 'Total'"),
    # an item's lines stay together on the page, ranked by the item's Total amount
    weight=sql.SQL(
        "max(abs(amount)) filter (where entry_type = 'Total')"
        " over (partition by inventory_posting_group, item_no)"
    ),
    entity=("item_no",),
    within=("line_no",),
    entity_label="items",
)

_SHARES = (
    ("material_direct_cost_applied", "Material Direct Cost Applied", "material"),
    ("capacity_direct_cost_applied", "Capacity Direct Cost Applied", "capacity"),
    ("capacity_overhead", "Capacity Overhead", "capacity_overhead"),
    ("material_overhead", "Material Overhead", "material_overhead"),
    ("subcontracted", "Subcontracted", "subcontracted"),
    ("variance", "Variance", "variance"),
    ("revaluation", "Revaluation", "revaluation"),
    ("rounding", "Rounding", "rounding"),
    ("total", "Total", "total"),
)
_VARIANCES = (
    ("purchase_variance", "Purchase"),
    ("capacity_variance", "Capacity"),
    ("capacity_overhead_variance", "Capacity Overhead"),
    ("mfg_overhead_variance", "Mfg. Overhead"),
    ("subcontracted_variance", "Subcontracted"),
    ("material_variance", "Material"),
)

COST_SHARES = ReportSpec(
    key="cost_shares",
    title="Cost Shares Breakdown",
    csv_name="cost_shares.csv",
    sheet_name="Cost Shares Breakdown",
    report_id="5848",
    columns=(
        Column("print_cost_share", "Print Cost Share"),
        Column("inventory_posting_group", "Inventory Posting Group"),
        Column("item_no", "No."),
        Column("description", "Description"),
        Column("quantity", "Quantity", Kind.QUANTITY),
        *(Column(name, caption, Kind.MONEY, summed=True) for name, caption, _ in _SHARES),
        *(
            Column(name, caption, Kind.MONEY, "Variance Breakdown", summed=True)
            for name, caption in _VARIANCES
        ),
    ),
    query=sql.SQL(
        """
        select
            c.cost_share as print_cost_share,
            coalesce(i.inventory_posting_group, '') as inventory_posting_group,
            c.item_no,
            coalesce(i.item_description, '') as description,
            trim_scale(c.quantity) as quantity,
            {shares},
            {variances}
        from {cost_shares} as c
        left join {items} as i on i.company = c.company and i.item_no = c.item_no
        where c.company = %(company)s and c.start_date = %(period_start)s and c.end_date = %(period_end)s
        union all
        -- the WIP Inventory print: one line per production order (No. = the order), grouped by the
        -- produced item's inventory posting group
        select
            'WIP Inventory',
            coalesce(i.inventory_posting_group, ''),
            w.production_order_no,
            w.description,
            trim_scale(w.quantity),
            {wip_shares},
            {wip_variances}
        from {wip} as w
        left join {items} as i on i.company = w.company and i.item_no = w.source_no
        where w.company = %(company)s and w.start_date = %(period_start)s and w.end_date = %(period_end)s
        order by 1 desc, 2, 3
        """
    ).format(
        shares=sql.SQL(", ").join(
            sql.SQL("trim_scale(c.{}) as {}").format(sql.Identifier(src), sql.Identifier(name))
            for name, _, src in _SHARES
        ),
        variances=sql.SQL(", ").join(
            sql.SQL("trim_scale(c.{}) as {}").format(sql.Identifier(name), sql.Identifier(name))
            for name, _ in _VARIANCES
        ),
        wip_shares=sql.SQL(", ").join(
            sql.SQL("trim_scale(w.{})").format(sql.Identifier(src)) for _, _, src in _SHARES
        ),
        wip_variances=sql.SQL(", ").join(
            sql.SQL("trim_scale(w.{})").format(sql.Identifier(name)) for name, _ in _VARIANCES
        ),
        cost_shares=_rel(MARTS, "fct_cost_shares_breakdown"),
        wip=_rel(MARTS, "fct_cost_shares_breakdown_wip"),
        items=ITEMS,
    ),
    group_by=("print_cost_share", "inventory_posting_group"),
    # Sales, Inventory and WIP Inventory are three prints of the report in BC: a total across them
    # means nothing.
    report_total=False,
    weight=sql.SQL("abs(total)"),
    entity=("item_no",),
    entity_label="lines",
)

VALUATION_REPORTS = (INVENTORY_VALUATION, INVENTORY_VALUATION_WIP, COST_SPEC, COST_SHARES)
