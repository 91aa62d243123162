"""The Neo4j sync by content hashes, against a real Neo4j 5 server: what a re-sync reads and writes.

Each test starts from the tiny fixture synced into an emptied database, changes the rows (as node_rows() and
rel_rows() make them) or the hashes the server keeps, syncs again and checks the report and the database.
"""

from __future__ import annotations

import copy

import pytest

from conftest import TINY
from graph_loader.pipeline import load
from graph_loader.schema import load_schema
from graph_loader.stores import neo4j_state as state
from graph_loader.stores.neo4j_store import Neo4jSettings, open_driver
from graph_loader.stores.neo4j_sync import Syncer, node_rows, rel_rows, sync_rows

pytestmark = pytest.mark.neo4j

TRADE = ("TRADES_WITH", "Country", "Country")


@pytest.fixture(scope="module")
def tiny_rows():
    g = load(TINY, risk_year=2008)[0]
    schema = load_schema()
    return node_rows(g, schema), rel_rows(g, schema)


@pytest.fixture()
def db(neo4j_uri, tiny_rows):
    """A driver on a database that holds exactly the tiny fixture, synced from empty (so with its hashes)."""
    from benchmarks.stages import clear_schema_data

    driver = open_driver(Neo4jSettings(uri=neo4j_uri))
    clear_schema_data(driver, load_schema())
    sync_rows(driver, None, load_schema(), *tiny_rows)
    yield driver
    driver.close()


def sync(driver, rows):
    return sync_rows(driver, None, load_schema(), *rows)


def counts(report) -> tuple[int, int, int, int]:
    return (report.written_nodes, report.written_relationships, report.deleted_nodes, report.deleted_relationships)


def held(driver) -> tuple[list, list]:
    """The database but the sync state, as sorted (label or type, properties) lists."""
    with driver.session() as s:
        nodes = s.run("MATCH (n) WHERE NOT n:_SyncState RETURN labels(n)[0] AS l, properties(n) AS p")
        nodes = sorted(repr((r["l"], sorted(r["p"].items()))) for r in nodes)
        rels = s.run("MATCH ()-[r]->() RETURN type(r) AS l, properties(r) AS p")
        return nodes, sorted(repr((r["l"], sorted(r["p"].items()))) for r in rels)


def wanted(rows) -> tuple[list, list]:
    nodes, rels = rows
    return (
        sorted(repr((label, sorted(r["p"].items()))) for label, items in nodes.items() for r in items),
        sorted(repr((t, sorted(r["p"].items()))) for (t, _, _), items in rels.items() for r in items),
    )


def data_writes(monkeypatch) -> list[str]:
    """The data statements the next syncs send (Syncer._write is the one place a data batch leaves)."""
    texts, original = [], Syncer._write

    def counting(self, text, params=None):
        texts.append(text)
        return original(self, text, params)

    monkeypatch.setattr(Syncer, "_write", counting)
    return texts


def test_a_first_sync_into_an_empty_database_creates_everything_and_keeps_a_hash_for_every_row(db, tiny_rows):
    assert held(db) == wanted(tiny_rows)
    with db.session() as s:
        roots = state.read_roots(s)
    assert set(roots) == {f"node:{x}" for x in load_schema().nodes} | {f"rel:{x}" for x in load_schema().rels}
    assert all(v is not None for v in roots.values())  # none left dirty


def test_an_unchanged_re_sync_reads_no_bucket_and_writes_nothing(db, tiny_rows, monkeypatch):
    writes = data_writes(monkeypatch)
    report = sync(db, tiny_rows)
    assert counts(report) == (0, 0, 0, 0)
    assert (report.buckets_read, report.compared_kinds, writes) == (0, 0, [])


def test_a_changed_property_in_one_node_updates_just_that_node(db, tiny_rows, monkeypatch):
    rows = copy.deepcopy(tiny_rows)
    tha = next(r for r in rows[0]["Country"] if r["k"] == "THA")
    tha["p"]["name"] = "Kingdom of Thailand"
    writes = data_writes(monkeypatch)
    report = sync(db, rows)
    assert counts(report) == (1, 0, 0, 0)
    assert report.buckets_read == 1 and len(writes) == 1
    assert held(db) == wanted(rows)


