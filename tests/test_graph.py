"""The outreach graph is a plain networkx MultiDiGraph built eagerly; the bulk dyadic relationships are column
tables beside it (g.graph["tables"]); together they hold exactly what an edge-by-edge build of every
relationship holds (graph_loader/graph.py)."""

from __future__ import annotations

import pickle
import re
import threading
from collections import Counter
from pathlib import Path

import networkx as nx

from conftest import TINY
from graph_loader.build import _derive_country_facts, build_graph, counts
from graph_loader.graph import (
    BULK_TYPES,
    as_built,
    edge_values,
    iter_edges,
    keyed_edges,
    number_of_relationships,
    tables,
    with_tables,
)
from graph_loader.pipeline import load
from graph_loader.risk import write_scores
from graph_loader.validate import endpoint_columns, validate
from graph_loader.whatif import graph_checksum, graph_fingerprint

ROOT = Path(__file__).resolve().parents[1]


def _fresh():
    return build_graph(validate(TINY))


def _multiset(edges) -> Counter:
    return Counter((u, v, tuple(sorted(d.items()))) for u, v, d in edges)


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


def _nodes(g) -> list:
    return [(n, list(d.items())) for n, d in g.nodes(data=True)]  # attribute order too


def test_the_graph_is_a_plain_multidigraph_and_the_bulk_types_are_its_tables():
    g = _fresh()
    assert type(g) is nx.MultiDiGraph
    assert list(tables(g)) == [t for t in validate(TINY).schema.rels if t in BULK_TYPES]
    in_graph = {d["type"] for _, _, d in g.edges(data=True)}
    assert not in_graph & set(BULK_TYPES) and {"CONDUCTS", "TARGETS", "CONTIGUOUS", "RIVALRY"} <= in_graph
    assert all(len(t) > 0 for t in tables(g).values())


def test_the_nodes_have_the_order_and_attributes_of_an_edge_by_edge_build():
    ds = validate(TINY)
    assert _nodes(build_graph(ds)) == _nodes(_eager(ds))


def test_graph_and_tables_together_are_exactly_an_edge_by_edge_build_order_and_keys_included():
    ds = validate(TINY)
    g, ref = build_graph(ds), _eager(ds)
    full = as_built(g)
    assert type(full) is nx.MultiDiGraph and "tables" not in full.graph and full.graph["name"] == "outreach"
    assert _nodes(full) == _nodes(ref) and _listed(full) == _listed(ref)
    assert _multiset(iter_edges(g)) == _multiset(ref.edges(data=True))
    assert number_of_relationships(g) == ref.number_of_edges()
    outreach = [(u, v, d) for u, v, d in ref.edges(data=True) if d["type"] not in BULK_TYPES]
    assert _multiset(g.edges(data=True)) == _multiset(outreach)


def test_keyed_edges_reads_only_the_tables_asked_for_and_is_the_graphs_own_edges_without_them():
    g = _fresh()
    assert list(keyed_edges(g, ())) == _listed(g)
    distance = list(keyed_edges(g, {"DISTANCE"}))
    assert {d["type"] for *_, d in distance} == {d["type"] for *_, d in _listed(g)} | {"DISTANCE"}
    assert sum(d["type"] == "DISTANCE" for *_, d in distance) == len(tables(g)["DISTANCE"])
    keys = Counter((u, v, k) for u, v, k, _ in keyed_edges(g))
    assert max(keys.values()) == 1  # every edge its own key


def test_the_graph_with_its_tables_as_edges_less_those_edges_is_the_graph_itself():
    """So a view that leaves the bulk types out equals one that copies them and removes them, keys and order
    included (network_view.filter_graph relies on it)."""
    g, _ = load(TINY, risk_year=2008)
    full = with_tables(g)
    assert "tables" not in full.graph and _multiset(full.edges(data=True)) == _multiset(iter_edges(g))
    full.remove_edges_from([(u, v, k) for u, v, k, d in full.edges(keys=True, data=True) if d["type"] in BULK_TYPES])
    assert _nodes(full) == _nodes(g) and _listed(full) == _listed(g)


