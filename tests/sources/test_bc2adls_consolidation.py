"""bc2adls consolidation at scale: the totals cache folds versions set-wise, the fetch tracks SystemIds
compactly; both must give exactly what folding version by version gives."""

from __future__ import annotations

import random
import sqlite3
import uuid
from decimal import Decimal
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
        "select system_id, ts, deleted, a0, a1, a2, slice from latest where table_name = ?", (table,)
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
            day = None if deleted else f"2026-12-0{rng.randint(1, 5)}"  # a version may move to another day
            # few distinct timestamps: many ties between live versions and with delete markers
            batch.append((sid, rng.randint(1, 4), deleted, amount, amount and f"{amount}.5", None, day))
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
    live = sorted(v[3:6] for v in expected.values() if not v[2])
    assert sorted(cache.live_amounts("value_entry")) == live
    # each day's figures are those of the rows whose latest version is alive on that day
    for day in ("2026-12-01", "2026-12-03", "2026-12-05", "2026-12-31"):
        rows = [v for v in expected.values() if not v[2] and v[6] == day]
        assert cache.figures("value_entry", 2, day) == [
            len(rows),
            sum((Decimal(v[3]) for v in rows), Decimal(0)),
            sum((Decimal(v[4]) for v in rows), Decimal(0)),
        ]
    plan = cache.db.execute(
        "explain query plan select a0 from latest where table_name = 'value_entry' and deleted = 0 "
        "and slice = '2026-12-01'"
    ).fetchall()
    assert "COVERING INDEX latest_slice_value_entry" in str(plan)  # a day is read from its own entries
    cache.close()

    # what close() left is on disk: a new cache on the file reads the same, and folds on top of it
    again = ConsolidationCache(tmp_path / "c.sqlite")
    late = [(ids[0], 9, 1, None, None, None, None), (ids[1], 9, 0, "1", "2", None, "2026-12-09")]
    again.add("value_entry", late)
    assert _cached(again, "value_entry") == _one_by_one([v for batch in batches for v in batch] + late)
    # merged into the slice index built above: ids[1] moved to its new day, ids[0] left its day
    assert again.figures("value_entry", 1, "2026-12-09") == [1, Decimal(1)]
    for day in {v[6] for v in (expected[ids[0]], expected[ids[1]]) if not v[2]}:
        rows = [v for i, v in expected.items() if not v[2] and v[6] == day and i not in ids[:2]]
        assert again.figures("value_entry", 1, day) == [
            len(rows),
            sum((Decimal(v[3]) for v in rows), Decimal(0)),
        ]
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


def test_a_cache_written_before_slices_starts_over(tmp_path: Path) -> None:
    """The layout of the cache before slice keys: it cannot total a slice, so it is not used."""
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "create table seen_file (path text primary key, size integer not null); "
        "create table latest (table_name text, system_id text, ts integer, deleted integer, a0 text, "
        "a1 text, a2 text, primary key (table_name, system_id)) without rowid; "
        "insert into seen_file values ('deltas/ValueEntry-5802/a.csv', 10); "
        "insert into latest values ('value_entry', 'x', 1, 0, '5', '0', '0');"
    )
    old.commit()
    old.close()

    cache = ConsolidationCache(path)

    # every delta file is folded in again (none is seen), with slice keys
    assert cache.seen_sizes("deltas/") == {}
    assert cache.figures("value_entry", 3) == [0, Decimal(0), Decimal(0), Decimal(0)]
    cache.add("value_entry", [("x", 2, 0, "7", "0", "0", "2026-12-01")])
    assert cache.figures("value_entry", 1, "2026-12-01") == [1, Decimal(7)]
    cache.close()
    assert ConsolidationCache(path).figures("value_entry", 1, "2026-12-01") == [1, Decimal(7)]  # kept