def test_a_changed_relationship_property_is_updated_in_place(db, tiny_rows):
    rows = copy.deepcopy(tiny_rows)
    trade = rows[1][TRADE][0]
    trade["p"]["value_usd_mn"] = 151.5
    with db.session() as s:
        before = s.run("MATCH ()-[r:TRADES_WITH {_key: $k}]->() RETURN elementId(r)", k=trade["k"]).single()[0]
    assert counts(sync(db, rows)) == (0, 1, 0, 0)
    with db.session() as s:
        after = s.run("MATCH ()-[r:TRADES_WITH {_key: $k}]->() RETURN elementId(r), r.value_usd_mn", k=trade["k"])
        assert [tuple(r) for r in after] == [(before, 151.5)]
    assert held(db) == wanted(rows)


def test_a_relationship_gone_from_the_data_disappears_from_the_database(db, tiny_rows):
    rows = copy.deepcopy(tiny_rows)
    gone = rows[1][TRADE].pop(0)
    assert counts(sync(db, rows)) == (0, 0, 0, 1)
    with db.session() as s:
        assert s.run("MATCH ()-[r:TRADES_WITH {_key: $k}]->() RETURN count(r)", k=gone["k"]).single()[0] == 0
    assert held(db) == wanted(rows)


def test_a_node_gone_from_the_data_goes_with_its_relationships_and_a_new_one_is_created(db, tiny_rows):
    rows = copy.deepcopy(tiny_rows)
    rows[0]["Topic"] = [{"k": "T-NEW", "p": {**rows[0]["Topic"][0]["p"], "topic_id": "T-NEW"}}]
    for triple in [t for t in rows[1] if "Topic" in t[1:]]:
        rows[1][triple] = []
    report = sync(db, rows)
    assert (report.written_nodes, report.deleted_nodes) == (1, 1)
    assert held(db) == wanted(rows)


def test_a_hash_tampered_in_the_database_makes_the_next_sync_rewrite_what_it_covers(db, tiny_rows):
    """THA's item hash, its bucket's hash and the kind hash are altered, and so is THA on the server: the kind
    and the bucket differ, THA's hash differs, THA is written again (and only THA); a second sync finds nothing
    to do."""
    kid = "node:Country"
    with db.session() as s:
        roots = state.read_roots(s)
        b = state.bucket_of("THA", len(roots[kid][1]))
        s.run(
            "MATCH (r:_SyncState {id: $root}) SET r.w = r.w + 1, r.h = [i IN range(0, size(r.h) - 1) | "
            "CASE WHEN i = $b THEN r.h[i] + 1 ELSE r.h[i] END]",
            root=kid,
            b=b,
        ).consume()
        s.run(
            "MATCH (x:_SyncState {id: $id}) SET x.h = [i IN range(0, size(x.h) - 1) | "
            "CASE WHEN x.k[i] = 'THA' THEN 0 ELSE x.h[i] END]",
            id=f"{kid}:{b}",
        ).consume()
        s.run("MATCH (c:Country {iso3: 'THA'}) SET c.name = 'tampered'").consume()
    report = sync(db, tiny_rows)
    assert counts(report) == (1, 0, 0, 0) and report.buckets_read == 1
    assert held(db) == wanted(tiny_rows)
    assert counts(sync(db, tiny_rows)) == (0, 0, 0, 0)


def test_tampered_bucket_hashes_are_compared_item_by_item_and_repaired_without_writes(db, tiny_rows):
    with db.session() as s:
        s.run("MATCH (r:_SyncState {id: 'rel:TRADES_WITH'}) SET r.w = r.w + 1, r.h = [x IN r.h | x + 1]").consume()
    report = sync(db, tiny_rows)
    assert counts(report) == (0, 0, 0, 0) and report.buckets_read > 0
    assert sync(db, tiny_rows).buckets_read == 0


