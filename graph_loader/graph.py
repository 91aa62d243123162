"""The outreach graph: a networkx MultiDiGraph whose bulk relationships and node properties wait in column
tables.

A world-scale load has over a million relationships (trade, ties), but most work reads them in bulk —
risk scoring, writing a store, syncing Neo4j, counting — and never needs them as networkx edge dicts.
So `build_graph` keeps every relationship type as an `EdgeTable` (over the validated columns, shared,
not copied), and the graph turns the tables into ordinary networkx edges the first time anything reads
its adjacency (`g.adj`, `g.edges`, `g[u]`, `g.degree`, `g.copy()`, a subgraph, any networkx algorithm):
the graph behaves exactly as a fully built one. Bulk readers call `iter_edges` (or `snapshot` and
`edge_tables`), which read the tables without building the dicts.

Nodes likewise: every node is in the graph from the start (its id in the node and adjacency dicts, so
membership, counts and edges need nothing more), but its attribute dict — 50,000 activities' — is made
from its label's `NodeTable` the first time anything reads the node dict (`g.nodes`, `g.copy()`, ...).
Until then a pending node's entry is a `PendingAttrs` placeholder that answers only its "label" and refuses
anything else loudly (it is only ever seen by the thread that holds the graph); readers that need a few
labels (the build's country facts, risk scoring) call `labelled_nodes`, which makes just those labels' dicts.

Materialising replays the tables in schema order, then the edges added while the graph was `held` —
the node order, keys and edge order of an edge-by-edge build followed by those additions. It is
thread-safe and copy-on-write: the dicts a concurrent `iter_edges` walks are never changed, new ones
replace them.
"""

from __future__ import annotations

import threading
from collections import ChainMap
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat

import networkx as nx

from .gcpause import gc_paused

_LOCK = threading.RLock()


@dataclass
class EdgeTable:
    """One relationship type as columns of `source` (a file's columns by name; a validated file's make each
    list only when it is first read): the from and to keys (None = no edge on that row), the node-id prefixes
    ("Country:") that turn keys into node ids, and the property columns (None = blank, left out). `row_col`,
    when given, names the column holding each edge's property row (a file row that gives several edges)."""

    rtype: str
    source: Mapping[str, list]
    src_col: str
    src_prefix: str
    dst_col: str
    dst_prefix: str
    prop_cols: tuple[str, ...] = ()
    row_col: str | None = None
    end_labels: frozenset[str] | None = None  # the labels its ends may name (None: any)

    @property
    def rows(self) -> list[int] | None:
        return self.source[self.row_col] if self.row_col is not None else None

    @property
    def src(self) -> list:
        return self.source[self.src_col]

    @property
    def dst(self) -> list:
        return self.source[self.dst_col]

    @property
    def props(self) -> dict[str, list]:
        return {c: self.source[c] for c in self.prop_cols}

    def coded(self, name: str):
        """The typed column (columnar.Column) behind column `name`, when the file's columns are still coded and
        there is one edge per row — for bulk readers that work on codes; else None (read the lists)."""
        get = getattr(self.source, "coded", None)
        return get(name) if get is not None and self.row_col is None else None

    def __len__(self) -> int:
        ends = [self.coded(self.src_col), self.coded(self.dst_col)]
        if all(c is not None and c.blank() is None for c in ends):
            return len(ends[0])  # every row is an edge: counted without making the lists
        return sum(1 for s, d in zip(self.src, self.dst) if s is not None and d is not None)

    def columns(self, name: str) -> list:
        """A property's value per edge."""
        col = self.source[name]
        return col if self.rows is None else [col[i] for i in self.rows]

    def edges(self) -> Iterator[tuple[str, str, dict]]:
        """(u, v, attrs) per row, each attrs a fresh dict {"type": rtype, **non-blank properties}."""
        rtype, sp, dp, names = self.rtype, self.src_prefix, self.dst_prefix, list(self.prop_cols)
        values = zip(*map(self.columns, names)) if names else iter(lambda: (), None)
        us: dict = {}  # node ids made once per key (a trade partner has thousands of rows)
        vs: dict = {}
        for s, d, vals in zip(self.src, self.dst, values):
            if s is None or d is None:
                continue
            attrs = with_values({"type": rtype}, names, vals)
            u = us.get(s)
            if u is None:
                u = us[s] = f"{sp}{s}"
            v = vs.get(d)
            if v is None:
                v = vs[d] = f"{dp}{d}"
            yield u, v, attrs


