"""Build the outreach graph (a networkx MultiDiGraph) from a validated Dataset.

Node ids are "Label:key" (e.g. "Country:THA"); every node has `label`, every edge has `type`.
Blank values are left out of the attributes (missing is missing, never zero).

A relationship type read straight from two key columns, each naming one label, is kept as an
EdgeTable over the validated columns and becomes edges when the adjacency is first read (graph.py);
the others (several labels, or TARGETS' lists) are added as edges now. Pending tables follow the
eager edges, in schema order.
"""
from __future__ import annotations

import networkx as nx

from .gcpause import gc_paused
from .graph import EdgeTable, OutreachGraph, adjacency_groups, edge_tables, held, iter_edges
from .schema import Schema
from .validate import Dataset, endpoint_columns


def node_id(label: str, key) -> str:
    return f"{label}:{key}"


def _add_nodes(g: nx.MultiDiGraph, ds: Dataset) -> dict[str, set]:
    """Every node with its non-blank properties — g.add_nodes_from's result, written straight into the node
    and adjacency dicts (a world-scale load has 58,000 nodes)."""
    keys: dict[str, set] = {}
    nodes, succ, pred = g._node, g._succ, g._pred
    for spec in ds.schema.nodes.values():
        t = ds.tables.get(spec.file) if spec.file else None
        if t is None:
            continue
        label = spec.label
        cols = [c for c in spec.data_props if c in t.data]
        for key, vals in zip(t.data[spec.key], zip(*(t.data[c] for c in cols))):
            attrs = {"label": label}
            attrs.update(zip(cols, vals))
            if None in vals:  # blank values are left out (missing is missing)
                for c, x in zip(cols, vals):
                    if x is None:
                        del attrs[c]
            nid = f"{label}:{key}"
            if nid in nodes:
                nodes[nid].update(attrs)
            else:
                nodes[nid] = attrs
                succ[nid] = {}
                pred[nid] = {}
        keys[label] = set(t.data[spec.key])
    nx._clear_cache(g)
    return keys


def _resolver(labels: tuple[str, ...], keys: dict[str, set]):
    """value -> node id of the first label whose keys hold it (memoised: columns repeat few values)."""
    memo: dict = {}
    get = memo.get

    def resolve(value):
        nid = get(value)
        if nid is None:
            nid = memo[value] = next(node_id(lb, value) for lb in labels if value in keys.get(lb, ()))
        return nid
    return resolve


def _insert_edges(g: nx.MultiDiGraph, edges: list[tuple]) -> None:
    """g.add_edges_from(edges) for (u, v, attrs) triples whose ends are nodes of g and whose attrs dicts are
    fresh (not shared): the same adjacency, keys (0, 1, ... per node pair in order) and attribute dicts,
    written straight into networkx's adjacency dicts (about 5x faster for a million edges)."""
    if not isinstance(g, nx.MultiDiGraph) or g.edge_attr_dict_factory is not dict or g.edge_key_dict_factory is not dict:
        g.add_edges_from(edges)
        return
    succ, pred = g._succ, g._pred
    for u, v, attrs in edges:
        nbrs = succ[u]
        keydict = nbrs.get(v)
        if keydict is None:
            nbrs[v] = pred[v][u] = {0: attrs}
        else:
            k = len(keydict)
            while k in keydict:
                k += 1
            keydict[k] = attrs
    nx._clear_cache(g)


def _deferrable(rel, to_ends) -> bool:
    """One target column and one label at each end: the edges are the columns (TARGETS: the lists) as they stand."""
    return len(to_ends) == 1 and len(rel.from_labels) == 1 and len(to_ends[0][1]) == 1


def _edge_table(rel, t, from_col: str, from_label: str, to_col: str, to_label: str, prop_cols: list[str]) -> EdgeTable:
    props = {c: t.data[c] for c in prop_cols}
    if rel.type != "TARGETS":
        return EdgeTable(rel.type, t.data[from_col], from_label + ":", t.data[to_col], to_label + ":", props)
    src, dst, rows = [], [], []  # one edge per listed country
    for i, (a, value) in enumerate(zip(t.data[from_col], t.data[to_col])):
        if a is not None and value is not None:
            for v in value.split(";"):
                src.append(a)
                dst.append(v)
                rows.append(i)
    return EdgeTable(rel.type, src, from_label + ":", dst, to_label + ":", props, rows)


