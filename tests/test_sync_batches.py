"""How the Neo4j sync's parallel writer (Syncer._created) shares, retries and stops its batches.

The server's side of a sync is tested on a real Neo4j in test_neo4j.py and test_server_faults.py; here the
writes are recorded instead of sent (Syncer._write is the one place a batch reaches the server), so the
order, the retries and the stop after a failure can be driven exactly.
"""

from __future__ import annotations

import threading
import time

import pytest
from neo4j.exceptions import Neo4jError, TransientError

from graph_loader.graph import iter_edges
from graph_loader.schema import load_schema
from graph_loader.stores import neo4j_sync
from graph_loader.stores.neo4j_sync import Syncer


def server_error(code: str) -> Neo4jError:
    """The exception the driver raises for a server failure with this code (e.g. a deadlock)."""
    return Neo4jError._hydrate_neo4j(code=code, message="from the test")


DEADLOCK = "Neo.TransientError.Transaction.DeadlockDetected"


class Recording(Syncer):
    """A Syncer whose writes are recorded; `fail(n, text)` may raise for the n-th write (1-based)."""

    def __init__(self, workers: int, batch_size: int = 2, fail=None, pause: float = 0.0):
        self.done, self.calls, self.progressed = [], 0, 0
        self._count = threading.Lock()
        self.fail, self.pause = fail or (lambda n, text: None), pause
        super().__init__(None, None, load_schema(), batch_size, self._progress, workers)

    def _progress(self, n: int) -> None:
        with self._count:
            self.progressed += n

    def _write(self, text, params=None):
        with self._count:
            self.calls += 1
            n = self.calls
        time.sleep(self.pause)
        self.fail(n, text)
        with self._count:
            self.done.append((text, [p for row in params["rows"] for t in row["ts"] for p in t["ps"]]))


def rows(prefix: str, n: int) -> list[dict]:
    return [{"f": f"{prefix}{i // 3}", "t": "X", "k": f"{prefix}{i}", "p": {"_key": f"{prefix}{i}"}} for i in range(n)]


WORK = [("CREATE-A", rows("a", 9)), ("CREATE-B", rows("b", 4))]


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_row_is_written_exactly_once_in_batches_whatever_the_number_of_workers(workers):
    s = Recording(workers, pause=0.01)
    s._created(WORK)
    written = sorted(p["_key"] for text, ps in s.done for p in ps)
    assert written == sorted(r["k"] for _, rs in WORK for r in rs)
    assert len(s.done) == 5 + 2  # ceil(9 / 2) + ceil(4 / 2) batches of at most 2 rows
    assert all(text == "CREATE-A" for text, ps in s.done if ps[0]["_key"].startswith("a"))
    assert s.progressed == 13


def test_a_failed_batch_stops_every_worker_before_its_next_batch_and_is_raised():
    """Write 1 is in flight when write 2 fails: write 1 ends (written), and no third write starts."""
    failing = threading.Event()

    def fail(n, text):
        if n == 1:
            assert failing.wait(5)
            time.sleep(0.3)  # the failure of write 2 is recorded meanwhile
        elif n == 2:
            failing.set()
            raise server_error("Neo.ClientError.Statement.SyntaxError")

    s = Recording(2, fail=fail)
    with pytest.raises(Neo4jError, match="from the test"):
        s._created(WORK)
    assert s.calls == 2
    assert [p["_key"] for _, ps in s.done for p in ps] == ["a0", "a1"]
    assert s.progressed == 2  # progress counts only the batch written


def test_the_first_failure_in_time_is_raised_not_the_first_submitted_workers():
    """Write 1 fails after write 2 has failed: write 2's error is the one raised."""
    second_failed = threading.Event()

    def fail(n, text):
        if n == 1:
            assert second_failed.wait(5)
            time.sleep(0.3)  # write 2's failure is recorded meanwhile
            raise RuntimeError("write 1")
        second_failed.set()
        raise RuntimeError(f"write {n}")

    s = Recording(2, fail=fail)
    with pytest.raises(RuntimeError, match="write 2"):
        s._created(WORK)
    assert s.calls == 2


def test_a_batch_aborted_as_a_deadlock_is_written_again(monkeypatch):
    monkeypatch.setattr(neo4j_sync.time, "sleep", lambda s: None)
    aborted = {1, 2, 5}

    def fail(n, text):
        if n in aborted:
            raise server_error(DEADLOCK)

    s = Recording(2, fail=fail)
    s._created(WORK)
    assert sorted(p["_key"] for _, ps in s.done for p in ps) == sorted(r["k"] for _, rs in WORK for r in rs)
    assert s.calls == 7 + 3 and s.progressed == 13


def test_a_batch_deadlocked_on_every_attempt_fails_after_the_last_attempt(monkeypatch):
    monkeypatch.setattr(neo4j_sync.time, "sleep", lambda s: None)

    def fail(n, text):
        raise server_error(DEADLOCK)

    s = Recording(1, fail=fail)
    with pytest.raises(TransientError, match="from the test"):
        s._created(WORK)
    assert s.calls == neo4j_sync.DEADLOCK_ATTEMPTS and s.done == []


def test_another_transient_error_is_not_written_again():
    def fail(n, text):
        if n == 1:
            raise server_error("Neo.TransientError.General.MemoryPoolOutOfMemoryError")

    s = Recording(1, fail=fail)
    with pytest.raises(TransientError):
        s._created(WORK)
    assert s.calls == 1


def test_rows_of_one_node_pair_are_side_by_side_so_a_batch_folds_them_into_one_entry(tiny_graph):
    rows = neo4j_sync.rel_rows(tiny_graph, load_schema())
    trade = rows[("TRADES_WITH", "Country", "Country")]
    pairs = [(r["f"], r["t"]) for r in trade]
    assert len(trade) > len(set(pairs))  # the fixture has pairs with several years and sources
    assert pairs == sorted(pairs)
    folded = neo4j_sync.nested(trade)
    assert sum(len(entry["ts"]) for entry in folded) == len(set(pairs))  # one entry per pair
    assert sorted(r["k"] for r in trade) == sorted(
        f"{u[8:]}|{v[8:]}|{d['year']}|{d['dataset']}"
        for u, v, d in iter_edges(tiny_graph)  # (trade is a bulk table beside the graph: graph.py)
        if d["type"] == "TRADES_WITH"
    )
