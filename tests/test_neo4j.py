"""The Neo4j backend against a real Neo4j 5 server: sync, idempotence, convergence, read-only, equivalence."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REAL, ROOT, TINY
from graph_loader.pipeline import load
from graph_loader.schema import load_schema
from graph_loader.stores.embedded import store_for_graph
from graph_loader.stores.neo4j_store import Neo4jError, Neo4jSettings, Neo4jStore
from graph_loader.stores.neo4j_sync import node_rows, rel_rows, sync_graph
from queries import QueryError, Runner, load_registry

pytestmark = pytest.mark.neo4j


def _rows(session, text: str) -> list:
    return sorted(repr((r["l"], sorted(r["p"].items()))) for r in session.run(text))


def snapshot(uri: str, auth=None) -> tuple[list, list]:
    """Everything in the database but the sync's own hashes, as sorted lists (duplicates would show): nodes
    (label, properties) and relationships (type, properties — `_key` names both ends)."""
    from neo4j import GraphDatabase

    with GraphDatabase.driver(uri, auth=auth) as d, d.session() as s:
        return (
            _rows(s, "MATCH (n) WHERE NOT n:_SyncState RETURN labels(n)[0] AS l, properties(n) AS p"),
            _rows(s, "MATCH ()-[r]->() RETURN type(r) AS l, properties(r) AS p"),
        )


def expected(g) -> tuple[list, list]:
    """What the database must hold after syncing graph g (same shape as snapshot())."""
    schema = load_schema()
    nodes = sorted(repr((label, sorted(r["p"].items()))) for label, rows in node_rows(g, schema).items() for r in rows)
    rels = sorted(repr((t, sorted(r["p"].items()))) for (t, _, _), rows in rel_rows(g, schema).items() for r in rows)
    return nodes, rels


@pytest.fixture(scope="module")
def graphs():
    return {"tiny": load(TINY, risk_year=2008)[0], "real": load(REAL)[0]}


def test_a_sync_writes_exactly_the_graph_and_a_second_sync_changes_nothing(neo4j_uri, graphs):
    s = Neo4jSettings(uri=neo4j_uri)
    first = sync_graph(graphs["real"], s, show_progress=False)
    after_first = snapshot(neo4j_uri)
    assert after_first == expected(graphs["real"])
    second = sync_graph(graphs["real"], s, show_progress=False)
    assert snapshot(neo4j_uri) == after_first
    assert (second.written_nodes, second.written_relationships, second.deleted_nodes, second.deleted_relationships) == (
        0,
        0,
        0,
        0,
    )
    from conftest import REPORT

    REPORT.append(f"Neo4j real-data sync: {first.line()}")
    REPORT.append(f"Neo4j re-sync (unchanged data): {second.line()}")


@pytest.mark.parametrize("workers", [1, 3])
def test_a_sync_in_small_batches_on_one_or_several_sessions_writes_exactly_the_graph(neo4j_uri, graphs, workers):
    """Batches of 37 rows: node-folded batches split mid-node and mid-pair; with 3 sessions they commit in any
    order (and may deadlock and be retried by the driver); the database is the same either way."""
    from benchmarks.stages import clear_schema_data
    from graph_loader.stores.neo4j_store import open_driver

    s = Neo4jSettings(uri=neo4j_uri)
    driver = open_driver(s)
    try:
        clear_schema_data(driver, load_schema())
    finally:
        driver.close()
    report = sync_graph(graphs["real"], s, batch_size=37, workers=workers, show_progress=False)
    assert snapshot(neo4j_uri) == expected(graphs["real"])
    assert report.written_relationships == report.relationships > 10000


def test_after_a_data_change_sync_converges_to_exactly_the_new_graph(neo4j_uri, graphs):
    s = Neo4jSettings(uri=neo4j_uri)
    sync_graph(graphs["real"], s, show_progress=False)
    report = sync_graph(graphs["tiny"], s, show_progress=False)  # most rows removed, some changed
    assert snapshot(neo4j_uri) == expected(graphs["tiny"])
    assert report.deleted_nodes > 1000 and report.deleted_relationships > 20000


def test_uniqueness_constraints_come_from_the_schema_and_the_sync_state_has_its_own(neo4j_uri, graphs):
    from neo4j import GraphDatabase

    sync_graph(graphs["tiny"], Neo4jSettings(uri=neo4j_uri), show_progress=False)
    with GraphDatabase.driver(neo4j_uri, auth=None) as d, d.session() as sess:
        got = {
            (r["labels"][0], r["props"][0])
            for r in sess.run(
                "SHOW CONSTRAINTS YIELD type, labelsOrTypes AS labels, properties AS props "
                "WHERE type = 'UNIQUENESS' RETURN labels, props"
            )
        }
    assert got == {(label, spec.key) for label, spec in load_schema().nodes.items()} | {("_SyncState", "id")}


def test_the_sync_cli_reports_throughput_and_never_prints_the_password(neo4j_uri):
    env = {"NEO4J_URI": neo4j_uri, "NEO4J_PASSWORD": "s3cret-pw", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "graph_loader", "sync", "--data", str(TINY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    # the local test server has auth off; a password given anyway must not leak either way
    assert "s3cret-pw" not in out.stdout + out.stderr
    if out.returncode == 0:
        assert "relationships" in out.stdout and "synced" in out.stdout


def test_an_unreachable_server_gives_one_line_and_a_non_zero_exit():
    env = {"NEO4J_URI": "bolt://127.0.0.1:9", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "graph_loader", "sync", "--data", str(TINY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 1
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert lines == ["error: cannot reach Neo4j at bolt://127.0.0.1:9 (is the server running? ServiceUnavailable)"]


def test_a_missing_uri_is_explained(monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    with pytest.raises(Neo4jError, match="Neo4j is not configured: set NEO4J_URI"):
        Neo4jSettings.from_env({})


def test_a_write_in_the_console_is_refused_by_the_server_not_only_by_the_keyword_check(neo4j_uri, graphs):
    sync_graph(graphs["tiny"], Neo4jSettings(uri=neo4j_uri), show_progress=False)
    store = Neo4jStore(Neo4jSettings(uri=neo4j_uri))
    try:
        with pytest.raises(Neo4jError, match="refused a write in a read-only transaction"):
            store.query("MERGE (c:Country {iso3: 'ZZZ'}) RETURN c.iso3")  # straight to the server
        runner = Runner("neo4j", store=store)
        with pytest.raises(QueryError, match="only read queries"):
            runner.run_text("CREATE (n:Country {iso3: 'ZZZ'})")
        cols, rows = store.query("MATCH (c:Country {iso3: 'ZZZ'}) RETURN count(c) AS n")
        assert rows == [{"n": 0}]
    finally:
        store.close()


def test_a_query_runs_with_a_timeout(neo4j_uri, graphs):
    sync_graph(graphs["real"], Neo4jSettings(uri=neo4j_uri), show_progress=False)
    store = Neo4jStore(Neo4jSettings(uri=neo4j_uri), timeout_s=0.5)
    try:
        with pytest.raises(Neo4jError, match="timeout|Timed|terminated"):
            store.query(
                "MATCH (a:Country)-[:TRADES_WITH]-(b)-[:TRADES_WITH]-(c)-[:TRADES_WITH]-(d)-[:TRADES_WITH]-(e) "
                "RETURN count(*) AS n"
            )
    finally:
        store.close()


PARAM_SETS = {
    "coverage_gaps": [
        {},
        {"year_from": 2007, "year_to": 2008},
        {"year_from": 2009, "year_to": 2010},
        {"year_from": 2000, "year_to": 2020, "min_priority": 0.5},
        {"year_from": 2008, "year_to": 2009, "tier_source": "model"},
        {"year_from": 2021, "year_to": 2024, "tier_source": "model"},  # beyond the scored years
    ],
    "coverage_matrix": [
        {},
        {"year_from": 2008, "year_to": 2010, "max_activities": 1},
        {"tier_source": "model", "min_confidence": 0.75},
    ],
    "assignment_gaps": [{}, {"needed_only": False}, {"year_from": 2009, "year_to": 2010, "tier_source": "model"}],
    "partner_overlap": [{}, {"year_from": 2008, "year_to": 2010, "max_activities": 1}],
    "schedule_conflicts": [{}, {"year_from": 2000, "year_to": 2020}],
    "role_compliance": [{}, {"year_from": 2000, "year_to": 2020}],
    "risk_ranking": [{}, {"year": 2008}, {"year": 2014, "tier_source": "model"}],
    "country_profile": [{"iso3": "MYS"}, {"iso3": "THA"}, {"iso3": "LAO"}, {"iso3": "CHN"}],
    "ties_to_concern": [{}, {"iso3": "MYS", "year": 2014}, {"year": 2020}],
    "unmet_requests": [{}, {"as_of_year": 2009}],
    "meeting_participation": [{}, {"meeting_id": "ASTOP-VI"}, {"meeting_id": "M1"}],
    "handover_risk": [{}, {"as_of_year": 2009, "as_of_month": 1, "months": 12}],
    "unreached_high_risk": [{}, {"year_from": 2000, "year_to": 2020}, {"tier_source": "model"}],
    "role_matrix": [{}, {"category": 3}],
}


def test_every_library_query_has_parameter_sets_for_the_equivalence_check():
    assert set(PARAM_SETS) == set(load_registry())


@pytest.mark.parametrize("dataset", ["tiny", "real"])
def test_every_query_gives_identical_rows_on_the_embedded_store_and_on_neo4j(
    neo4j_uri, graphs, dataset, tmp_path, monkeypatch
):
    monkeypatch.setenv("OUTREACH_CACHE", str(tmp_path / "cache"))
    sync_graph(graphs[dataset], Neo4jSettings(uri=neo4j_uri), show_progress=False)
    embedded = Runner("embedded", store=store_for_graph(graphs[dataset], f"equivalence-{dataset}"))
    store = Neo4jStore(Neo4jSettings(uri=neo4j_uri))
    neo = Runner("neo4j", store=store)
    compared = 0
    try:
        for name, sets in PARAM_SETS.items():
            for params in sets:
                a, b = embedded.run(name, params), neo.run(name, params)
                assert a.columns == b.columns
                assert a.rows == b.rows, f"{name} {params} differs on {dataset}"
                compared += len(a.rows)
    finally:
        store.close()
    assert compared > (50 if dataset == "tiny" else 500)


# ------------------------------------------------------------------ faults on a server of their own (auth on)
@pytest.fixture(scope="module")
def auth_server(auth_neo4j):
    return auth_neo4j  # the session's Neo4j with authentication (conftest), shared with test_secrets_offline


def test_a_wrong_password_gives_one_line_without_the_password(auth_server):
    env = {
        "NEO4J_URI": auth_server["uri"],
        "NEO4J_USERNAME": "neo4j",
        "NEO4J_PASSWORD": "wrong-pw-123",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-m", "graph_loader", "sync", "--data", str(TINY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 1
    assert [x for x in out.stderr.splitlines() if x.strip()] == [
        f"error: Neo4j at {auth_server['uri']} refused the credentials for user 'neo4j' "
        "(check NEO4J_USERNAME/NEO4J_PASSWORD)"
    ]
    assert "wrong-pw-123" not in out.stdout + out.stderr


def test_a_server_stopped_mid_sync_fails_clearly_and_the_next_sync_repairs_everything(auth_server, graphs):
    from conftest import stop_local_neo4j

    s = Neo4jSettings(uri=auth_server["uri"], user="neo4j", password=auth_server["password"])
    sync_graph(graphs["tiny"], s, show_progress=False)
    stopped = {"done": False}

    import graph_loader.stores.neo4j_sync as ns

    original = ns.Syncer._batched

    def stop_after_first_batch(self, text, rows):
        original(self, text, rows)
        if rows and not stopped["done"]:
            stopped["done"] = True
            stop_local_neo4j(auth_server["folder"], auth_server["port"])

    ns.Syncer._batched = stop_after_first_batch
    try:
        with pytest.raises(Neo4jError) as err:
            sync_graph(graphs["real"], s, batch_size=500, show_progress=False)
    finally:
        ns.Syncer._batched = original
    assert "sync interrupted; the next successful sync repairs it" in str(err.value)
    assert auth_server["password"] not in str(err.value)
    # restart on the same database folder: it holds a half-synced mix of the tiny and the real graph
    subprocess.run(
        [
            str(ROOT / "tools" / "neo4j-local"),
            "start",
            "--port",
            str(auth_server["port"]),
            "--dir",
            str(auth_server["folder"]),
            "--auth",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**__import__("os").environ, "NEO4J_LAUNCHER_PASSWORD": auth_server["password"]},
        check=True,
    )
    report = sync_graph(graphs["real"], s, show_progress=False)
    assert report.written_relationships > 0
    assert snapshot(auth_server["uri"], auth=("neo4j", auth_server["password"])) == expected(graphs["real"])
