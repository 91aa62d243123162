"""The Neo4j backend under faults, on a server of its own: a sync interrupted at any batch — the network cut
before each one of its writes in turn, cut as the first node batch, a middle batch, the last relationship batch or
the first prune delete commits (the server commits, the driver never hears), and the server stopped between two
batches — after which the next sync leaves exactly what a clean sync leaves; and queries
across that restart — from a store that was idle, from one that queried while the server was down (one line,
at once), and from the app's Queries page, which says it reconnected and shows the rows.

Network cuts go through a TCP relay on 127.0.0.1 between the driver and the server (no restart needed); the
server itself is stopped and started once (a restart costs ~30-60 s), and every restart check shares it.
"""

from __future__ import annotations

import csv
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import REPORT, ROOT, TINY, free_port, java_available, need, start_local_neo4j, stop_local_neo4j

pytestmark = pytest.mark.neo4j
TIMEOUT = 180
FAULTS: list[str] = []  # every fault injected, printed at the end of the module


# ------------------------------------------------------------------------------------------- the server
class Server:
    def __init__(self, folder: Path, port: int, uri: str):
        self.folder, self.port, self.uri = folder, port, uri

    def stop(self, why: str) -> None:
        stop_local_neo4j(self.folder, self.port)
        FAULTS.append(f"server stopped: {why}")

    def start(self) -> None:
        """Start again on the same database folder (no --fresh)."""
        subprocess.run(
            [str(ROOT / "tools" / "neo4j-local"), "start", "--port", str(self.port), "--dir", str(self.folder)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    need(java_available(), "Java 17 and Maven are needed to start a Neo4j for the fault tests")
    folder, port = tmp_path_factory.mktemp("neo4j-faults"), free_port()
    srv = Server(folder, port, start_local_neo4j(folder, port))
    yield srv
    stop_local_neo4j(folder, port)
    REPORT.append(f"server faults injected ({len(FAULTS)} kinds): " + "; ".join(FAULTS))


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    """tiny, and `changed`: tiny with rows removed, changed and added in nodes and relationships, so a sync
    from one to the other writes nodes, creates and re-writes relationships, and deletes both."""
    from graph_loader.pipeline import load

    changed = make_changed(tmp_path_factory.mktemp("changed") / "data")
    return {"tiny": load(TINY, risk_year=2008)[0], "changed": load(changed, risk_year=2008)[0]}


def _edit(path: Path, keep=lambda r: True, change=lambda r: None, add=()) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols, rows = reader.fieldnames, [r for r in reader if keep(r)]
    for r in rows:
        change(r)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, cols, restval="")
        w.writeheader()
        w.writerows([*rows, *add])


def make_changed(dst: Path) -> Path:
    shutil.copytree(TINY, dst)
    _edit(
        dst / "activities.csv",
        keep=lambda r: r["activity_id"] != "A9",
        change=lambda r: r.update(title=r["title"] + " (revised)") if r["activity_id"] in ("A1", "A4") else None,
        add=[
            {
                "activity_id": f"A{i}",
                "title": f"Seminar {i}",
                "partner": "JPN",
                "targets": "THA;MYS",
                "tool": "industry_seminar",
                "programme": "JPN-IOS",
                "status": "planned",
                "year": "2010",
                "month": str(i - 9),
                "confidence": "1",
                "source": "changed",
            }
            for i in range(10, 14)
        ],
    )
    _edit(
        dst / "trade.csv",
        keep=lambda r: r["exporter"] != "SGP",
        change=lambda r: r.update(value_usd_mn="123") if r["exporter"] == "MYS" else None,
        add=[
            {
                "exporter": "THA",
                "importer": "SGP",
                "year": str(y),
                "value_usd_mn": "7",
                "dataset": "COW",
                "estimate": "false",
                "source": "changed",
            }
            for y in (2005, 2006, 2007)
        ],
    )
    _edit(dst / "contacts.csv", keep=lambda r: r["contact_id"] != "C2")
    _edit(dst / "countries.csv", change=lambda r: r.update(n_ports="11") if r["iso3"] == "MYS" else None)
    return dst


def settings(uri: str):
    from graph_loader.stores.neo4j_store import Neo4jSettings

    return Neo4jSettings(uri=uri)


# ------------------------------------------------------------------------------------- the app's Queries page
def _app_page(monkeypatch, uri: str):
    """The Queries page (AppTest, this process) on the Neo4j backend of `uri`; query results cached by other
    tests are emptied first."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    for k in ("NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("NEO4J_URI", uri)
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app_pages" / "5_Queries.py"), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    at.sidebar.radio(key="backend").set_value("neo4j").run(timeout=TIMEOUT)
    at.selectbox(key="query_name").set_value("coverage_gaps").run(timeout=TIMEOUT)
    assert not at.exception and not at.sidebar.warning, [w.value for w in at.sidebar.warning]
    return at


def _run_gaps(at, year_from: int, year_to: int):
    at.number_input(key="param_coverage_gaps_year_from").set_value(year_from)
    at.number_input(key="param_coverage_gaps_year_to").set_value(year_to)
    at.button(key="run_query").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    return at


# ------------------------------------------------------------------------------------------ interrupted syncs
COMMIT = b"\x00\x02\xb0\x12\x00\x00"  # a Bolt COMMIT message in its own chunk


class Relay:
    """TCP relay 127.0.0.1:port → the server. cut(): the network is gone — every connection dropped and new ones
    refused — until mend(). lose_next_commit_ack(): the next COMMIT reaches the server, its answer never comes back."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up, self.arm, self.pairs, self.lock = True, False, [], threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            pair = {"socks": (client, upstream), "swallow": False}
            with self.lock:
                self.pairs.append(pair)
            threading.Thread(target=self._pump, args=(client, upstream, pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair, False), daemon=True).start()

    def _pump(self, src, dst, pair, to_server: bool) -> None:
        try:
            while data := src.recv(65536):
                if to_server and self.arm and COMMIT in data:
                    self.arm, pair["swallow"] = False, True
                    dst.sendall(data)
                    threading.Timer(1.0, self.cut).start()  # the server commits; the client never hears it
                    continue
                if not to_server and pair["swallow"]:
                    continue
                dst.sendall(data)
        except OSError:
            pass
        for s in pair["socks"]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.up = False
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair["socks"]:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def mend(self) -> None:
        self.up = True

    def lose_next_commit_ack(self) -> None:
        self.arm = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def write_kinds(texts: list[str]) -> list[str]:
    return ["node" if " MERGE (n:" in t else "prune" if "DELETE" in t else "relationship" for t in texts]


def recorded_writes(server, graphs, batch_size: int) -> list[str]:
    """The statements a sync from tiny to `changed` writes with `batch_size`, in order (the server holds
    `changed` afterwards)."""
    from graph_loader.stores.neo4j_sync import Syncer, sync_graph

    sync_graph(graphs["tiny"], settings(server.uri), show_progress=False)
    texts, original = [], Syncer._write

    def counting(self, text, params=None):
        texts.append(text)
        return original(self, text, params)

    Syncer._write = counting
    try:
        sync_graph(graphs["changed"], settings(server.uri), batch_size=batch_size, show_progress=False)
    finally:
        Syncer._write = original
    return texts


@pytest.fixture(scope="module")
def plan(server, graphs):
    """The writes a sync from tiny to `changed` makes with batch_size=2, in order: node, relationship, prune."""
    kinds = write_kinds(recorded_writes(server, graphs, batch_size=2))
    assert kinds == sorted(kinds, key=["node", "relationship", "prune"].index)  # phases in this order
    return kinds


def stop_points(kinds: list[str]) -> dict[str, int]:
    """The write (0-based) as whose commit the network dies."""
    rel = [i for i, k in enumerate(kinds) if k == "relationship"]
    prune = [i for i, k in enumerate(kinds) if k == "prune"]
    return {
        "the first node batch": 0,
        "a middle batch": len(kinds) // 2,
        "the last relationship batch": rel[-1],
        "the first prune delete": prune[0],
    }


def interrupted_sync(uri: str, graph, after: int, fault, batch_size: int = 2) -> str:
    """Sync `graph` with batch_size; fault() is called after `after` writes (before the next); returns the
    error line. The sync's driver is opened without its retries of a failed transaction (retry_s=0): the fault
    lasts until the test mends it, so they could only wait (5 s of back-off per fault) before the same error."""
    import graph_loader.stores.neo4j_sync as ns
    from graph_loader.stores.neo4j_store import Neo4jError
    from graph_loader.stores.neo4j_sync import Syncer, sync_graph

    original, count, opener = Syncer._write, {"n": 0}, ns.open_driver

    def faulty(self, text, params=None):
        if count["n"] == after:
            fault()
        count["n"] += 1
        return original(self, text, params)

    Syncer._write = faulty
    ns.open_driver = lambda settings_, retry_s=5: opener(settings_, retry_s=0)
    try:
        with pytest.raises(Neo4jError) as err:
            sync_graph(graph, settings(uri), batch_size=batch_size, show_progress=False)
    finally:
        Syncer._write, ns.open_driver = original, opener
    return str(err.value)


STOPS = ["the first node batch", "a middle batch", "the last relationship batch", "the first prune delete"]


@pytest.mark.parametrize("stop", STOPS)
def test_a_sync_cut_off_as_any_batch_commits_is_repaired_by_the_next_sync(server, graphs, plan, stop):
    """The network dies as a batch commits: the server commits it, the driver never hears so (IncompleteCommit,
    which it must not retry) and the sync stops half-way. The next sync neither duplicates that batch nor
    misses anything: the database equals a clean sync."""
    from graph_loader.stores.neo4j_sync import sync_graph
    from test_neo4j import expected, snapshot

    at = stop_points(plan)[stop]
    sync_graph(graphs["tiny"], settings(server.uri), show_progress=False)
    relay = Relay(server.port)
    try:
        uri = f"bolt://127.0.0.1:{relay.port}"
        error = interrupted_sync(uri, graphs["changed"], at, relay.lose_next_commit_ack)
        FAULTS.append(f"network cut as {stop} commits (write {at + 1} of {len(plan)})")
        assert error.endswith(" — sync interrupted; the next successful sync repairs it") and uri in error
        half = snapshot(server.uri)
        assert half not in (expected(graphs["tiny"]), expected(graphs["changed"]))  # really stopped half-way
        relay.mend()
        report = sync_graph(graphs["changed"], settings(uri), show_progress=False)
    finally:
        relay.close()
    assert snapshot(server.uri) == expected(graphs["changed"])
    assert report.written_nodes + report.written_relationships + report.deleted_nodes + report.deleted_relationships > 0


def test_a_sync_whose_network_dies_before_any_one_of_its_writes_is_repaired_by_the_next_sync(server, graphs):
    """Every batch boundary, one after the other: the connection is cut just before write k (k = 1 .. all of a
    sync in batches of 6), the sync fails in one line, and the next sync leaves exactly what a clean sync leaves."""
    from graph_loader.stores.neo4j_sync import sync_graph
    from test_neo4j import expected, snapshot

    want, start = expected(graphs["changed"]), expected(graphs["tiny"])
    writes = recorded_writes(server, graphs, batch_size=6)
    assert len(set(write_kinds(writes))) == 3  # node, relationship and prune batches all get cut before
    for at in range(len(writes)):
        sync_graph(graphs["tiny"], settings(server.uri), show_progress=False)
        relay = Relay(server.port)
        try:
            uri = f"bolt://127.0.0.1:{relay.port}"
            error = interrupted_sync(uri, graphs["changed"], at, relay.cut, batch_size=6)
            assert error.endswith(" — sync interrupted; the next successful sync repairs it"), (at, error)
            half = snapshot(server.uri)
            assert half != want and (at > 0 or half == start), at  # stopped before the end (before anything at 0)
            relay.mend()
            sync_graph(graphs["changed"], settings(uri), show_progress=False)
        finally:
            relay.close()
        assert snapshot(server.uri) == want, f"not repaired after a cut before write {at + 1} of {len(writes)}"
    FAULTS.append(f"network cut before each of the {len(writes)} writes of a sync in batches of 6, in turn")


# ------------------------------------------------------------------- one outage: the server stops mid-sync
WINDOWS = ((2008, 2008), (2009, 2010))


@pytest.fixture(scope="module")
def outage(server, graphs, plan):
    """The one restart of the module, and what everything saw around it. The server holds tiny; two stores
    are open (`busy` queries while the server is down, `idle` does not) and the app's Queries page shows a
    query on Neo4j. A sync to `changed` stops the server half-way; while it is down, `busy` and the page run
    a query; the server starts again on the same folder; the next sync runs; tiny is synced back, and all ask
    again."""
    from graph_loader.stores.neo4j_store import Neo4jStore
    from graph_loader.stores.neo4j_sync import sync_graph
    from queries import QueryError, Runner
    from test_neo4j import snapshot

    seen: dict = {}
    sync_graph(graphs["tiny"], settings(server.uri), show_progress=False)
    busy_store, idle_store = Neo4jStore(settings(server.uri)), Neo4jStore(settings(server.uri))
    busy, idle = Runner("neo4j", store=busy_store), Runner("neo4j", store=idle_store)
    try:
        seen["before"] = {w: busy.run("coverage_gaps", {"year_from": w[0], "year_to": w[1]}).rows for w in WINDOWS}
        seen["idle_before"] = idle.run("country_profile", {"iso3": "MYS"}).rows
        with pytest.MonkeyPatch.context() as mp:
            at = _run_gaps(_app_page(mp, server.uri), *WINDOWS[0])
            seen["app_before"] = [c.value for c in at.caption]
            middle = len(plan) // 2 + 1
            seen["sync_error"] = interrupted_sync(
                server.uri,
                graphs["changed"],
                middle,
                lambda: server.stop(f"mid-sync, after write {middle} of {len(plan)}"),
            )
            try:  # the server is down now
                busy.run("coverage_gaps", {"year_from": WINDOWS[1][0], "year_to": WINDOWS[1][1]})
            except QueryError as e:
                seen["down_error"] = str(e)
            seen["app_down_errors"] = [e.value for e in _run_gaps(at, *WINDOWS[1]).error]
            server.start()
            seen["half"] = snapshot(server.uri)
            seen["repair"] = sync_graph(graphs["changed"], settings(server.uri), show_progress=False)
            seen["repaired"] = snapshot(server.uri)
            sync_graph(graphs["tiny"], settings(server.uri), show_progress=False)  # what the stores first answered from
            seen["after"] = {w: busy.run("coverage_gaps", {"year_from": w[0], "year_to": w[1]}).rows for w in WINDOWS}
            seen["busy_reconnected"] = busy_store.reconnected
            seen["idle_after"] = idle.run("country_profile", {"iso3": "MYS"}).rows
            seen["idle_reconnected"] = idle_store.reconnected
            at = _run_gaps(at, *WINDOWS[1])
            seen["app_after"] = {
                "errors": [e.value for e in at.error],
                "info": [i.value for i in at.info],
                "captions": [c.value for c in at.caption],
                "shown": at.dataframe[0].value,
            }
    finally:
        busy_store.close()
        idle_store.close()
    return seen


def test_a_sync_stopped_by_the_server_going_down_says_so_in_one_line(server, outage):
    assert re.fullmatch(
        rf"cannot reach Neo4j at {re.escape(server.uri)} \(is the server running\? "
        r"(ServiceUnavailable|SessionExpired)\) — sync interrupted; the next successful sync "
        r"repairs it",
        outage["sync_error"],
    ), outage["sync_error"]


def test_after_the_restart_the_next_sync_repairs_the_half_synced_database(graphs, outage, plan):
    from test_neo4j import expected

    assert outage["half"] not in (expected(graphs["tiny"]), expected(graphs["changed"]))
    assert outage["repaired"] == expected(graphs["changed"])
    assert outage["repair"].written_nodes + outage["repair"].written_relationships > 0
    print(
        f"\nsync plan tiny -> changed at batch_size=2: {len(plan)} writes "
        f"({plan.count('node')} node, {plan.count('relationship')} relationship, {plan.count('prune')} prune)"
    )


def test_a_query_while_the_server_is_down_fails_in_one_line(server, outage):
    assert (
        outage["down_error"] == f"engine error: cannot reach Neo4j at {server.uri} (is the server running? "
        "ServiceUnavailable)"
    )


def test_the_app_shows_that_line_while_the_server_is_down(outage):
    from ui.render import md

    assert outage["app_down_errors"] == [md(outage["down_error"])]


def test_a_store_that_failed_while_the_server_was_down_reconnects_once_and_gives_the_same_rows(outage):
    assert outage["after"] == outage["before"] and all(len(rows) > 3 for rows in outage["before"].values())
    assert outage["busy_reconnected"] == 1  # once, not per query


def test_a_store_idle_during_the_restart_gives_the_same_rows_without_reconnecting(outage):
    # the restarted server had closed the pooled connections; the driver noticed and opened new ones itself
    assert outage["idle_after"] == outage["idle_before"] and outage["idle_before"][0]["iso3"] == "MYS"
    assert outage["idle_reconnected"] == 0


def test_the_app_says_it_reconnected_and_shows_the_rows(outage):
    want = outage["before"][WINDOWS[1]]
    app = outage["app_after"]
    assert app["errors"] == []
    assert app["info"] == [
        "Reconnected to Neo4j: the server had gone away (restarted?) and the store opened a new "
        "connection; these rows come from the new connection."
    ]
    assert any(c.startswith(f"{len(want)} rows") for c in app["captions"])
    assert list(app["shown"]["iso3"]) == [r["iso3"] for r in want] and list(app["shown"]["tool"]) == [
        r["tool"] for r in want
    ]
    assert any(c.startswith(f"{len(outage['before'][WINDOWS[0]])} rows") for c in outage["app_before"])
