"""The outreach graph: a networkx MultiDiGraph whose bulk relationships wait in column tables.

A world-scale load has over a million relationships (trade, ties), but most work reads them in bulk —
risk scoring, writing a store, syncing Neo4j, counting — and never needs them as networkx edge dicts.
So `build_graph` keeps each relationship type that comes straight from a file's columns as an
`EdgeTable` (the validated columns, shared, not copied), and the graph turns the tables into ordinary
networkx edges the first time anything reads its adjacency (`g.adj`, `g.edges`, `g[u]`, `g.degree`,
`g.copy()`, a subgraph, any networkx algorithm): the graph behaves exactly as a fully built one.
Bulk readers call `iter_edges` (and `edge_tables`), which read the tables without building the dicts.

Materialising appends each table's edges, in schema order, after the edges already present — as if
they had been added then with `add_edges_from`. It is thread-safe and copy-on-write: the dicts a
concurrent `iter_edges` walks are never changed, new ones replace them.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import networkx as nx

from .gcpause import gc_paused

_LOCK = threading.RLock()


@dataclass
class EdgeTable:
    """One relationship type as columns: the from and to keys (None = no edge on that row), the node-id
    prefixes ("Country:") that turn keys into node ids, and the property columns (None = blank, left out).
    `rows`, when given, is the property row of each edge (a file row that gives several edges)."""
    rtype: str
    src: list
    src_prefix: str
    dst: list
    dst_prefix: str
    props: dict[str, list] = field(default_factory=dict)
    rows: list[int] | None = None

    def __len__(self) -> int:
        return sum(1 for s, d in zip(self.src, self.dst) if s is not None and d is not None)

    def columns(self, name: str) -> list:
        """A property's value per edge."""
        col = self.props[name]
        return col if self.rows is None else [col[i] for i in self.rows]

    def edges(self) -> Iterator[tuple[str, str, dict]]:
        """(u, v, attrs) per row, each attrs a fresh dict {"type": rtype, **non-blank properties}."""
        rtype, sp, dp, names = self.rtype, self.src_prefix, self.dst_prefix, list(self.props)
        values = zip(*map(self.columns, names)) if names else iter(lambda: (), None)
        us: dict = {}  # node ids made once per key (a trade partner has thousands of rows)
        vs: dict = {}
        for s, d, vals in zip(self.src, self.dst, values):
            if s is None or d is None:
                continue
            attrs = {"type": rtype}
            attrs.update(zip(names, vals))
            if None in vals:  # blank values are left out (missing is missing)
                for c, x in zip(names, vals):
                    if x is None:
                        del attrs[c]
            u = us.get(s)
            if u is None:
                u = us[s] = f"{sp}{s}"
            v = vs.get(d)
            if v is None:
                v = vs[d] = f"{dp}{d}"
            yield u, v, attrs


class _Materialising:
    """Data descriptor for _adj/_succ/_pred: reading it first turns pending edge tables into edges
    (unless the graph is held); setting it is networkx's own descriptor."""

    def __init__(self, name: str, parent):
        self.name, self.parent = name, parent

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        od = obj.__dict__
        if od.get("_pending") and not od.get("_held"):
            obj.materialise()
        return od[self.name]

    def __set__(self, obj, value):
        self.parent.__set__(obj, value)


class OutreachGraph(nx.MultiDiGraph):
    """A MultiDiGraph with pending EdgeTables (see the module docstring)."""

    _adj = _Materialising("_adj", nx.DiGraph.__dict__["_adj"])
    _succ = _Materialising("_succ", nx.DiGraph.__dict__["_succ"])
    _pred = _Materialising("_pred", nx.DiGraph.__dict__["_pred"])

    def defer(self, table: EdgeTable) -> None:
        """Hold a relationship type as a table until the adjacency is first read."""
        self.__dict__.setdefault("_pending", []).append(table)

    def materialise(self) -> None:
        """Turn every pending table into networkx edges (copy-on-write; idempotent; thread-safe)."""
        with _LOCK, gc_paused():
            od = self.__dict__
            pending = od.get("_pending")
            if not pending:
                return
            succ = {u: dict(nbrs) for u, nbrs in od["_succ"].items()}
            pred = {v: dict(nbrs) for v, nbrs in od["_pred"].items()}
            fresh: set[int] = set()
            for table in pending:
                for u, v, attrs in table.edges():
                    keydict = succ[u].get(v)
                    if keydict is None:
                        keydict = {}
                        fresh.add(id(keydict))
                        succ[u][v] = pred[v][u] = keydict
                    elif id(keydict) not in fresh:  # shared with the old dicts: copy before changing
                        keydict = dict(keydict)
                        fresh.add(id(keydict))
                        succ[u][v] = pred[v][u] = keydict
                    k = len(keydict)
                    while k in keydict:
                        k += 1
                    keydict[k] = attrs
            self._adj = succ  # networkx's setters: _adj and _succ together, cached views reset
            self._pred = pred
            od["_pending"] = []
            nx._clear_cache(self)

    def number_of_edges(self, u=None, v=None) -> int:
        if u is None and v is None and self.__dict__.get("_pending"):
            with _held(self):
                eager = super().number_of_edges()
            return eager + sum(map(len, edge_tables(self)))
        return super().number_of_edges(u, v)


@contextmanager
def _held(g):
    od = g.__dict__
    od["_held"] = od.get("_held", 0) + 1
    try:
        yield g
    finally:
        od["_held"] -= 1


@contextmanager
def held(g):
    """Within this block, adding nodes and edges to g does not materialise its pending tables (for writers
    that add nodes and edges no pending table touches, e.g. risk scores)."""
    if isinstance(g, OutreachGraph):
        with _LOCK, _held(g):
            yield g
    else:
        yield g


def edge_tables(g) -> list[EdgeTable]:
    """The tables still pending on g (empty once materialised, and for any other graph)."""
    return list(g.__dict__.get("_pending") or ())


def _raw_succ(g):
    with _LOCK:
        return g.__dict__.get("_succ"), edge_tables(g)


def adjacency_groups(g) -> Iterator[tuple[str, str, Iterable[dict]]]:
    """(u, v, attrs of the edges from u to v) for the edges already in the adjacency, without materialising
    (pending tables are left out: read them with edge_tables)."""
    succ, _ = _raw_succ(g)
    if succ is None or not g.is_multigraph():
        for u, v, d in g.edges(data=True):
            yield u, v, (d,)
        return
    for u, nbrs in succ.items():
        for v, keydict in nbrs.items():
            yield u, v, keydict.values()


def edge_values(g, rtype: str, name: str) -> list:
    """A property's non-blank values over every edge of one type (e.g. the years of trade), pending tables
    read column-wise, without materialising."""
    _, tables = _raw_succ(g)
    out = [d[name] for _, _, group in adjacency_groups(g) for d in group if d["type"] == rtype and name in d]
    for table in tables:
        if table.rtype == rtype and name in table.props:
            out += [x for s, t, x in zip(table.src, table.dst, table.columns(name))
                    if x is not None and s is not None and t is not None]
    return out


def iter_edges(g) -> Iterator[tuple[str, str, dict]]:
    """(u, v, attrs) of every edge of g — the adjacency's, then each pending table's — without
    materialising: the edges of g.edges(data=True), the pending ones last. Attrs of a pending table's
    rows are fresh dicts (changing them changes nothing)."""
    _, tables = _raw_succ(g)
    for u, v, group in adjacency_groups(g):
        for d in group:
            yield u, v, d
    for table in tables:
        yield from table.edges()
