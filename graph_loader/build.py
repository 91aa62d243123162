"""Build the outreach graph (a networkx MultiDiGraph) from a validated Dataset.

Node ids are "Label:key" (e.g. "Country:THA"); every node has `label`, every edge has `type`.
Blank values are left out of the attributes (missing is missing, never zero).

Every relationship type is kept as an EdgeTable — over the validated columns when both ends name one
label, else over node ids resolved when the table is first read (several labels, TARGETS' lists) — and
becomes edges, in schema order, when the adjacency is first read; every node is placed at once, its
attribute dict made from its label's NodeTable when the node dict is first read (graph.py).
"""

from __future__ import annotations

from functools import partial

import networkx as nx

from .gcpause import gc_paused
from .graph import (
    DerivedColumns,
    EdgeTable,
    NodeTable,
    OutreachGraph,
    adjacency_groups,
    held,
    iter_edges,
    labelled_nodes,
    node_labels,
    snapshot,
)
from .schema import Schema
from .validate import Dataset, endpoint_columns


def node_id(label: str, key) -> str:
    return f"{label}:{key}"


def _add_nodes(g: OutreachGraph, ds: Dataset) -> dict[str, set]:
    """Every node, each label's attribute dicts (its non-blank properties) pending as a NodeTable until the
    node dict is first read; returns each label's keys."""
    keys: dict[str, set] = {}
    for spec in ds.schema.nodes.values():
        t = ds.tables.get(spec.file) if spec.file else None
        if t is None:
            continue
        label = spec.label
        g.defer_nodes(
            NodeTable(
                label,
                [f"{label}:{key}" for key in t.data[spec.key]],
                t.data,  # node_id inlined (50,000 calls)
                tuple(c for c in spec.data_props if c in t.data),
            )
        )
        keys[label] = set(t.data[spec.key])
    return keys


def _id_map(labels: tuple[str, ...], values, keys: dict[str, set], split: bool) -> dict:
    """Each distinct value -> the node ids it names: the first label whose keys hold it (validation has
    made sure one does), one id per listed country when `split`. Columns repeat few values (TARGETS lists
    combine ~200 countries), so each value and each country is resolved once, not per row."""

    def resolve(value):
        return next(node_id(lb, value) for lb in labels if value in keys.get(lb, ()))

    distinct = set(values) - {None}
    if not split:
        return {value: (resolve(value),) for value in distinct}
    one = {x: resolve(x) for x in {x for value in distinct for x in value.split(";")}}
    return {value: tuple(map(one.__getitem__, value.split(";"))) for value in distinct}


def _single_label(to_ends) -> bool:
    """One target column, one label at each end: the table holds the key columns as they stand."""
    return len(to_ends) == 1 and len(to_ends[0][1]) == 1


def _edge_table(rel, t, keys: dict[str, set], prop_cols: list[str]) -> EdgeTable:
    """The relationship's edges as a table: one per row with both ends — one per listed country for
    TARGETS; with several target columns, one per non-blank target, row by row."""
    (from_col, from_labels), *to_ends = endpoint_columns(rel)
    split = rel.type == "TARGETS"
    if len(from_labels) == 1 and _single_label(to_ends) and not split:
        ((to_col, (to_label,)),) = to_ends
        return EdgeTable(
            rel.type,
            t.data,
            from_col,
            from_labels[0] + ":",
            to_col,
            to_label + ":",
            tuple(prop_cols),
            end_labels=frozenset((from_labels[0], to_label)),
        )
    # the ends resolved to node ids when first read (TARGETS' 50,000 lists are read only by its edges' readers)
    ends = partial(_resolved_ends, t.data, from_col, from_labels, to_ends, keys, split)
    return EdgeTable(
        rel.type,
        DerivedColumns(t.data, (" from", " to", " row"), ends),
        " from",
        "",
        " to",
        "",
        tuple(prop_cols),
        " row",
        frozenset(from_labels).union(*(labels for _, labels in to_ends)),
    )