class DerivedColumns(Mapping):
    """`base`'s columns and a few more, made together by `make()` (a dict of equal-length lists) the first time
    one of them is read — e.g. an activity's TARGETS resolved to one edge per listed country, which only
    readers of those edges need. Thread-safe; pickles as a ChainMap of the made columns over `base`."""

    def __init__(self, base: Mapping[str, list], names: tuple[str, ...], make):
        self._base, self._names, self._make = base, names, make
        self._made: dict | None = None
        self._lock = threading.Lock()

    @property
    def pending(self) -> bool:
        """Are the extra columns still to be made?"""
        return self._made is None

    def made(self) -> dict:
        """The extra columns, made now if they are not yet."""
        if self._made is None:
            with self._lock:
                if self._made is None:
                    self._made = self._make()
        return self._made

    def __getitem__(self, name: str) -> list:
        return self.made()[name] if name in self._names else self._base[name]

    def __contains__(self, name) -> bool:
        return name in self._names or name in self._base  # (without making the columns)

    def __iter__(self):  # ChainMap's order: the base's names, then the made ones
        yield from (k for k in self._base if k not in self._names)
        yield from self._names

    def __len__(self) -> int:
        return len(self._names) + sum(1 for k in self._base if k not in self._names)

    def __reduce__(self):
        return ChainMap, (dict(self.made()), self._base)


class PendingNodeError(RuntimeError):
    """A pending node's attributes were read or written by the thread that holds the graph."""


class PendingAttrs(Mapping):
    """A pending node's entry in the node dict while its attribute dict is not made: it answers its "label" and
    refuses anything else (other keys, iteration, copies, writes), so no copy or write can silently lose the
    node's properties. Only the thread that holds the graph ever sees one."""

    __slots__ = ("_label",)

    def __init__(self, label: str):
        self._label = label

    def _refuse(self, *_args, **_kwargs):
        raise PendingNodeError(
            f"the attributes of this {self._label} node are not made yet (the graph is held by "
            "this thread): read them after the held block, or through graph.labelled_nodes"
        )

    def __getitem__(self, key):
        return self._label if key == "label" else self._refuse()

    def get(self, key, default=None):
        return self._label if key == "label" else self._refuse()

    def __contains__(self, key) -> bool:
        return True if key == "label" else self._refuse()

    __iter__ = __len__ = copy = update = __setitem__ = __delitem__ = __reduce__ = __reduce_ex__ = _refuse
    __eq__ = _refuse
    __hash__ = None


@dataclass(eq=False)
class NodeTable:
    """One label's nodes: their ids, and the columns of `source` (a file's columns by name) whose non-blank
    values make each node's attribute dict {"label": label, **properties}, in column order."""

    label: str
    ids: list[str]
    source: Mapping[str, list]
    prop_cols: tuple[str, ...]
    placeholder: PendingAttrs = field(init=False, repr=False)

    def __post_init__(self):
        self.placeholder = PendingAttrs(self.label)  # every pending node of the label holds this one

    def attrs(self) -> Iterator[dict]:
        """Each node's attribute dict, fresh, in id order (blank values left out)."""
        names = ["label", *self.prop_cols]
        for vals in zip(repeat(self.label), *(self.source[c] for c in self.prop_cols)):
            yield {name: x for name, x in zip(names, vals) if x is not None}


