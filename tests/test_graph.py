"""The outreach graph keeps bulk relationships (and node attributes) as column tables until its adjacency
(its node dict) is read, and then behaves exactly as a graph built edge by edge (graph_loader/graph.py)."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from conftest import TINY
from graph_loader.build import _derive_country_facts, build_graph, counts
from graph_loader.graph import (
    DerivedColumns,
    NodeTable,
    OutreachGraph,
    PendingNodeError,
    edge_tables,
    edge_values,
    held,
    iter_edges,
    labelled_nodes,
    node_labels,
    node_tables,
)
from graph_loader.pipeline import load
from graph_loader.risk import write_scores
from graph_loader.validate import endpoint_columns, validate
from graph_loader.whatif import graph_fingerprint


def _fresh():
    return build_graph(validate(TINY))


def _multiset(edges) -> Counter:
    return Counter((u, v, tuple(sorted(d.items()))) for u, v, d in edges)


def test_a_built_graph_holds_its_bulk_relationships_as_tables_until_read():
    g = _fresh()
    pending = {t.rtype for t in edge_tables(g)}
    assert {"TRADES_WITH", "DISTANCE", "CONDUCTS", "TARGETS"} <= pending
    total = g.number_of_edges()  # counted without building the edges
    assert edge_tables(g)
    assert sum(1 for _ in g.edges) == total  # reading the adjacency builds them
    assert edge_tables(g) == [] and g.number_of_edges() == total


def test_the_materialised_edges_are_exactly_the_edges_iter_edges_gave_before():
    g = _fresh()
    before = _multiset(iter_edges(g))
    assert _multiset(g.edges(data=True)) == before
    assert _multiset(iter_edges(g)) == before
    # networkx's own invariants: succ and pred agree, keys 0..n-1 per node pair
    for u, v, k in g.edges(keys=True):
        assert g._pred[v][u][k] is g._succ[u][v][k]
    for nbrs in g.adj.values():
        for keydict in nbrs.values():
            assert sorted(keydict) == list(range(len(keydict)))


def test_trade_edges_carry_their_values_once_built():
    g = _fresh()
    trade = [d for u, v, d in g.edges("Country:THA", data=True) if d["type"] == "TRADES_WITH" and v == "Country:CHN"]
    assert sorted((d["year"], d["dataset"], d["value_usd_mn"]) for d in trade)[:2] == [
        (2008, "COW", 999.0),
        (2008, "IMF_DOTS", 100.0),
    ]


def test_loading_and_risk_scoring_leave_the_tables_pending():
    g, _ = load(TINY, risk_year=2008)
    assert edge_tables(g), "scoring built the bulk edges it only reads"
    scored = [n for n, d in g.nodes(data=True) if d["label"] == "RiskScore"]
    assert scored and g.nodes["Country:THA"]["risk_year"] == 2008
    n = g.number_of_edges()
    assert g.number_of_edges() == sum(1 for _ in g.edges)
    assert (
        sum(1 for _, _, d in g.edges(data=True) if d["type"] == "SCORED")
        == len(scored)
        == n - sum(1 for _, _, d in g.edges(data=True) if d["type"] != "SCORED")
    )


def test_a_copy_a_subgraph_and_an_algorithm_see_every_edge():
    g = _fresh()
    total = g.number_of_edges()
    assert g.copy().number_of_edges() == total
    g2 = _fresh()
    sub = g2.subgraph(["Country:THA", "Country:CHN"])
    assert any(d["type"] == "TRADES_WITH" for _, _, d in sub.edges(data=True))
    g3 = _fresh()
    assert nx.has_path(g3, "Country:THA", "Country:CHN")
    assert (
        not isinstance(nx.MultiDiGraph(_fresh()), OutreachGraph)
        and nx.MultiDiGraph(_fresh()).number_of_edges() == total
    )


def test_writes_while_held_do_not_build_the_tables_and_come_first():
    g = _fresh()
    with held(g):
        g.add_node("Note:1", label="Note")
        g.add_edge("Country:THA", "Note:1", type="NOTED")
        assert edge_tables(g)
    total = g.number_of_edges()
    assert sum(1 for _ in g.edges) == total and ("Country:THA", "Note:1") in g.edges()


def test_threads_reading_at_once_build_each_edge_once():
    g = _fresh()
    want = _multiset(iter_edges(g))
    start = threading.Barrier(8)
    seen, errors = [], []

    def read():
        try:
            start.wait()
            seen.append(_multiset(g.edges(data=True)))
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(seen) == 8 and all(s == want for s in seen)
    assert g.number_of_edges() == sum(want.values())


def test_a_bulk_reader_walking_the_graph_while_another_thread_builds_it_sees_every_edge_once():
    g = _fresh()
    want = _multiset(iter_edges(g))
    walking, built = threading.Event(), threading.Event()
    got: list = []

    def walk():
        edges = iter_edges(g)
        got.append(next(edges))
        walking.set()
        built.wait(10)
        got.extend(edges)  # the adjacency was replaced meanwhile; this walk reads the old one to its end

    t = threading.Thread(target=walk)
    t.start()
    walking.wait(10)
    g.materialise()
    built.set()
    t.join()
    assert _multiset(got) == want
    assert _multiset(iter_edges(g)) == want and edge_tables(g) == []


def test_edge_values_reads_a_property_of_one_relationship_type_before_and_after_materialising():
    g = _fresh()
    before = sorted(edge_values(g, "TRADES_WITH", "year"))
    assert edge_tables(g) and before and set(before) <= set(range(1980, 2101))
    assert before == sorted(d["year"] for _, _, d in g.edges(data=True) if d["type"] == "TRADES_WITH")
    assert sorted(edge_values(g, "TRADES_WITH", "year")) == before


def _eager(ds) -> nx.MultiDiGraph:
    """The graph an edge-by-edge build gives (the pre-table algorithm, kept here as the reference): every node
    row by row with its non-blank properties, then every relationship in schema order, row by row, with
    networkx's own add_edge, then the countries' facts from their assessments."""
    ref = nx.MultiDiGraph(name="outreach")
    for spec in ds.schema.nodes.values():
        t = ds.tables.get(spec.file) if spec.file else None
        cols = [c for c in spec.data_props if c in t.data] if t is not None else []
        for i, key in enumerate(t.data[spec.key] if t is not None else ()):
            ref.add_node(
                f"{spec.label}:{key}", label=spec.label, **{c: t.data[c][i] for c in cols if t.data[c][i] is not None}
            )
    for rel in ds.schema.rels.values():
        t = ds.tables.get(rel.file) if rel.file else None
        if t is None:
            continue
        (from_col, from_labels), *to_ends = endpoint_columns(rel)
        cols = [c for c in rel.props if c in t.data]
        for i, a in enumerate(t.data[from_col]):
            if a is None:
                continue
            u = next(f"{lb}:{a}" for lb in from_labels if f"{lb}:{a}" in ref)
            for col, labels in to_ends:
                value = t.data[col][i]
                for b in [] if value is None else value.split(";") if rel.type == "TARGETS" else [value]:
                    v = next(f"{lb}:{b}" for lb in labels if f"{lb}:{b}" in ref)
                    ref.add_edge(u, v, type=rel.type, **{c: t.data[c][i] for c in cols if t.data[c][i] is not None})
    _derive_country_facts(ref)
    return ref


def _listed(g) -> list:
    return [(u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True)]


def test_the_graph_has_the_node_order_keys_and_edge_order_of_an_edge_by_edge_build():
    ds = validate(TINY)
    g, ref = build_graph(ds), _eager(ds)
    assert node_tables(g)
    assert [(n, list(d.items())) for n, d in g.nodes(data=True)] == [
        (n, list(d.items())) for n, d in ref.nodes(data=True)
    ]  # key order too
    assert node_tables(g) == []
    assert _listed(g) == _listed(ref)


def test_a_built_graph_counts_and_finds_its_nodes_before_their_attributes_are_made():
    g = _fresh()
    ref = _eager(validate(TINY))
    assert {t.label for t in node_tables(g)} >= {"Activity", "Request", "Meeting"}
    assert len(g) == g.number_of_nodes() == ref.number_of_nodes()
    assert "Activity:A1" in g and g.has_node("Activity:A1") and "Activity:nope" not in g and [] not in g
    assert node_labels(g) == [d["label"] for _, d in ref.nodes(data=True)]
    assert counts(g, validate(TINY).schema)["nodes"]["Activity"] == sum(
        1 for _, d in ref.nodes(data=True) if d["label"] == "Activity"
    )
    assert {t.label for t in node_tables(g)} >= {"Activity", "Request", "Meeting"}, "counting made the dicts"
    assert g.nodes["Activity:A1"] == ref.nodes["Activity:A1"] and node_tables(g) == []


def test_labelled_nodes_makes_only_the_labels_asked_for():
    g = _fresh()
    got = labelled_nodes(g, ("Activity",))
    ref = _eager(validate(TINY))
    assert got == [(n, d) for n, d in ref.nodes(data=True) if d["label"] == "Activity"]
    assert "Activity" not in {t.label for t in node_tables(g)} and "Request" in {t.label for t in node_tables(g)}
    assert labelled_nodes(g, ("Activity",))[0][1] is got[0][1]  # made once, then the graph's own dicts


def test_loading_and_risk_scoring_leave_the_activities_attributes_pending():
    g, _ = load(TINY, risk_year=2008)
    assert "Activity" in {t.label for t in node_tables(g)}
    assert g.nodes["Country:THA"]["risk_year"] == 2008 and node_tables(g) == []


def test_a_pending_node_cannot_be_copied_or_written_while_held():
    g = _fresh()
    with held(g):
        assert g.nodes["Activity:A1"]["label"] == "Activity"  # its label is known
        with pytest.raises(PendingNodeError, match="Activity node are not made yet"):
            g.add_node("Activity:A1", note="lost")  # nothing is silently lost
        with pytest.raises(PendingNodeError):
            g.nodes["Activity:A1"]["note"] = "lost"
        with pytest.raises(PendingNodeError):
            g.nodes["Activity:A1"].get("title")
        with pytest.raises(PendingNodeError):
            g.copy()  # a copy would keep placeholders for good
        with pytest.raises(PendingNodeError):
            nx.compose(g, nx.MultiDiGraph())
    assert "note" not in g.nodes["Activity:A1"] and g.nodes["Activity:A1"]["title"] == "Industry seminar Thailand"
    assert g.copy().nodes["Activity:A1"] == g.nodes["Activity:A1"]


def test_a_node_removed_while_held_goes_with_its_pending_edges_as_in_an_edge_by_edge_build():
    ds = validate(TINY)
    g, ref = build_graph(ds), _eager(ds)
    with held(g):
        g.remove_node("Activity:A2")
        g.remove_nodes_from(["Activity:A3", "Country:THA"])
    ref.remove_nodes_from(["Activity:A2", "Activity:A3", "Country:THA"])
    assert not any("Activity:A2" in (u, v) for u, v, _ in iter_edges(g))
    assert list(g.nodes(data=True)) == list(ref.nodes(data=True))
    assert _listed(g) == _listed(ref)


def test_replacing_risk_scores_while_held_leaves_the_tables_pending():
    g, _ = load(TINY, risk_year=2008)
    before = g.number_of_edges()
    write_scores(g, default_year=2008)  # removes and re-adds every RiskScore node, held
    assert edge_tables(g) and g.number_of_edges() == before


def test_clearing_a_held_graph_drops_its_pending_tables_too():
    g = _fresh()
    with held(g):
        g.clear_edges()
    assert g.number_of_edges() == 0 and len(g.edges) == 0 and g.number_of_nodes() > 0
    assert g.nodes["Activity:A1"]["title"] == "Industry seminar Thailand"
    g = _fresh()
    with held(g):
        g.clear()
    assert (g.number_of_nodes(), g.number_of_edges(), len(g.edges)) == (0, 0, 0)


def test_adding_a_label_twice_is_refused_and_leaves_the_graph_as_it_was():
    g = _fresh()
    n = g.number_of_nodes()
    with pytest.raises(ValueError, match="already in the graph"):
        g.defer_nodes(NodeTable("Country", ["Country:ZZZ", "Country:THA"], {}, ()))
    with pytest.raises(ValueError, match="repeated"):
        g.defer_nodes(NodeTable("Other", ["Other:1", "Other:1"], {}, ()))
    assert g.number_of_nodes() == n and "Country:ZZZ" not in g and "Other:1" not in g
    assert g.nodes["Country:THA"] == _eager(validate(TINY)).nodes["Country:THA"]  # not left a placeholder


_DEADLOCK_SCENARIO = """
import threading, time
from graph_loader.build import build_graph
from graph_loader.graph import held
from graph_loader.validate import validate
ds = validate(TINY)
g1, g2 = build_graph(ds), build_graph(ds)
entered, done = threading.Event(), threading.Event()
def reader():
    entered.wait(10)
    list(g2.nodes)  # its first read makes g2's dicts
