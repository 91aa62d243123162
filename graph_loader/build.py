"""Build the outreach graph (a networkx MultiDiGraph) from a validated Dataset.

Node ids are "Label:key" (e.g. "Country:THA"); every node has `label`, every edge has `type`.
Blank values are left out of the attributes (missing is missing, never zero).
"""
from __future__ import annotations

import networkx as nx

from .schema import Schema
from .validate import Dataset, endpoint_columns


def node_id(label: str, key) -> str:
    return f"{label}:{key}"


def _add_nodes(g: nx.MultiDiGraph, ds: Dataset) -> dict[str, set]:
    keys: dict[str, set] = {}
    for spec in ds.schema.nodes.values():
        t = ds.tables.get(spec.file) if spec.file else None
        if t is None:
            continue
        cols = [c for c in spec.data_props if c in t.data]
        g.add_nodes_from((node_id(spec.label, row[spec.key]),
                          {"label": spec.label, **{c: row[c] for c in cols if row[c] is not None}})
                         for row in t.rows())
        keys[spec.label] = set(t.data[spec.key])
    return keys


def _add_edges(g: nx.MultiDiGraph, ds: Dataset, keys: dict[str, set]) -> None:
    for rel in ds.schema.rels.values():
        t = ds.tables.get(rel.file) if rel.file else None
        if t is None:
            continue
        (from_col, from_labels), *to_ends = endpoint_columns(rel)
        prop_cols = [c for c in rel.props if c in t.data]

        def resolve(labels, value):
            return next(node_id(lb, value) for lb in labels if value in keys.get(lb, ()))

        edges = []
        for i in range(len(t)):
            src = t.data[from_col][i]
            if src is None:
                continue
            attrs = {"type": rel.type, **{c: t.data[c][i] for c in prop_cols if t.data[c][i] is not None}}
            u = resolve(from_labels, src)
            for col, labels in to_ends:
                value = t.data[col][i]
                if value is None:
                    continue
                for v in (value.split(";") if rel.type == "TARGETS" else [value]):
                    edges.append((u, resolve(labels, v), attrs))
        g.add_edges_from(edges)


def _derive_country_facts(g: nx.MultiDiGraph) -> None:
    """Country.category / assessed_tier / assessed_on from the latest assessment; roles from the flags."""
    for n, d in g.nodes(data=True):
        if d["label"] != "Country":
            continue
        d["roles"] = ";".join(r for r in ("recipient", "concern", "partner") if d.get(r)) or "other"
        latest = max((g.nodes[a] for _, a, e in g.out_edges(n, data=True) if e["type"] == "ASSESSED"),
                     key=lambda a: a["assessed_on"], default=None)
        if latest:
            d["category"] = latest["category"]
            d["assessed_on"] = latest["assessed_on"]
            if "risk_assessed" in latest:
                d["assessed_tier"] = latest["risk_assessed"]


def build_graph(ds: Dataset) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(name="outreach")
    keys = _add_nodes(g, ds)
    _add_edges(g, ds, keys)
    _derive_country_facts(g)
    return g


def counts(g: nx.MultiDiGraph, schema: Schema) -> dict:
    """Counts per node label and relationship type, and recipients per maturity category."""
    nodes = {label: 0 for label in schema.nodes}
    for _, d in g.nodes(data=True):
        nodes[d["label"]] = nodes.get(d["label"], 0) + 1
    rels = {rtype: 0 for rtype in schema.rels}
    for _, _, d in g.edges(data=True):
        rels[d["type"]] = rels.get(d["type"], 0) + 1
    cats = {str(c): 0 for c in range(1, 5)}
    roles = {"recipient": 0, "concern": 0, "partner": 0}
    for _, d in g.nodes(data=True):
        if d["label"] == "Country":
            if d.get("category") is not None:
                cats[str(d["category"])] += 1
            for r in roles:
                roles[r] += bool(d.get(r))
    return {"nodes": nodes, "relationships": rels, "categories": cats, "roles": roles}
