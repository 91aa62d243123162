"""The outreach data, each kind in its natural form, in one object.

The outreach entities and their relationships (countries, categories, tools, programmes, activities, meetings,
requests, contacts, assessments, risk scores, and the few Country–Country facts an analyst reads one by one:
contiguity, language, colonial and historical ties, rivalries) are a plain networkx MultiDiGraph, built
eagerly through its public API.

The bulk dyadic data — BULK_TYPES, records per country pair and year (trade, shared IGOs, alliances) or per
pair (capital distances): ~1.1 of a world-scale load's 1.33 million relationships — stay the validated files'
columns, one EdgeTable per type in `g.graph["tables"]`, which risk scoring, the stores, the exporters and the
network view read directly. As networkx edges they would double a world-scale load's CPU time again and take
it past 1 GB (benchmarks/README.md, "Plain graph"). A reader that wants them as edges
asks `keyed_edges(g, types)` or `with_tables(g, types)` for the ones it needs; the exporters write
`as_built(g)`, every relationship in the order of an edge-by-edge build.

Every function here reads; none changes g.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

import networkx as nx

from .schema import load_schema

BULK_TYPES = ("TRADES_WITH", "DISTANCE", "ALLIED_WITH", "SHARES_IGO")
TABLES = "tables"  # the g.graph key holding {relationship type: EdgeTable}


@dataclass(frozen=True)
class EdgeTable:
    """One relationship type as columns of `source` (a validated file's columns by name, None = blank): the
    from and to keys, the node-id prefixes ("Country:") that turn keys into node ids, and the property
    columns, blank values left out of an edge's attributes."""

    rtype: str
    source: Mapping[str, list]
    src_col: str
    src_prefix: str
    dst_col: str
    dst_prefix: str
    prop_cols: tuple[str, ...] = ()

    @property
    def src(self) -> list:
        return self.source[self.src_col]

    @property
    def dst(self) -> list:
        return self.source[self.dst_col]

    def coded(self, name: str):
        """The typed column (columnar.Column) behind column `name` while the file's columns are still coded —
        for bulk readers that work on codes; else None (read the lists)."""
        get = getattr(self.source, "coded", None)
        return get(name) if get is not None else None

    def columns(self, name: str) -> list:
        """A property's value per row (None = blank)."""
        return self.source[name]

    def __len__(self) -> int:
        """The number of edges: rows with both ends (validation makes both required, so every row)."""
        ends = [self.coded(self.src_col), self.coded(self.dst_col)]
        if all(c is not None and c.blank() is None for c in ends):
            return len(ends[0])  # counted without making the lists
        return sum(1 for s, d in zip(self.src, self.dst) if s is not None and d is not None)

    def edges(self) -> Iterator[tuple[str, str, dict]]:
        """(u, v, attrs) per row, in row order; each attrs a fresh dict {"type": rtype, **non-blank properties}."""
        rtype, sp, dp, names = self.rtype, self.src_prefix, self.dst_prefix, list(self.prop_cols)
        values = zip(*map(self.columns, names)) if names else iter(tuple, None)
        us: dict = {}  # node ids made once per key (a trade partner has thousands of rows)
        vs: dict = {}
        for s, d, vals in zip(self.src, self.dst, values):
            if s is None or d is None:
                continue
            u = us.get(s)
            if u is None:
                u = us[s] = f"{sp}{s}"
            v = vs.get(d)
            if v is None:
                v = vs[d] = f"{dp}{d}"
            yield u, v, with_values({"type": rtype}, names, vals)


def with_values(attrs: dict, names: list, vals: tuple) -> dict:
    """attrs with each name's value added, blank (None) values left out (missing is missing, never zero)."""
    attrs.update(zip(names, vals))
    if None in vals:
        for c, x in zip(names, vals):
            if x is None:
                del attrs[c]
    return attrs


def tables(g: nx.MultiDiGraph) -> dict[str, EdgeTable]:
    """g's bulk tables by relationship type, in schema order (empty for a graph without any, e.g. a view)."""
    return g.graph.get(TABLES) or {}


def graph_attrs(g: nx.MultiDiGraph) -> dict:
    """g's graph attributes without its tables: for a new graph that holds their edges as edges (or none)."""
    return {k: v for k, v in g.graph.items() if k != TABLES}


def number_of_relationships(g: nx.MultiDiGraph) -> int:
    """g's edges and its tables' rows."""
    return g.number_of_edges() + sum(map(len, tables(g).values()))


def iter_edges(g: nx.MultiDiGraph) -> Iterator[tuple[str, str, dict]]:
    """(u, v, attrs) of every relationship: g's edges, then each table's rows. A table's attrs are fresh dicts."""
    yield from g.edges(data=True)
    for table in tables(g).values():
        yield from table.edges()


def edge_values(g: nx.MultiDiGraph, rtype: str, name: str) -> list:
    """A property's non-blank values over every relationship of one type (e.g. the years of trade)."""
    table = tables(g).get(rtype)
    if table is not None:
        return [x for x in table.columns(name) if x is not None] if name in table.prop_cols else []
    return [d[name] for _, _, d in g.edges(data=True) if d["type"] == rtype and name in d]


def keyed_edges(g: nx.MultiDiGraph, types=None) -> Iterator[tuple[str, str, object, dict]]:
    """(u, v, key, attrs): g.edges(keys=True, data=True), then the rows of g's tables (only those of `types`, when
    given), each row keyed with the next free whole number for its two ends, as add_edge would key it. A view
    that leaves the tables out is thus the same graph, keys and order included, as one that copies them and
    removes their edges."""
    yield from g.edges(keys=True, data=True)
    taken: dict[tuple, int] = {}  # next key per (u, v) a table row has used
    for rtype, table in tables(g).items():
        if types is not None and rtype not in types:
            continue
        for u, v, d in table.edges():
            k = taken.get((u, v))
            if k is None:
                k = g.number_of_edges(u, v)
            taken[(u, v)] = k + 1
            yield u, v, k, d


def with_tables(g: nx.MultiDiGraph, types=None) -> nx.MultiDiGraph:
    """A new plain graph: g's nodes and keyed_edges(g, types) as edges (attribute dicts copied, as networkx's
    add_nodes_from and add_edges_from copy them); its graph attributes g's without the tables."""
    h = nx.MultiDiGraph()
    h.graph.update(graph_attrs(g))
    h.add_nodes_from(g.nodes(data=True))
    h.add_edges_from(keyed_edges(g, types))
    return h


@lru_cache(maxsize=1)
def _schema_rank() -> dict[str, int]:
    return {rtype: i for i, rtype in enumerate(load_schema().rels)}


def as_built(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Every relationship of g as an edge, in the order of a graph built edge by edge with every type in schema
    order (types the schema does not name last), each edge keyed with the number of edges between its two ends
    before it: the graph the exporters write, so an export is the same file whichever form the data had in
    memory. Attribute dicts copied; graph attributes g's without the tables."""
    rank = _schema_rank()
    by_type: dict[str, list] = {}
    for u, v, d in g.edges(data=True):
        by_type.setdefault(d["type"], []).append((u, v, d))
    bulk = tables(g)
    order = sorted([*by_type, *(t for t in bulk if t not in by_type)], key=lambda t: rank.get(t, len(rank)))
    h = nx.MultiDiGraph()
    h.graph.update(graph_attrs(g))
    h.add_nodes_from(g.nodes(data=True))
    for rtype in order:
        h.add_edges_from(bulk[rtype].edges() if rtype in bulk else by_type[rtype])
    return h