def with_values(attrs: dict, names: list, vals: tuple) -> dict:
    """attrs with each name's value added, blank (None) values left out (missing is missing, never zero)."""
    attrs.update(zip(names, vals))
    if None in vals:
        for c, x in zip(names, vals):
            if x is None:
                del attrs[c]
    return attrs


_VIEWS = ("adj", "succ", "pred", "edges", "out_edges", "in_edges", "degree", "in_degree", "out_degree")


class _Materialising:
    """Data descriptor for _adj/_succ/_pred (pending: "_pending") and _node ("_pending_nodes"): reading it
    first turns the pending tables into networkx's dicts (except in the thread that holds the graph, see
    held); setting it is networkx's own descriptor."""

    def __init__(self, name: str, parent, pending: str = "_pending", make: str = "materialise"):
        self.name, self.parent, self.pending, self.make = name, parent, pending, make

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        od = obj.__dict__
        if od.get(self.pending) and od.get("_held_by") != threading.get_ident():
            getattr(obj, self.make)()  # waits for a thread that holds the graph
        return od[self.name]

    def __set__(self, obj, value):
        self.parent.__set__(obj, value)


class OutreachGraph(nx.MultiDiGraph):
    """A MultiDiGraph with pending EdgeTables (see the module docstring)."""

    _adj = _Materialising("_adj", nx.DiGraph.__dict__["_adj"])
    _succ = _Materialising("_succ", nx.DiGraph.__dict__["_succ"])
    _pred = _Materialising("_pred", nx.DiGraph.__dict__["_pred"])
    _node = _Materialising("_node", nx.Graph.__dict__["_node"], "_pending_nodes", "materialise_nodes")

    @property
    def nodes(self):
        """networkx's NodeView, made afresh on each read (networkx caches it): a cached view made while the graph
        is held would keep the placeholders, and under Python 3.11 a cached_property's lock, shared by every
        graph, would be held while this view waits for a held graph."""
        return nx.reportviews.NodeView(self)

    def __getstate__(self):
        self.materialise_nodes()  # (a placeholder cannot be pickled)
        state = dict(self.__dict__)
        for name in ("_held_by", "_held_depth", *_VIEWS):  # a copy is held by no one, and has no stale views
            state.pop(name, None)
        return state

    def defer(self, table: EdgeTable) -> None:
        """Hold a relationship type as a table until the adjacency is first read."""
        self.__dict__.setdefault("_pending", []).append(table)

    def defer_nodes(self, table: NodeTable) -> None:
        """Add a label's nodes, new and distinct ids, their attribute dicts pending until the node dict is
        first read (placeholders meanwhile)."""
        od = self.__dict__
        nodes, succ, pred = od["_node"], od["_succ"], od["_pred"]
        new = dict.fromkeys(table.ids, table.placeholder)
        if len(new) != len(table.ids) or not nodes.keys().isdisjoint(new):
            raise ValueError(f"{table.label}: node ids already in the graph, or repeated")
        nodes.update(new)
        for n in table.ids:
            succ[n] = {}
            pred[n] = {}
        od.setdefault("_pending_nodes", []).append(table)
        nx._clear_cache(self)

    @gc_paused()
    def materialise_nodes(self, labels: Iterable[str] | None = None) -> None:
        """Make the pending nodes' attribute dicts (only these labels' when given), in place of their
        placeholders: the node order stays; a node removed meanwhile stays removed. Copy-on-write (a thread
        walking the old node dict sees it unchanged), idempotent, thread-safe; allowed while held."""
        with _LOCK:
            od = self.__dict__
            pending = od.get("_pending_nodes")
            todo = [t for t in pending or () if labels is None or t.label in labels]
            if not todo:
                return
            nodes = dict(od["_node"])
            for table in todo:
                ph = table.placeholder
                for n, attrs in zip(table.ids, table.attrs()):
                    if nodes.get(n) is ph:
                        nodes[n] = attrs
            self._node = nodes  # networkx's setter: the cached node view is reset
            od["_pending_nodes"] = [t for t in pending if not any(t is done for done in todo)]
            nx._clear_cache(self)

    # removing: a pending table's edges to a removed node must go with it, as networkx removes them
    def remove_node(self, n) -> None:
        self._settle_ends((n,))
        super().remove_node(n)

    def remove_nodes_from(self, nodes) -> None:
        nodes = list(nodes)
        self._settle_ends(nodes)
        super().remove_nodes_from(nodes)

    def clear(self) -> None:
        with _LOCK:
            self.__dict__["_pending"] = []
            self.__dict__["_pending_nodes"] = []
            super().clear()

    def clear_edges(self) -> None:
        with _LOCK:
            self.__dict__["_pending"] = []
            super().clear_edges()

    def _settle_ends(self, nodes: list) -> None:
        """Before the holding thread removes nodes: turn the pending tables into edges if one may end at one of
        them (outside held, networkx's remove reads the adjacency, which does so anyway). Risk scores, which no
        table names, are replaced without building a million trade edges."""
        od = self.__dict__
        tables = od.get("_pending")
        if not tables or od.get("_held_by") != threading.get_ident():
            return
        if any(t.end_labels is None for t in tables):
            self.materialise()
            return
        ends = frozenset().union(*(t.end_labels for t in tables))
        raw = od["_node"]
        if any(n in raw and raw[n]["label"] in ends for n in nodes):
            self.materialise()

    # counting and membership need only the node ids, which are all in place: the dicts are not made
    def __len__(self) -> int:
        return len(self.__dict__["_node"])

    def number_of_nodes(self) -> int:
        return len(self.__dict__["_node"])

    def __contains__(self, n) -> bool:
        try:
            return n in self.__dict__["_node"]
        except TypeError:
            return False

    def has_node(self, n) -> bool:
        return n in self

    @gc_paused()
    def materialise(self) -> None:
        """Turn the pending tables into networkx edges: the adjacency is rebuilt with the tables' edges in
        schema order, then the edges added while it was held, in their order — the node order, keys and edge
        order an edge-by-edge build followed by those additions gives. Copy-on-write (the old dicts are left
        as they were, for any thread still walking them), idempotent, thread-safe."""
        with _LOCK:
            od = self.__dict__
            pending = od.get("_pending")
            if not pending:
                return
            old = od["_succ"]
            succ = {n: {} for n in old}
            pred = {n: {} for n in od["_pred"]}
            _insert(succ, pred, ((u, v, None, d) for table in pending for u, v, d in table.edges()))
            _insert(
                succ, pred, ((u, v, k, d) for u, nbrs in old.items() for v, kd in nbrs.items() for k, d in kd.items())
            )
            self._adj = succ  # networkx's setters: _adj and _succ together, cached views reset
            self._pred = pred
            od["_pending"] = []
            nx._clear_cache(self)

    def number_of_edges(self, u=None, v=None) -> int:
        if u is None and v is None:
            with _LOCK:
                od = self.__dict__
                if od.get("_pending"):
                    eager = sum(len(kd) for nbrs in od["_succ"].values() for kd in nbrs.values())
                    return eager + sum(map(len, od["_pending"]))
        return super().number_of_edges(u, v)


