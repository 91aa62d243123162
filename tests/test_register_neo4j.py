"""The shared register on Neo4j: versions, no lost update between two editors, and agreement with `sync`.

Runs against the server of the neo4j_uri fixture ($NEO4J_URI, or a local one). Each test syncs a tiny copy
first; the bookkeeping properties are removed at the end, so later syncs of other tests see plain data.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from graph_loader.pipeline import load
from graph_loader.register import record
from graph_loader.register.neo4j import Neo4jRegister
from graph_loader.schema import load_schema
from graph_loader.stores.neo4j_store import Neo4jSettings
from graph_loader.stores.neo4j_sync import node_rows, sync_graph

pytestmark = pytest.mark.neo4j

HEAD = "activity_id,title,partner,targets,tool,status,year,month,confidence,note,source,version\n"


@pytest.fixture()
def server(neo4j_uri, tiny_copy):
    settings = Neo4jSettings(uri=neo4j_uri)
    sync_graph(load(tiny_copy)[0], settings, show_progress=False)
    reg = Neo4jRegister(settings, tiny_copy)
    yield settings, reg
    with reg.driver.session() as s:
        s.run(
            "MATCH (n) WHERE n.version IS NOT NULL OR n.changed_by IS NOT NULL "
            "REMOVE n.version, n.changed_by, n.changed_at"
        ).consume()
    reg.close()


def node(reg: Neo4jRegister, label: str, key: str, value: str) -> dict | None:
    with reg.driver.session() as s:
        rec = s.run(f"MATCH (n:{label} {{{key}: $v}}) RETURN properties(n)", v=value).single()
        return None if rec is None else rec[0]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_two_editors_of_one_version_one_wins_the_other_is_told_who_and_when(server, tmp_path):
    settings, reg = server
    header, rows = reg.rows("activities", partner="AUS")
    a3 = next(r for r in rows if r["activity_id"] == "A3")
    assert a3["version"] is None  # written by sync, never by the register: version 0
    alice = write(
        tmp_path / "alice.csv",
        HEAD + "A3,Officer training Malaysia (AU),AUS,MYS,officer_training,held,"
        "2008,5,1,24 officers trained,fixture,0\n",
    )
    bob = write(
        tmp_path / "bob.csv",
        HEAD + "A3,Officer training Malaysia (AU),AUS,MYS,officer_training,cancelled,2008,5,1,postponed,fixture,0\n",
    )
    first = reg.record("activities", alice, by="alice", edit=True, force=True)
    assert first.saved, first.lines()
    after = node(reg, "Activity", "activity_id", "A3")
    assert (after["version"], after["changed_by"], after["status"]) == (1, "alice", "held")
    second = Neo4jRegister(settings, reg.data_dir)
    try:
        refused = second.record("activities", bob, by="bob", edit=True, force=True)
    finally:
        second.close()
    assert not refused.saved
    assert [str(p) for p in refused.problems] == [
        f"bob.csv:2: version: A3 was changed since version 0: it is at version 1, changed by alice at "
        f"{after['changed_at']} (expected the current version: read the row again and re-apply your edit)"
    ]
    assert node(reg, "Activity", "activity_id", "A3") == after  # nothing lost, nothing overwritten

    # at the same moment, both on version 1: exactly one commits, the other gets the conflict
    results = {}
    barrier = threading.Barrier(2)

    def edit(who: str, status: str):
        r = Neo4jRegister(settings, reg.data_dir)
        try:
            src = write(
                tmp_path / f"{who}2.csv",
                HEAD + f"A3,Officer training Malaysia (AU),AUS,MYS,officer_training,"
                f"{status},2008,5,1,by {who},fixture,1\n",
            )
            barrier.wait()
            results[who] = r.record("activities", src, by=who, edit=True, force=True)
        finally:
            r.close()

    threads = [threading.Thread(target=edit, args=a) for a in (("carol", "held"), ("dave", "cancelled"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    saved = [w for w, r in results.items() if r.saved]
    assert len(saved) == 1, {w: r.lines() for w, r in results.items()}
    loser = next(w for w in results if w not in saved)
    (problem,) = results[loser].problems
    assert f"A3 was changed since version 1: it is at version 2, changed by {saved[0]} at " in str(problem)
    final = node(reg, "Activity", "activity_id", "A3")
    assert (final["version"], final["changed_by"], final["note"]) == (2, saved[0], f"by {saved[0]}")


def test_csv_record_then_sync_and_neo4j_record_then_read_back_agree(server, tmp_path):
    settings, reg = server
    data = reg.data_dir
    schema = load_schema()
    # CSV record, then sync: the server has the row as the loader builds it, with its TARGETS
    n1 = write(tmp_path / "n1.csv", HEAD + "N1,Talks Thailand,JPN,THA,bilateral_discussion,planned,2009,5,0.9,,plan,\n")
    assert record(data, "activities", n1, by="alice").saved
    sync_graph(load(data)[0], settings, show_progress=False)
    want = {r["k"]: r["p"] for r in node_rows(load(data)[0], schema)["Activity"]}
    assert node(reg, "Activity", "activity_id", "N1") == want["N1"]
    with reg.driver.session() as s:
        assert s.run("MATCH (:Activity {activity_id: 'N1'})-[:TARGETS]->(c) RETURN c.iso3").single()[0] == "THA"

    # Neo4j record: read back, the row is the one the CSV path writes for the same input
    n2_text = HEAD + 'N2,Seminar Malaysia,JPN,MYS;THA,industry_seminar,planned,2009,11,0.5,"two, parts",plan,\n'
    got = reg.record("activities", write(tmp_path / "n2.csv", n2_text), by="bob")
    assert got.saved, got.lines()
    header, rows = reg.rows("activities")
    n2 = next(r for r in rows if r["activity_id"] == "N2")
    assert (n2["version"], n2["changed_by"]) == (1, "bob")
    assert record(data, "activities", write(tmp_path / "n2.csv", n2_text), by="bob").saved  # the CSV path
    csv_row = next(
        e["after"]
        for e in __import__("graph_loader.register", fromlist=["read_log"]).read_log(data)
        if e["key"] == "N2"
    )
    assert {c: n2[c] for c in header} == csv_row
    # the server's node is exactly the one a sync of the CSV writes: the sync writes nothing and keeps the version
    report = sync_graph(load(data)[0], settings, show_progress=False)
    assert report.written_nodes == 0 and report.deleted_nodes == 0, report.line()
    kept = node(reg, "Activity", "activity_id", "N2")
    assert (kept["version"], kept["changed_by"]) == (1, "bob")
    with reg.driver.session() as s:
        assert sorted(r[0] for r in s.run("MATCH (:Activity {activity_id: 'N2'})-[:TARGETS]->(c) RETURN c.iso3")) == [
            "MYS",
            "THA",
        ]

    # a CSV edit synced is a new version by "sync": an editor still on version 1 is refused
    assert record(
        data, "activities", write(tmp_path / "n2e.csv", n2_text.replace("planned", "held")), by="bob", edit=True
    ).saved
    sync_graph(load(data)[0], settings, show_progress=False)
    synced = node(reg, "Activity", "activity_id", "N2")
    assert (synced["version"], synced["changed_by"], synced["status"]) == (2, "sync", "held")
    stale = reg.record(
        "activities", write(tmp_path / "stale.csv", n2_text.replace(",plan,\n", ",plan,1\n")), by="carol", edit=True
    )
    assert not stale.saved and "changed by sync at " in str(stale.problems[0])


def test_an_assessment_on_neo4j_updates_the_country_as_a_sync_would(server, tmp_path):
    settings, reg = server
    src = write(
        tmp_path / "as.csv",
        "assessment_id,iso3,assessed_on,assessor,intention,laws,enforcement,"
        "industry_cooperation,confidence,source\nX-THA,THA,2010-01-01,AUS,yes,no,unknown,unknown,0.8,review\n",
    )
    got = reg.record("assessments", src, by="carol")
    assert got.saved, got.lines()
    assert node(reg, "Country", "iso3", "THA")["category"] == 2
    assert node(reg, "Assessment", "assessment_id", "X-THA")["version"] == 1
    # the same entry through the CSV, then a sync: no node differs
    assert record(reg.data_dir, "assessments", src, by="carol").saved
    report = sync_graph(load(reg.data_dir)[0], settings, show_progress=False)
    assert report.written_nodes == 0, report.line()


def test_a_planned_activity_recorded_on_neo4j_closes_its_gap_there(server, tmp_path):
    """The same planned activity that closes Malaysia's 2008 legal-assistance gap in the CSV register closes it
    on the shared server: the library query on Neo4j sees it at once."""
    from graph_loader.stores.neo4j_store import Neo4jStore
    from queries import Runner

    settings, reg = server
    store = Neo4jStore(settings)
    runner = Runner("neo4j", store=store)
    window = {"year_from": 2008, "year_to": 2008}
    before = {(r["iso3"], r["tool"]) for r in runner.run("coverage_gaps", window).rows}
    assert ("MYS", "legal_assistance") in before
    plan = write(
        tmp_path / "plan.csv",
        HEAD + "P1,Legal assistance Malaysia,USA,MYS,legal_assistance,planned,2008,9,0.9,,test,\n",
    )
    got = reg.record("activities", plan, by="analyst", force=True)
    assert got.saved, got.lines()
    after = {(r["iso3"], r["tool"]) for r in runner.run("coverage_gaps", window).rows}
    assert after == before - {("MYS", "legal_assistance")}
    store.close()
