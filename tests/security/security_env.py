"""Constants and the warehouse handle of the security tests (a module with a unique name: test folders
are not packages, so ``import conftest`` would be ambiguous)."""

from __future__ import annotations

from dataclasses import dataclass

COMPANY = "CRONUS"
PERIOD = "2026-02"
# Test-only secrets: the tests check they are never printed.
PASSWORDS = {
    "COSTCLOSE_TRANSFORM_PASSWORD": "tr-Secret-7f3c",
    "COSTCLOSE_BI_PASSWORD": "bi-Secret-'q\"uote",
    "COSTCLOSE_POSTING_PASSWORD": "po-Secret-91ab",
}


@dataclass(frozen=True)
class RoleWarehouse:
    """A built warehouse with the roles applied; ``url`` logs in as the server's superuser."""

    name: str
    url: str
    erp_url: str
    env: dict[str, str]

    def url_for(self, step: str) -> str:
        from costclose.security import step_url

        return step_url(step, self.url, env=self.env)
