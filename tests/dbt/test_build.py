"""The full build on the test warehouse: every model and data test passes."""

from __future__ import annotations

from dbt_warehouse import Warehouse


def test_build_succeeds_with_every_test_passing(warehouse: Warehouse) -> None:
    failed = [(n.unique_id, n.status, n.message) for n in warehouse.build.failed()]
    assert failed == []
    assert warehouse.build.success