def _add_edges(g: OutreachGraph, ds: Dataset, keys: dict[str, set]) -> list[tuple]:
    """Add every relationship (or defer it as a table); return the ASSESSED edges (country id, assessment
    id) in the order added."""
    assessed: list[tuple] = []
    for rel in ds.schema.rels.values():
        t = ds.tables.get(rel.file) if rel.file else None
        if t is None:
            continue
        (from_col, from_labels), *to_ends = endpoint_columns(rel)
        prop_cols = [c for c in rel.props if c in t.data]
        if _deferrable(rel, to_ends):
            (to_col, to_labels), = to_ends
            table = _edge_table(rel, t, from_col, from_labels[0], to_col, to_labels[0], prop_cols)
            g.defer(table)
            if rel.type == "ASSESSED":
                assessed = [(u, v) for u, v, _ in table.edges()]
            continue
        resolve_from = _resolver(from_labels, keys)
        resolvers = [_resolver(labels, keys) for _, labels in to_ends]
        n_to, split, rtype = len(to_ends), rel.type == "TARGETS", rel.type
        props = zip(*(t.data[c] for c in prop_cols)) if prop_cols else iter(lambda: (), None)
        edges: list[tuple] = []
        add = edges.append
        if n_to == 1 and not split:  # the common shape (and the million-row files): one target column
            (to_col, _), = to_ends
            resolve_to = resolvers[0]
            for src, dst, vals in zip(t.data[from_col], t.data[to_col], props):
                if src is None:
                    continue
                attrs = {"type": rtype}
                attrs.update(zip(prop_cols, vals))
                if None in vals:  # blank values are left out (missing is missing)
                    for c, x in zip(prop_cols, vals):
                        if x is None:
                            del attrs[c]
                u = resolve_from(src)
                if dst is not None:
                    add((u, resolve_to(dst), attrs))
        else:
            for src, tos, vals in zip(t.data[from_col], zip(*(t.data[col] for col, _ in to_ends)), props):
                if src is None:
                    continue
                attrs = {"type": rtype}
                attrs.update(zip(prop_cols, vals))
                if None in vals:
                    for c, x in zip(prop_cols, vals):
                        if x is None:
                            del attrs[c]
                u = resolve_from(src)
                first = True
                for value, resolve in zip(tos, resolvers):
                    if value is None:
                        continue
                    for v in (value.split(";") if split else (value,)):
                        add((u, resolve(v), attrs if first else dict(attrs)))  # one attribute dict per edge
                        first = False
        _insert_edges(g, edges)
        if rtype == "ASSESSED":
            assessed = [(u, v) for u, v, _ in edges]
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
    for n, d in g.nodes(data=True):
        if d["label"] != "Country":
            continue
        d["roles"] = ";".join(r for r in ("recipient", "concern", "partner") if d.get(r)) or "other"
        latest = max((g.nodes[a] for a in by_country.get(n, ())), key=lambda a: a["assessed_on"], default=None)
        if latest:
            d["category"] = latest["category"]
            d["assessed_on"] = latest["assessed_on"]
            if "risk_assessed" in latest:
                d["assessed_tier"] = latest["risk_assessed"]


@gc_paused()
def build_graph(ds: Dataset) -> OutreachGraph:
    g = OutreachGraph(name="outreach")
    with held(g):  # the eager edges go in beside the pending tables, not after building them
        keys = _add_nodes(g, ds)
        assessed = _add_edges(g, ds, keys)
        _derive_country_facts(g, assessed)
    return g


def counts(g: nx.MultiDiGraph, schema: Schema) -> dict:
    """Counts per node label and relationship type, and recipients per maturity category."""
    nodes = {label: 0 for label in schema.nodes}
    for _, d in g.nodes(data=True):
        nodes[d["label"]] = nodes.get(d["label"], 0) + 1
    rels = {rtype: 0 for rtype in schema.rels}
    for _, _, group in adjacency_groups(g):
        for d in group:
            rels[d["type"]] = rels.get(d["type"], 0) + 1
    for table in edge_tables(g):
        rels[table.rtype] = rels.get(table.rtype, 0) + len(table)
    cats = {str(c): 0 for c in range(1, 5)}
    roles = {"recipient": 0, "concern": 0, "partner": 0}
    for _, d in g.nodes(data=True):
        if d["label"] == "Country":
            if d.get("category") is not None:
                cats[str(d["category"])] += 1
            for r in roles:
                roles[r] += bool(d.get(r))
    return {"nodes": nodes, "relationships": rels, "categories": cats, "roles": roles}