def test_a_sync_stopped_before_its_hashes_are_kept_is_repaired_even_when_the_data_changes_back(
    db, tiny_rows, monkeypatch
):
    """The data writes of a change commit, the hashes do not: the touched kinds stay marked dirty, so a sync of
    the original data compares them row by row and undoes the change (their hashes alone would say "same")."""
    rows = copy.deepcopy(tiny_rows)
    rows[0]["Country"][0]["p"]["name"] = "changed"
    rows[1][TRADE].pop()

    def fail(self, plan):
        raise RuntimeError("stopped before the hashes")

    with monkeypatch.context() as m:
        m.setattr(Syncer, "_save_state", fail)
        with pytest.raises(RuntimeError):
            sync(db, rows)
    assert held(db) == wanted(rows)
    report = sync(db, tiny_rows)
    assert report.compared_kinds == 2  # Country and TRADES_WITH, marked dirty
    assert counts(report) == (1, 1, 0, 0)
    assert held(db) == wanted(tiny_rows)
    assert counts(sync(db, tiny_rows)) == (0, 0, 0, 0)


def test_a_database_written_without_hashes_is_compared_row_by_row_once(db, tiny_rows, monkeypatch):
    with db.session() as s:
        s.run("MATCH (x:_SyncState) DELETE x").consume()
    writes = data_writes(monkeypatch)
    first = sync(db, tiny_rows)
    assert counts(first) == (0, 0, 0, 0) and writes == []
    assert first.compared_kinds == len(load_schema().nodes) + len(load_schema().rels)
    assert sync(db, tiny_rows).compared_kinds == 0


def test_a_kind_hash_alone_tampered_makes_its_buckets_compared_and_nothing_written(db, tiny_rows, monkeypatch):
    with db.session() as s:
        s.run("MATCH (r:_SyncState {id: 'node:Activity'}) SET r.w = 0").consume()
    writes = data_writes(monkeypatch)
    report = sync(db, tiny_rows)
    assert counts(report) == (0, 0, 0, 0) and (report.buckets_read, writes) == (0, [])
    with db.session() as s:
        assert state.read_roots(s)["node:Activity"][0] == state.whole_hash(tiny_rows[0]["Activity"])


def test_a_register_write_during_a_sync_leaves_its_kinds_to_be_compared_by_the_next_sync(db, tiny_rows, monkeypatch):
    """The register forgets the hashes of what it writes; a sync that was running meanwhile must not put back
    hashes that would hide that write."""
    rows = copy.deepcopy(tiny_rows)
    rows[0]["Country"][0]["p"]["name"] = "changed"
    original = Syncer._save_state

    def register_meanwhile(self, plan):
        with self.driver.session() as s:
            s.execute_write(state.invalidate, labels=["Country"], types=[])
        original(self, plan)

    with monkeypatch.context() as m:
        m.setattr(Syncer, "_save_state", register_meanwhile)
        sync(db, rows)
    with db.session() as s:
        assert "node:Country" not in state.read_roots(s)
    assert sync(db, rows).compared_kinds == 1


def test_a_kind_grown_eightfold_gets_buckets_fit_for_its_size(db, tiny_rows):
    rows = copy.deepcopy(tiny_rows)
    pairs = rows[1][TRADE]
    with db.session() as s:
        before = len(state.read_roots(s)["rel:TRADES_WITH"][1])
    extra = [{**r, "k": f"{r['k']}|{i}", "p": {**r["p"], "_key": f"{r['k']}|{i}"}} for i in range(40) for r in pairs]
    rows[1][TRADE] = sorted(pairs + extra, key=lambda r: (r["f"], r["t"]))
    assert sync(db, rows).written_relationships == len(extra)
    with db.session() as s:
        after = len(state.read_roots(s)["rel:TRADES_WITH"][1])
        held_buckets = s.run("MATCH (x:_SyncState) WHERE x.id STARTS WITH 'rel:TRADES_WITH:' RETURN count(x)")
        assert (before, after, held_buckets.single()[0]) == (1, state.bucket_count(len(rows[1][TRADE])), after)
    assert held(db) == wanted(rows)
    assert counts(sync(db, rows)) == (0, 0, 0, 0)
