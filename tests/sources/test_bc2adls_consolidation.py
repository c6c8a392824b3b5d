"""bc2adls consolidation at scale: the totals cache folds versions set-wise, the fetch tracks SystemIds
compactly; both must give exactly what folding version by version gives."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

from costclose.bc2adls_export.consolidation import ConsolidationCache, Version
from costclose.sources.bc2adls import _SeenIds


def _one_by_one(versions: list[Version]) -> dict[str, Version]:
    """bc2adls's rule applied version by version: a newer timestamp-0 wins, on a tie a delete marker,
    on a full tie the version seen first."""
    latest: dict[str, Version] = {}
    for v in versions:
        seen = latest.get(v[0])
        if seen is None or v[1] > seen[1] or (v[1] == seen[1] and v[2] > seen[2]):
            latest[v[0]] = v
    return latest


def _cached(cache: ConsolidationCache, table: str) -> dict[str, Version]:
    cache.flush()
    rows = cache.db.execute(
        "select system_id, ts, deleted, a0, a1, a2 from latest where table_name = ?", (table,)
    )
    return {r[0]: tuple(r) for r in rows}  # type: ignore[misc]


def test_set_wise_folding_equals_version_by_version(tmp_path: Path) -> None:
    rng = random.Random(7)  # noqa: S311 (reproducible test data)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(300)]
    batches: list[list[Version]] = []
    for _ in range(12):
        batch: list[Version] = []
        for sid in rng.sample(ids, 120):
            deleted = int(rng.random() < 0.2)
            amount = None if deleted else str(rng.randint(-500, 500))
            # few distinct timestamps: many ties between live versions and with delete markers
            batch.append((sid, rng.randint(1, 4), deleted, amount, amount and f"{amount}.5", None))
        batches.append(batch)

    cache = ConsolidationCache(tmp_path / "c.sqlite")
    cache.FLUSH_AT = 250  # merges in the middle of batches too
    cache.CHUNK = 70
    for batch in batches:
        cache.add("value_entry", batch)
        cache.add("g_l_entry", batch[:10])
    expected = _one_by_one([v for batch in batches for v in batch])
    assert _cached(cache, "value_entry") == expected
    assert _cached(cache, "g_l_entry") == _one_by_one([v for batch in batches for v in batch[:10]])
    live = sorted(v[3:] for v in expected.values() if not v[2])
    assert sorted(cache.live_amounts("value_entry")) == live
    cache.close()

    # what close() left is on disk: a new cache on the file reads the same, and folds on top of it
    again = ConsolidationCache(tmp_path / "c.sqlite")
    late = [(ids[0], 9, 1, None, None, None), (ids[1], 9, 0, "1", "2", None)]
    again.add("value_entry", late)
    assert _cached(again, "value_entry") == _one_by_one([v for batch in batches for v in batch] + late)
    again.forget("value_entry", "deltas/ValueEntry-5802/")
    assert _cached(again, "value_entry") == {}
    again.close()


def test_seen_ids_answers_whether_a_batch_repeats_an_earlier_systemid() -> None:
    rng = random.Random(3)  # noqa: S311 (reproducible test data)
    seen = _SeenIds()
    handed: list[str] = []
    for round_ in range(60):
        fresh = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(rng.randint(0, 400))]
        assert seen.first_time(fresh) is True, round_
        handed += fresh
        if round_ % 7 == 3:  # one id of any earlier batch, among new ones
            repeat = [*(str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(50)), rng.choice(handed)]
            assert seen.first_time(repeat) is False, round_
    assert seen.first_time([]) is True
    assert sum(len(run) for run in seen._runs) >= len(handed)
    assert len(seen._runs) <= 2 * len(handed).bit_length()  # merged: logarithmically many runs
