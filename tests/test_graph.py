"""The outreach graph keeps bulk relationships as column tables until its adjacency is read, and then
behaves exactly as a graph built edge by edge (graph_loader/graph.py)."""
from __future__ import annotations

import threading
from collections import Counter

import networkx as nx

from conftest import TINY
from graph_loader.build import build_graph
from graph_loader.graph import OutreachGraph, edge_tables, edge_values, held, iter_edges
from graph_loader.pipeline import load
from graph_loader.validate import validate


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
    for u, nbrs in g.adj.items():
        for v, keydict in nbrs.items():
            assert sorted(keydict) == list(range(len(keydict)))


def test_trade_edges_carry_their_values_once_built():
    g = _fresh()
    trade = [d for u, v, d in g.edges("Country:THA", data=True) if d["type"] == "TRADES_WITH" and v == "Country:CHN"]
    assert sorted((d["year"], d["dataset"], d["value_usd_mn"]) for d in trade)[:2] == [(2008, "COW", 999.0),
                                                                                         (2008, "IMF_DOTS", 100.0)]


def test_loading_and_risk_scoring_leave_the_tables_pending():
    g, _ = load(TINY, risk_year=2008)
    assert edge_tables(g), "scoring built the bulk edges it only reads"
    scored = [n for n, d in g.nodes(data=True) if d["label"] == "RiskScore"]
    assert scored and g.nodes["Country:THA"]["risk_year"] == 2008
    n = g.number_of_edges()
    assert g.number_of_edges() == sum(1 for _ in g.edges)
    assert sum(1 for _, _, d in g.edges(data=True) if d["type"] == "SCORED") == len(scored) == n - sum(
        1 for _, _, d in g.edges(data=True) if d["type"] != "SCORED")


def test_a_copy_a_subgraph_and_an_algorithm_see_every_edge():
    g = _fresh()
    total = g.number_of_edges()
    assert g.copy().number_of_edges() == total
    g2 = _fresh()
    sub = g2.subgraph(["Country:THA", "Country:CHN"])
    assert any(d["type"] == "TRADES_WITH" for _, _, d in sub.edges(data=True))
    g3 = _fresh()
    assert nx.has_path(g3, "Country:THA", "Country:CHN")
    assert not isinstance(nx.MultiDiGraph(_fresh()), OutreachGraph) and nx.MultiDiGraph(_fresh()).number_of_edges() == total


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
