"""The ``bc_api`` posting target: BC API v2.0 journals -> journalLines -> Microsoft.NAV.post.

BC empties a journal batch when it posts it, so "post the same batch again" would post twice. The
target therefore makes the key visible in BC: document numbers are ``CC<12 hex of the key>-MMDD``
(BC's Code[20]), and before posting it asks ``generalLedgerEntries`` whether that document already
exists. BC posts a batch all or nothing, so one existing document means the whole journal is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from costclose.posting.targets import Line


def bc_document_no(key: str, line: Line) -> str:
    return f"CC{key[:12].upper()}-{line.posting_date:%m%d}"


class BcApiTarget:
    name = "bc_api"

    def __init__(
        self,
        base_url: str,
        *,
        token_url: str,
        client_id_env: str | None = None,
        client_secret_env: str | None = None,
        conn_id: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.token_url = token_url
        self.client_id_env = client_id_env
        self.client_secret_env = client_secret_env
        self.conn_id = conn_id

    def _client(self) -> Any:
        from costclose.bc_api_client import BcApiClient, resolve_credentials

        creds = resolve_credentials(
            token_url=self.token_url,
            client_id_env=self.client_id_env,
            client_secret_env=self.client_secret_env,
            conn_id=self.conn_id,
        )
        return BcApiClient(self.base_url, creds)

    def post(self, company: str, lines: Sequence[Line], key: str) -> dict[str, Any]:
        from costclose.bc_api_client import ApiJournalLine, company_id, odata_literal, post_journal

        api_lines = [
            ApiJournalLine(
                document_no=bc_document_no(key, ln),
                posting_date=ln.posting_date,
                account_no=ln.account_no,
                amount=ln.amount,
                description=ln.description,
            )
            for ln in lines
        ]
        with self._client() as client:
            cid = company_id(client, company)
            flt = quote(f"documentNumber eq {odata_literal(api_lines[0].document_no)}")
            url = f"{client.api_root}/companies({cid})/generalLedgerEntries?$filter={flt}&$top=1"
            if client.get(url).get("value"):
                return {"journal_code": f"CC{key[:8].upper()}", "duplicate": True}
            res = post_journal(client, company, api_lines, journal_code=f"CC{key[:8].upper()}")
        return {"journal_code": res.journal_code, "lines_posted": res.lines_posted, "duplicate": False}