def _resolved_ends(
    data, from_col: str, from_labels: tuple[str, ...], to_ends: list, keys: dict[str, set], split: bool
) -> dict[str, list]:
    """Per edge: its from and to node ids (a column may name one of several labels) and its file row."""
    from_col_values = data[from_col]
    from_ids = _id_map(from_labels, from_col_values, keys, False) if len(from_labels) > 1 else None
    src, dst, rows = [], [], []
    for col, labels in to_ends:
        ids = _id_map(labels, data[col], keys, split)
        for i, (a, value) in enumerate(zip(from_col_values, data[col])):
            if a is not None and value is not None:
                u = from_ids[a][0] if from_ids else node_id(from_labels[0], a)
                for v in ids[value]:
                    src.append(u)
                    dst.append(v)
                    rows.append(i)
    if len(to_ends) > 1:  # several target columns: the edges row by row, in column order within a row
        order = sorted(range(len(rows)), key=rows.__getitem__)
        src, dst, rows = [src[k] for k in order], [dst[k] for k in order], [rows[k] for k in order]
    return {" from": src, " to": dst, " row": rows}


def _add_edges(g: OutreachGraph, ds: Dataset, keys: dict[str, set]) -> list[tuple]:
    """Defer every relationship as a table, in schema order; return the ASSESSED edges (country id,
    assessment id) in order."""
    assessed: list[tuple] = []
    for rel in ds.schema.rels.values():
        t = ds.tables.get(rel.file) if rel.file else None
        if t is None:
            continue
        table = _edge_table(rel, t, keys, [c for c in rel.props if c in t.data])
        g.defer(table)
        if rel.type == "ASSESSED":
            assessed = [(u, v) for u, v, _ in table.edges()]
    return assessed


def _derive_country_facts(g: nx.MultiDiGraph, assessed: list[tuple] | None = None) -> None:
    """Country.category / assessed_tier / assessed_on from the latest assessment; roles from the flags.

    `assessed`: the ASSESSED edges (country, assessment) in the order they were added — the order in which
    g.out_edges lists them — so a country's thousands of other edges need not be scanned."""
    if assessed is None:
        assessed = [(u, v) for u, v, e in iter_edges(g) if e["type"] == "ASSESSED"]
    by_country: dict[str, list] = {}
    for u, v in assessed:
        by_country.setdefault(u, []).append(v)
    found = dict(labelled_nodes(g, ("Country", "Assessment")))  # (the other labels' dicts stay pending)
    for n, d in found.items():
        if d["label"] != "Country":
            continue
        d["roles"] = ";".join(r for r in ("recipient", "concern", "partner") if d.get(r)) or "other"
        latest = max((found[a] for a in by_country.get(n, ())), key=lambda a: a["assessed_on"], default=None)
        if latest:
            d["category"] = latest["category"]
            d["assessed_on"] = latest["assessed_on"]
            if "risk_assessed" in latest:
                d["assessed_tier"] = latest["risk_assessed"]


@gc_paused()
def build_graph(ds: Dataset) -> OutreachGraph:
    g = OutreachGraph(name="outreach")
    with held(g):  # nodes are written into the adjacency dicts directly; the tables stay pending
        keys = _add_nodes(g, ds)
        assessed = _add_edges(g, ds, keys)
        _derive_country_facts(g, assessed)
    return g


def counts(g: nx.MultiDiGraph, schema: Schema) -> dict:
    """Counts per node label and relationship type, and recipients per maturity category."""
    nodes = {label: 0 for label in schema.nodes}
    for label in node_labels(g):
        nodes[label] = nodes.get(label, 0) + 1
    rels = {rtype: 0 for rtype in schema.rels}
    succ, tables = snapshot(g)
    for _, _, group in adjacency_groups(g, succ):
        for d in group:
            rels[d["type"]] = rels.get(d["type"], 0) + 1
    for table in tables:
        rels[table.rtype] = rels.get(table.rtype, 0) + len(table)
    cats = {str(c): 0 for c in range(1, 5)}
    roles = {"recipient": 0, "concern": 0, "partner": 0}
    for _, d in labelled_nodes(g, ("Country",)):
        if d.get("category") is not None:
            cats[str(d["category"])] += 1
        for r in roles:
            roles[r] += bool(d.get(r))
    return {"nodes": nodes, "relationships": rels, "categories": cats, "roles": roles}
