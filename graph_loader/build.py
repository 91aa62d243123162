"""Build the outreach graph (a plain networkx MultiDiGraph) and its bulk tables from a validated Dataset.

Node ids are "Label:key" (e.g. "Country:THA"); every node has `label`, every edge has `type`.
Blank values are left out of the attributes (missing is missing, never zero).

Nodes are added label by label and relationships type by type, in schema order, each file's rows in order,
through networkx's add_nodes_from / add_edges_from; the bulk dyadic types (graph.BULK_TYPES) are kept as
tables over the validated columns instead, in g.graph["tables"] (see graph.py).
"""

from __future__ import annotations

import networkx as nx

from .graph import BULK_TYPES, TABLES, EdgeTable, tables, with_values
from .schema import Schema
from .validate import Dataset, endpoint_columns


def node_id(label: str, key) -> str:
    return f"{label}:{key}"


def _add_nodes(g: nx.MultiDiGraph, ds: Dataset) -> dict[str, set]:
    """Every node, with its non-blank properties in column order; returns each label's keys."""
    keys: dict[str, set] = {}
    for spec in ds.schema.nodes.values():
        t = ds.tables.get(spec.file) if spec.file else None
        if t is None:
            continue
        label, data = spec.label, t.data
        names = ["label", *(c for c in spec.data_props if c in data)]
        columns = [[label] * len(data[spec.key]), *(data[c] for c in names[1:])]
        g.add_nodes_from(
            (f"{label}:{key}", {n: x for n, x in zip(names, vals) if x is not None})  # node_id inlined (50,000 calls)
            for key, vals in zip(data[spec.key], zip(*columns))
        )
        keys[label] = set(data[spec.key])
    return keys


def _id_map(labels: tuple[str, ...], values, keys: dict[str, set], split: bool) -> dict:
    """Each distinct value -> the node ids it names: the first label whose keys hold it (validation has
    made sure one does), one id per listed country when `split`. Columns repeat few values (TARGETS lists
    combine ~200 countries), so each value and each country is resolved once, not per row."""

    def resolve(value):
        return next(node_id(lb, value) for lb in labels if value in keys.get(lb, ()))

    distinct = set(values) - {None}
    if len(labels) == 1 and not split:  # one label: the id is the key's, as it stands
        return {value: (node_id(labels[0], value),) for value in distinct}
    if not split:
        return {value: (resolve(value),) for value in distinct}
    one = {x: resolve(x) for x in {x for value in distinct for x in value.split(";")}}
    return {value: tuple(map(one.__getitem__, value.split(";"))) for value in distinct}


def _rel_edges(rel, data, keys: dict[str, set], prop_cols: list[str]):
    """(u, v, attrs) of a relationship's rows, row by row: one edge per row with both ends — per listed country
    for TARGETS; with several target columns, one per non-blank target, in column order."""
    (from_col, from_labels), *to_ends = endpoint_columns(rel)
    split = rel.type == "TARGETS"
    froms = _id_map(from_labels, data[from_col], keys, False)
    tos = [(data[col], _id_map(labels, data[col], keys, split)) for col, labels in to_ends]
    values = zip(*(data[c] for c in prop_cols)) if prop_cols else iter(tuple, None)
    for i, (a, vals) in enumerate(zip(data[from_col], values)):
        if a is None:
            continue
        (u,) = froms[a]
        for column, ids in tos:
            if column[i] is not None:
                for v in ids[column[i]]:
                    yield u, v, with_values({"type": rel.type}, prop_cols, vals)


def _bulk_table(rel, data, prop_cols: list[str]) -> EdgeTable:
    """A bulk type's table: one Country at each end (graph.BULK_TYPES are all Country–Country)."""
    ((from_col, (from_label,)), (to_col, (to_label,))) = endpoint_columns(rel)
    return EdgeTable(rel.type, data, from_col, f"{from_label}:", to_col, f"{to_label}:", tuple(prop_cols))


def _derive_country_facts(g: nx.MultiDiGraph) -> None:
    """Country.category / assessed_tier / assessed_on from the latest assessment; roles from the flags."""
    nodes = g.nodes
    for n, d in g.nodes(data=True):
        if d["label"] != "Country":
            continue
        d["roles"] = ";".join(r for r in ("recipient", "concern", "partner") if d.get(r)) or "other"
        found = [nodes[a] for _, a, e in g.out_edges(n, data=True) if e["type"] == "ASSESSED"]
        latest = max(found, key=lambda a: a["assessed_on"], default=None)
        if latest:
            d["category"] = latest["category"]
            d["assessed_on"] = latest["assessed_on"]
            if "risk_assessed" in latest:
                d["assessed_tier"] = latest["risk_assessed"]


def build_graph(ds: Dataset) -> nx.MultiDiGraph:
    """The outreach graph, its bulk types as tables in g.graph["tables"] (relationship type -> EdgeTable)."""
    g = nx.MultiDiGraph(name="outreach")
    keys = _add_nodes(g, ds)
    bulk = g.graph[TABLES] = {}
    for rel in ds.schema.rels.values():
        t = ds.tables.get(rel.file) if rel.file else None
        if t is None:
            continue
        prop_cols = [c for c in rel.props if c in t.data]
        if rel.type in BULK_TYPES:
            bulk[rel.type] = _bulk_table(rel, t.data, prop_cols)
        else:
            g.add_edges_from(_rel_edges(rel, t.data, keys, prop_cols))
    _derive_country_facts(g)
    return g


def counts(g: nx.MultiDiGraph, schema: Schema) -> dict:
    """Counts per node label and relationship type (tables included), and recipients per maturity category."""
    nodes = {label: 0 for label in schema.nodes}
    for _, label in g.nodes(data="label"):
        nodes[label] = nodes.get(label, 0) + 1
    rels = {rtype: 0 for rtype in schema.rels}
    for _, _, rtype in g.edges(data="type"):
        rels[rtype] = rels.get(rtype, 0) + 1
    for rtype, table in tables(g).items():
        rels[rtype] = rels.get(rtype, 0) + len(table)
    cats = {str(c): 0 for c in range(1, 5)}
    roles = {"recipient": 0, "concern": 0, "partner": 0}
    for _, d in g.nodes(data=True):
        if d["label"] != "Country":
            continue
        if d.get("category") is not None:
            cats[str(d["category"])] += 1
        for r in roles:
            roles[r] += bool(d.get(r))
    return {"nodes": nodes, "relationships": rels, "categories": cats, "roles": roles}