def test_trade_rows_carry_their_values():
    full = with_tables(_fresh())
    trade = [d for u, v, d in full.edges("Country:THA", data=True) if d["type"] == "TRADES_WITH" and v == "Country:CHN"]
    assert sorted((d["year"], d["dataset"], d["value_usd_mn"]) for d in trade)[:2] == [
        (2008, "COW", 999.0),
        (2008, "IMF_DOTS", 100.0),
    ]


def test_edge_values_reads_a_property_of_one_relationship_type_from_a_table_or_the_graph():
    g, ref = _fresh(), _eager(validate(TINY))
    for rtype, name in (("TRADES_WITH", "year"), ("CONTIGUOUS", "kind"), ("TARGETS", "nope")):
        want = [d[name] for _, _, d in ref.edges(data=True) if d["type"] == rtype and name in d]
        assert sorted(edge_values(g, rtype, name)) == sorted(want)
    assert edge_values(g, "TRADES_WITH", "year") and set(edge_values(g, "TRADES_WITH", "year")) <= set(
        range(1980, 2101)
    )


def test_risk_scores_are_ordinary_nodes_and_edges_and_the_whole_is_an_edge_by_edge_build_scored():
    ds = validate(TINY)
    g, ref = build_graph(ds), _eager(ds)
    write_scores(g, default_year=2008)
    write_scores(ref, default_year=2008)
    full = as_built(g)
    assert _nodes(full) == _nodes(ref) and _listed(full) == _listed(ref)
    assert graph_fingerprint(full) == graph_fingerprint(ref) and graph_checksum(full) == graph_checksum(ref)
    scored = [n for n, d in g.nodes(data=True) if d["label"] == "RiskScore"]
    assert scored and sum(d["type"] == "SCORED" for *_, d in g.edges(data=True)) == len(scored)


def test_re_scoring_replaces_the_risk_scores_and_leaves_everything_else_as_it_was():
    g, _ = load(TINY, risk_year=2008)
    before = (_nodes(g), _listed(g), number_of_relationships(g), graph_checksum(g))
    write_scores(g, default_year=2008)
    assert (_nodes(g), _listed(g), number_of_relationships(g), graph_checksum(g)) == before


def test_counts_include_the_tables_rows():
    ds = validate(TINY)
    c = counts(build_graph(ds), ds.schema)
    ref = Counter(d["type"] for *_, d in _eager(ds).edges(data=True))
    assert {k: v for k, v in c["relationships"].items() if v} == dict(ref)


def test_a_copy_and_a_pickle_keep_the_tables_and_every_edge():
    g, _ = load(TINY, risk_year=2008)
    want = _multiset(iter_edges(g))
    for other in (g.copy(), pickle.loads(pickle.dumps(g))):
        assert type(other) is nx.MultiDiGraph and _multiset(iter_edges(other)) == want
        assert graph_checksum(other) == graph_checksum(g)
    sub = with_tables(g).subgraph(["Country:THA", "Country:CHN"])
    assert any(d["type"] == "TRADES_WITH" for _, _, d in sub.edges(data=True))
    assert nx.has_path(with_tables(g), "Country:THA", "Country:CHN")  # a networkx algorithm over every edge


def test_threads_reading_at_once_each_see_every_relationship():
    g, _ = load(TINY, risk_year=2008)
    want = _multiset(iter_edges(g))
    start = threading.Barrier(8)
    seen, errors = [], []

    def read():
        try:
            start.wait()
            seen.append(_multiset(iter_edges(g)))
            seen.append(_multiset((u, v, d) for u, v, _, d in keyed_edges(g)))
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(seen) == 16 and all(s == want for s in seen)


def test_no_module_reads_networkx_private_attributes_or_switches_the_garbage_collector():
    """Public networkx API only (its private dicts may change in any release); the collector is the process's."""
    private = re.compile(r"\._(succ|pred|adj|node)\b")
    for path in sorted((ROOT / "graph_loader").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not private.search(text), f"{path.name} reads a private networkx attribute"
        assert "gc.disable" not in text and "gc.freeze" not in text, f"{path.name} switches the collector"
    assert not (ROOT / "graph_loader" / "gcpause.py").exists()