def _insert(succ: dict, pred: dict, edges) -> None:
    """Add (u, v, key, attrs) edges as add_edge does: the key given, unless it is None or taken; then the
    lowest free integer from the pair's edge count."""
    for u, v, k, attrs in edges:
        keydict = succ[u].get(v)
        if keydict is None:
            keydict = succ[u][v] = pred[v][u] = {}
        if k is None or k in keydict:
            k = len(keydict)
            while k in keydict:
                k += 1
        keydict[k] = attrs


@contextmanager
def held(g):
    """Within this block, this thread can add nodes and edges to g without materialising its pending tables
    (for writers whose nodes and edges no pending table touches, e.g. risk scores while loading); another
    thread that reads g's adjacency or nodes meanwhile waits for the block to end. Views of the adjacency made
    inside are dropped after. Inside, use the graph's methods (add_node, add_edge, remove_nodes_from) and
    labelled_nodes; g.nodes there shows a pending node as its placeholder, whose label alone can be read (a
    copy, a write or any other read raises PendingNodeError). Not the adjacency views (g.edges, g.adj): under
    Python 3.11 those are cached_properties whose lock a waiting thread may hold."""
    if not isinstance(g, OutreachGraph):
        yield g
        return
    od = g.__dict__
    with _LOCK:
        me = threading.get_ident()
        od["_held_depth"] = od.get("_held_depth", 0) + 1
        od["_held_by"] = me
        try:
            yield g
        finally:
            od["_held_depth"] -= 1
            if not od["_held_depth"]:
                del od["_held_by"], od["_held_depth"]
                for name in _VIEWS:  # built over the raw adjacency: stale once the tables become edges
                    od.pop(name, None)