def writer():
    with held(g1):
        entered.set()
        time.sleep(0.3)
        list(g1.nodes(data=True))  # write_scores reads the nodes so, held
    done.set()
for target in (reader, writer):
    threading.Thread(target=target, daemon=True).start()
print("finished" if done.wait(10) else "deadlocked", flush=True)
"""


def test_a_writer_reading_nodes_while_held_is_not_blocked_by_a_thread_reading_another_graphs_nodes():
    # in a child process: a deadlock there cannot hang this test run
    code = f"TINY = {str(TINY)!r}\n" + _DEADLOCK_SCENARIO
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "finished", out.stdout + out.stderr


def test_label_readers_wait_while_another_thread_holds_the_graph():
    for read in (lambda g: len(labelled_nodes(g, ("Note",))), lambda g: node_labels(g).count("Note")):
        g = _fresh()
        g.nodes  # noqa: B018  every label made: no reader waits for that
        inside, seen = threading.Event(), []
        reader = threading.Thread(target=lambda: (inside.wait(10), seen.append(read(g))))  # noqa: B023 (joined below)
        reader.start()
        with held(g):
            inside.set()
            reader.join(0.2)
            assert reader.is_alive()  # it waits, rather than walk a dict this thread is changing
            for i in range(200):
                g.add_node(f"Note:{i}", label="Note")
        reader.join(10)
        assert seen == [200]


def test_another_thread_reading_the_nodes_while_the_graph_is_held_waits_and_sees_whole_dicts():
    g = _fresh()
    want = dict(_eager(validate(TINY)).nodes(data=True))
    inside, seen = threading.Event(), []
    reader = threading.Thread(target=lambda: (inside.wait(10), seen.append(dict(g.nodes(data=True)))))
    reader.start()
    with held(g):
        assert [n for n, d in g.nodes(data=True) if d["label"] == "RiskScore"] == []  # a view made while held...
        inside.set()
        reader.join(0.3)
        assert reader.is_alive() and seen == []
    reader.join(10)
    assert seen == [want]  # ...is not the one another thread reads


def test_threads_reading_the_nodes_at_once_each_see_every_dict_made_once():
    g = _fresh()
    start = threading.Barrier(8)
    seen = []

    def read():
        start.wait()
        seen.append([id(d) for _, d in g.nodes(data=True)])

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(s == seen[0] for s in seen) and len(set(seen[0])) == g.number_of_nodes()


def test_a_graph_with_pending_nodes_pickles_and_copies_whole():
    want = list(_eager(validate(TINY)).nodes(data=True))
    g = _fresh()
    with held(g):
        copied = copy.deepcopy(g)
    assert list(copied.nodes(data=True)) == want
    assert list(pickle.loads(pickle.dumps(_fresh())).nodes(data=True)) == want
    assert list(_fresh().copy().nodes(data=True)) == want


def test_risk_scores_added_while_held_come_after_the_tables_edges_as_after_an_edge_by_edge_build():
    ds = validate(TINY)
    g, ref = build_graph(ds), _eager(ds)
    write_scores(g, default_year=2008)
    write_scores(ref, default_year=2008)
    assert edge_tables(g)
    assert _listed(g) == _listed(ref)
    assert graph_fingerprint(g) == graph_fingerprint(ref)


def test_another_thread_reading_while_the_graph_is_held_waits_and_then_sees_every_edge():
    g = _fresh()
    total = g.number_of_edges()
    inside, seen = threading.Event(), []
    reader = threading.Thread(target=lambda: (inside.wait(10), seen.append(len(g.edges))))
    reader.start()
    with held(g):
        g.add_node("Note:1", label="Note")
        inside.set()
        reader.join(0.3)
        assert reader.is_alive() and seen == []  # it waits for the block to end
        # this thread, meanwhile, reads the raw adjacency (through _succ: under Python 3.11 a networkx view
        # such as g.edges is a cached_property whose lock the waiting reader holds)
        assert sum(len(kd) for nbrs in g._succ.values() for kd in nbrs.values()) < total
    reader.join(10)
    assert seen == [total] and len(g.edges) == total and g.size() == total
    assert g.degree["Country:THA"] == sum(1 for e in g.edges if "Country:THA" in e[:2]) + sum(
        1 for u, v in g.edges() if u == v == "Country:THA"
    )


def test_counting_edges_leaves_no_stale_view_and_copies_are_held_by_no_one():
    g = _fresh()
    total = g.number_of_edges()
    assert g.size() == total and len(g.edges) == total
    g2 = _fresh()
    with held(g2):
        copied = copy.deepcopy(g2)
    assert copied.number_of_edges() == total and len(copied.edges) == total
    assert pickle.loads(pickle.dumps(_fresh())).size() == total


def test_an_activitys_targets_are_resolved_to_node_ids_only_when_its_edges_are_first_read():
    g, _ = load(TINY, risk_year=2008)
    targets = next(t for t in edge_tables(g) if t.rtype == "TARGETS")
    assert targets.source.pending, "loading and scoring resolved the TARGETS lists they never read"
    edges = [(u, v) for u, v, d in iter_edges(g) if d["type"] == "TARGETS"]
    assert not targets.source.pending and ("Activity:A1", "Country:THA") in edges
    assert pickle.loads(pickle.dumps(targets)).src == targets.src


def test_derived_columns_are_made_once_for_threads_reading_at_once():
    calls, start = [], threading.Barrier(8)

    def make():
        calls.append(1)
        time.sleep(0.05)  # a wide window for a second thread to start making them too
        return {" x": [1, 2, 3]}

    cols = DerivedColumns({"a": [4, 5, 6]}, (" x",), make)
    got = []

    def read():
        start.wait()
        got.append(cols[" x"])

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and all(x is got[0] for x in got) and got[0] == [1, 2, 3]
    assert dict(cols) == {" x": [1, 2, 3], "a": [4, 5, 6]} and len(cols) == 2
    assert pickle.loads(pickle.dumps(cols)) == {" x": [1, 2, 3], "a": [4, 5, 6]}
