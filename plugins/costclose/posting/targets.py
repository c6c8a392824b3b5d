"""Where a journal goes: the demo ERP (``erp``), BC's API (``bc_api``) or an import file (``file``).

Each target is idempotent on the run's key: posting the same key again returns the first result and
changes nothing, which is what lets a crashed run be finished safely. A post is atomic: all lines or
none.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from costclose.errors import CostcloseError


class PostingError(CostcloseError):
    """The target refused the journal or could not be reached."""


@dataclass(frozen=True)
class Line:
    """One journal line: debit positive, credit negative (the outbound mart's convention)."""

    document_no: str
    posting_date: date
    account_no: str
    amount: Decimal
    description: str
    value_entry_nos: tuple[int, ...]
    cost_part: str
    dimension_set_id: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "document_no": self.document_no,
            "posting_date": self.posting_date.isoformat(),
            "account_no": self.account_no,
            "amount": str(self.amount),
            "description": self.description,
            "value_entry_nos": list(self.value_entry_nos),
            "cost_part": self.cost_part,
            "dimension_set_id": self.dimension_set_id,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Line:
        return cls(
            document_no=d["document_no"],
            posting_date=date.fromisoformat(d["posting_date"]),
            account_no=d["account_no"],
            amount=Decimal(d["amount"]),
            description=d["description"],
            value_entry_nos=tuple(d["value_entry_nos"]),
            cost_part=d["cost_part"],
            dimension_set_id=int(d.get("dimension_set_id", 0)),
        )


class Target(Protocol):
    name: str

    def post(self, company: str, lines: Sequence[Line], key: str) -> dict[str, Any]:
        """Post all lines atomically under ``key``; posting a key twice returns the first result."""
        ...


class ErpTarget:
    """The demo ERP's journal posting (``costclose.demo_erp.journal.post_journal``)."""

    name = "erp"

    def __init__(self, erp_url: str) -> None:
        self.erp_url = erp_url

    def post(self, company: str, lines: Sequence[Line], key: str) -> dict[str, Any]:
        from costclose import db
        from costclose.demo_erp.journal import JournalLine, JournalRejected, post_journal

        jl = [
            JournalLine(
                document_no=ln.document_no,
                posting_date=ln.posting_date,
                account_no=ln.account_no,
                amount=ln.amount,
                description=ln.description,
                dimension_set_id=ln.dimension_set_id,
                value_entry_nos=ln.value_entry_nos,
                cost_part=ln.cost_part,
            )
            for ln in lines
        ]
        try:
            with db.connect(self.erp_url) as conn:
                # Inventory cost posting is system-created in BC (Direct Posting is not required).
                res = post_journal(conn, company, jl, key, system_created=True)
        except JournalRejected as exc:
            raise PostingError(f"the ERP refused the journal: {exc}") from exc
        return {
            "register_no": res.register_no,
            "g_l_entries": len(res.g_l_entry_nos),
            "duplicate": res.duplicate,
        }


class FileTarget:
    """A general-journal import file (CSV and XLSX) for review and manual import.

    The files are named after the key and written atomically (temp file, then rename), so writing
    the same key twice leaves one identical pair.
    """

    name = "file"
    COLUMNS = (
        "company",
        "document_no",
        "posting_date",
        "account_type",
        "gl_account_no",
        "amount",
        "debit_amount",
        "credit_amount",
        "description",
        "value_entry_nos",
    )

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir

    def _rows(self, company: str, lines: Sequence[Line]) -> list[list[Any]]:
        return [
            [
                company,
                ln.document_no,
                ln.posting_date.isoformat(),
                "G/L Account",
                ln.account_no,
                ln.amount,
                ln.amount if ln.amount > 0 else Decimal(0),
                -ln.amount if ln.amount < 0 else Decimal(0),
                ln.description,
                " ".join(map(str, ln.value_entry_nos)),
            ]
            for ln in lines
        ]

    def post(self, company: str, lines: Sequence[Line], key: str) -> dict[str, Any]:
        from openpyxl import Workbook

        self.out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"general_journal_{key[:16]}"
        csv_path, xlsx_path = self.out_dir / f"{stem}.csv", self.out_dir / f"{stem}.xlsx"
        if csv_path.exists() and xlsx_path.exists():
            return {"csv": str(csv_path), "xlsx": str(xlsx_path), "duplicate": True}
        rows = self._rows(company, lines)
        with tempfile.NamedTemporaryFile(
            "w", dir=self.out_dir, delete=False, suffix=".tmp", newline=""
        ) as fh:
            writer = csv.writer(fh)
            writer.writerow(self.COLUMNS)
            writer.writerows(rows)
        Path(fh.name).replace(csv_path)
        wb = Workbook()
        ws = wb.active
        ws.title = "General Journal"
        ws.append(list(self.COLUMNS))
        for r in rows:
            ws.append([float(v) if isinstance(v, Decimal) else v for v in r])
        for col in ("F", "G", "H"):
            for cell in ws[col][1:]:
                cell.number_format = "#,##0.00"
        tmp = xlsx_path.with_suffix(".xlsx.tmp")
        wb.save(tmp)
        tmp.replace(xlsx_path)
        return {"csv": str(csv_path), "xlsx": str(xlsx_path), "duplicate": False}


def target_for(spec: str, *, erp_url: str | None = None, out_dir: Path | None = None) -> Target:
    """The target a company's ``posting_target`` (costclose.yml) names.

    ``erp`` (the demo ERP), ``file`` or ``file:<folder>`` (an import file), or ``bc_api:<base URL>[?...]``
    with the same URL options and credential references as the ``bc_api:`` source.
    """
    if spec == "erp":
        if not erp_url:
            raise PostingError("the erp target needs the demo ERP's database URL (costclose demo-erp url)")
        return ErpTarget(erp_url)
    if spec == "file" or spec.startswith("file:"):
        folder = Path(spec[len("file:") :]) if spec.startswith("file:") else out_dir
        if folder is None:
            raise PostingError("the file target needs an output folder (--out DIR, or file:<folder>)")
        return FileTarget(folder)
    if spec.startswith("bc_api:"):
        from costclose.posting.bc_api_target import BcApiTarget
        from costclose.sources.bc_api import BcApiSource

        # One parser for bc_api: URLs (base URL, token URL, credential references) -- the source's.
        source = BcApiSource(spec)
        return BcApiTarget(source.base_url, **source.credentials_ref)
    raise PostingError(
        f"unknown posting target {spec!r}: use erp, file[:<folder>] or bc_api:<base URL> "
        "(see costclose.example.yml)"
    )