def node_tables(g) -> list[NodeTable]:
    """The node tables still pending on g (empty once the node dict has been read, and for any other graph)."""
    return list(g.__dict__.get("_pending_nodes") or ())


def labelled_nodes(g, labels: Iterable[str]) -> list[tuple[str, dict]]:
    """(node id, attrs) of g's nodes with one of these labels, in node order — those labels' pending dicts
    made, the others left pending (allowed while held: the build reads countries and assessments so)."""
    labels = set(labels)
    if not isinstance(g, OutreachGraph):
        return [(n, d) for n, d in g._node.items() if d["label"] in labels]
    with _LOCK:  # (waits while another thread holds the graph and may be adding nodes)
        g.materialise_nodes(labels)  # a placeholder left is another label's: skipped without asking it
        return [
            (n, d) for n, d in g.__dict__["_node"].items() if d.__class__ is not PendingAttrs and d["label"] in labels
        ]


def node_labels(g) -> list[str]:
    """Every node's label, in node order, without making pending dicts (a placeholder holds the label)."""
    if not isinstance(g, OutreachGraph):
        return [d["label"] for d in g._node.values()]
    with _LOCK:
        return [d["label"] for d in g.__dict__["_node"].values()]


def edge_tables(g) -> list[EdgeTable]:
    """The tables still pending on g (empty once materialised, and for any other graph)."""
    return list(g.__dict__.get("_pending") or ())


def snapshot(g) -> tuple[dict | None, list[EdgeTable]]:
    """(raw adjacency, pending tables), taken together: every edge of g is in exactly one of them (another
    thread's materialising replaces the adjacency and empties the tables, it never changes these)."""
    with _LOCK:
        return g.__dict__.get("_succ"), edge_tables(g)


def adjacency_groups(g, succ: dict | None = None) -> Iterator[tuple[str, str, Iterable[dict]]]:
    """(u, v, attrs of the edges from u to v) for the edges in the adjacency `succ` (default: g's, now),
    without materialising (pending tables are left out: read them with edge_tables, from the same snapshot)."""
    if succ is None:
        succ, _ = snapshot(g)
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
    succ, tables = snapshot(g)
    out = [d[name] for _, _, group in adjacency_groups(g, succ) for d in group if d["type"] == rtype and name in d]
    for table in tables:
        if table.rtype == rtype and name in table.prop_cols:
            out += [
                x
                for s, t, x in zip(table.src, table.dst, table.columns(name))
                if x is not None and s is not None and t is not None
            ]
    return out


def iter_edges(g) -> Iterator[tuple[str, str, dict]]:
    """(u, v, attrs) of every edge of g — the adjacency's, then each pending table's — without
    materialising: the edges of g.edges(data=True), the pending ones last. Attrs of a pending table's
    rows are fresh dicts (changing them changes nothing)."""
    succ, tables = snapshot(g)
    for u, v, group in adjacency_groups(g, succ):
        for d in group:
            yield u, v, d
    for table in tables:
        yield from table.edges()
