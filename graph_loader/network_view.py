"""Network views of the outreach graph: filter, ego network, tie path, highlights, aggregation (pure, no Streamlit).

Every function returns a NEW graph and never changes its input (the app's graph is cached and shared).
Rendering (self-contained vis-network HTML) lives in graph_loader.vis_html; render_html is re-exported here.
Node ids are "Label:key" as in graph_loader.build; view-only markers are attributes starting with "_"
(e.g. _gaps, _overlaps, _path, _focus, _merged) and never come from data.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from .graph import graph_attrs, keyed_edges, number_of_relationships

# Country–Country relationships that count as ties for the shortest tie path (DISTANCE is a measure, and
# RIVALRY a negative tie: both are excluded).
TIE_TYPES = ("TRADES_WITH", "CONTIGUOUS", "ALLIED_WITH", "SHARES_IGO", "LANGUAGE_TIE", "COLONIAL_TIE", "HISTORICAL_TIE")
COUNTRY_PAIR_TYPES = TIE_TYPES + ("DISTANCE", "RIVALRY")
PAIR_TYPE_SET = frozenset(COUNTRY_PAIR_TYPES)
DETAIL_LABELS = ("CountryYear", "RiskScore", "Contact")  # hidden first when a view is too big
DEFAULT_LABELS = ("Country", "Organisation", "Category", "Tool", "Programme", "Activity", "Meeting", "Request")
DEFAULT_HIDDEN_RELS = ("TRADES_WITH", "ALLIED_WITH", "SHARES_IGO", "DISTANCE", "HAS_YEAR", "SCORED")
MAX_NODES = 400
MAX_EDGES = 1500
# Record nodes that a view too big to draw shows as bundles, in this order and each only while the view is still
# too big (countries are grouped last: they carry the risk tiers and the gap rings): label → the properties whose
# values name a bundle. A bundle of one stays the node it is.
RECORD_GROUPS = (
    ("Activity", ("partner", "tool")),
    ("Request", ("tool",)),
    ("Assessment", ("category",)),
    ("Meeting", ("year",)),
)
RECORD_NAMES = {"Activity": "activities", "Request": "requests", "Assessment": "assessments", "Meeting": "meetings"}


@dataclass(frozen=True)
class Filters:
    """What a view keeps; None means "no filter". Years are inclusive (first, last)."""

    labels: tuple[str, ...] | None = None
    categories: tuple[int, ...] | None = None  # recipients of these maturity categories
    tiers: tuple[str, ...] | None = None  # recipients in these risk tiers
    tier_by: tuple[tuple[str, str], ...] | None = None  # (iso3, tier) the tiers filter reads; else each node's own
    partners: tuple[str, ...] | None = None  # partner countries (and their activities, programmes)
    programmes: tuple[str, ...] | None = None  # activities of these programmes
    rel_types: tuple[str, ...] | None = None
    years: tuple[int, int] | None = None


def _edges(g: nx.MultiDiGraph, types=None):
    """(u, v, key, attrs) of every edge, in g.edges(keys=True, data=True) order — and of the rows of the graph's
    bulk tables (graph.py; only those of `types` when given), as a graph built edge by edge holds them."""
    return keyed_edges(g, types)


def _put_edges(h: nx.MultiDiGraph, edges) -> None:
    """Add (u, v, key, attrs) edges between nodes already in h, in order."""
    h.add_edges_from(edges)


def copy_graph(g: nx.MultiDiGraph, nodes=None) -> nx.MultiDiGraph:
    """A copy with fresh attribute dicts (optionally only `nodes` and the edges among them)."""
    keep = set(g.nodes) if nodes is None else set(nodes)
    h = nx.MultiDiGraph()
    h.graph.update(graph_attrs(g))  # (a bulk table's rows in the copy are edges)
    h.add_nodes_from((n, dict(d)) for n, d in g.nodes(data=True) if n in keep)
    _put_edges(h, ((u, v, k, dict(d)) for u, v, k, d in _edges(g) if u in keep and v in keep))
    return h


def country_id(iso3_or_id: str) -> str:
    return iso3_or_id if iso3_or_id.startswith("Country:") else f"Country:{iso3_or_id}"


# ----------------------------------------------------------------------------------------------- filters
def _in_window(d: dict, years: tuple[int, int] | None) -> bool:
    """False when the record's year (or its from/to or start/end period) lies outside the window."""
    if years is None:
        return True
    lo, hi = years
    if d.get("year") is not None:
        return lo <= d["year"] <= hi
    start = d.get("from_year", d.get("start_year"))
    end = d.get("to_year", d.get("end_year"))
    return not ((end is not None and end < lo) or (start is not None and start > hi))


def _keep_country(d: dict, f: Filters, tiers: dict) -> bool:
    """Category and tier filters apply to recipients only; partners and nations of concern always stay. A
    recipient's tier is its entry in `tiers` (the analysis context's) when there is one, else its risk_tier."""
    if d.get("partner"):
        return f.partners is None or d["iso3"] in f.partners
    if d.get("concern") or not d.get("recipient"):
        return True
    if f.categories is not None and d.get("category") not in f.categories:
        return False
    return f.tiers is None or tiers.get(d["iso3"], d.get("risk_tier")) in f.tiers


def _keep_node(d: dict, f: Filters, tiers: dict) -> bool:
    label = d["label"]
    if f.labels is not None and label not in f.labels:
        return False
    if label == "Country":
        return _keep_country(d, f, tiers)
    if label == "Activity":
        if f.partners is not None and d.get("partner") not in f.partners:
            return False
        if f.programmes is not None and d.get("programme") not in f.programmes:
            return False
    if label == "Programme":
        if f.programmes is not None and d["programme_id"] not in f.programmes:
            return False
        if f.partners is not None and d.get("owner") not in f.partners:
            return False
    return _in_window(d, f.years)


def filter_graph(g: nx.MultiDiGraph, f: Filters) -> nx.MultiDiGraph:
    """The part of g that passes the filters; edges whose year falls outside the window are dropped.

    Edges are tested before they are copied (a world-scale graph holds a million trade edges that the
    default view leaves out); the result is the same graph, in the same order, as copying then removing."""
    tiers = dict(f.tier_by or ())
    keep = {n for n, d in g.nodes(data=True) if _keep_node(d, f, tiers)}
    types = None if f.rel_types is None else set(f.rel_types)
    h = nx.MultiDiGraph()
    h.graph.update(graph_attrs(g))  # (a bulk table's rows in the copy are edges)
    h.add_nodes_from((n, dict(d)) for n, d in g.nodes(data=True) if n in keep)
    _put_edges(
        h,
        (
            (u, v, k, dict(d))
            for u, v, k, d in _edges(g, types)
            if (types is None or d["type"] in types) and u in keep and v in keep and _in_window(d, f.years)
        ),
    )
    return h


# ------------------------------------------------------------------------------------- ego and tie path
def ego(g: nx.MultiDiGraph, center: str, depth: int = 1) -> nx.MultiDiGraph:
    """Nodes within `depth` (1–3) steps of center, ignoring edge direction, and the edges among them."""
    if not 1 <= depth <= 3:
        raise ValueError(f"ego depth must be 1, 2 or 3 (got {depth})")
    if center not in g:
        raise KeyError(f"{center} is not in the current view (check the filters)")
    reach = nx.single_source_shortest_path_length(g.to_undirected(as_view=True), center, cutoff=depth)
    h = copy_graph(g, reach)
    h.nodes[center]["_focus"] = True
    return h


def tie_graph(g: nx.MultiDiGraph) -> nx.Graph:
    """Undirected projection of the Country–Country ties (TIE_TYPES); edge attribute `ties` = sorted types."""
    t = nx.Graph()
    t.add_nodes_from(sorted(n for n, d in g.nodes(data=True) if d["label"] == "Country"))
    kinds: dict[tuple, set] = defaultdict(set)
    for u, v, _, d in _edges(g):
        if d["type"] in TIE_TYPES and u != v and u in t and v in t:
            kinds[tuple(sorted((u, v)))].add(d["type"])
    t.add_edges_from((u, v, {"ties": tuple(sorted(k))}) for (u, v), k in sorted(kinds.items()))
    return t


@dataclass(frozen=True)
class TiePath:
    nodes: tuple[str, ...]
    hops: tuple[tuple[str, str, tuple[str, ...]], ...]  # (from, to, tie types between them)


def tie_path(g: nx.MultiDiGraph, a: str, b: str) -> TiePath | None:
    """Shortest path (fewest hops) between two countries over ties; None when they are not connected."""
    t = tie_graph(g)
    a, b = country_id(a), country_id(b)
    for n in (a, b):
        if n not in t:
            raise KeyError(f"{n} is not a country of the graph")
    try:
        nodes = nx.shortest_path(t, a, b)
    except nx.NetworkXNoPath:
        return None
    return TiePath(tuple(nodes), tuple((u, v, t.edges[u, v]["ties"]) for u, v in zip(nodes, nodes[1:])))


def with_path(view: nx.MultiDiGraph, source: nx.MultiDiGraph, path: TiePath) -> nx.MultiDiGraph:
    """The view plus the path's countries and tie edges (taken from `source`), marked _path."""
    h = copy_graph(view)
    for n in path.nodes:
        if n not in h:
            h.add_node(n, **dict(source.nodes[n]))
        h.nodes[n]["_path"] = True
    for u, v, ties in path.hops:
        for x, y in ((u, v), (v, u)):
            for k, d in (source.get_edge_data(x, y) or {}).items():
                if d["type"] in ties:
                    h.add_edge(x, y, key=f"path-{k}", **dict(d), _path=True)
    return h


# ------------------------------------------------------------------------------------------- highlights
def highlight(view: nx.MultiDiGraph, gaps: list[dict] = (), overlaps: list[dict] = ()) -> nx.MultiDiGraph:
    """Mark countries with coverage gaps (coverage_gaps rows: iso3, tool) and partner overlaps
    (partner_overlap rows: iso3, tool, activities); overlapping activities and their TARGETS edges too."""
    h = copy_graph(view)
    for attr, rows in (("_gaps", gaps), ("_overlaps", overlaps)):
        for r in rows:
            n = country_id(r["iso3"])
            if n in h:
                h.nodes[n][attr] = sorted(set(h.nodes[n].get(attr, [])) | {r["tool"]})
    flooded = {(f"Activity:{a}", country_id(r["iso3"])) for r in overlaps for a in r.get("activities") or []}
    for a, _ in flooded:
        if a in h:
            h.nodes[a]["_overlap"] = True
    for u, v, d in h.edges(data=True):
        if d["type"] == "TARGETS" and (u, v) in flooded:
            d["_overlap"] = True
    return h


# ------------------------------------------------------------------------------------------- aggregation
def merge_pair_edges(g: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, int]:
    """One edge per country pair and type for Country–Country relationships.

    Trade: value_usd_mn = Σ over years of both directions, each flow from IMF DOTS where it has it, else COW
    (current million USD). Other types: n = number of records, years = first–last. Returns (graph, merged).
    """
    gone, merged_edges = _pair_merges(g)
    return _rebuild(g, set(), gone, merged_edges), len(gone)


def _pair_merges(g: nx.MultiDiGraph, skip=frozenset()) -> tuple[set, list]:
    """The Country–Country edges (not touching `skip`) that merge_pair_edges replaces, as (u, v, key), and the
    merged edges replacing them, as (a, b, key, attrs) in sorted order."""
    groups: dict[tuple, list] = defaultdict(list)
    for u, v, k, d in _edges(g):
        if d["type"] in PAIR_TYPE_SET and u not in skip and v not in skip:
            groups[(d["type"], u, v) if u <= v else (d["type"], v, u)].append((u, v, k, d))
    gone, merged_edges = set(), []
    for (rtype, a, b), edges in sorted(groups.items()):
        if len(edges) < 2:
            continue
        gone.update((u, v, k) for u, v, k, _ in edges)
        merged_edges.append((a, b, f"merged-{rtype}", _merged_attrs(rtype, [d for *_, d in edges])))
    return gone, merged_edges


def _rebuild(g: nx.MultiDiGraph, drop_nodes: set, gone: set, extra_edges: list) -> nx.MultiDiGraph:
    """A copy of g without drop_nodes (and their edges) and the `gone` edges, plus extra_edges. Nothing that is
    left out is copied (a world-scale view holds a million trade edges that merge into a few thousand)."""
    h = nx.MultiDiGraph()
    h.graph.update(graph_attrs(g))  # (a bulk table's rows in the copy are edges)
    h.add_nodes_from((n, dict(d)) for n, d in g.nodes(data=True) if n not in drop_nodes)
    if drop_nodes or gone:
        edges = (
            (u, v, k, dict(d))
            for u, v, k, d in _edges(g)
            if u not in drop_nodes and v not in drop_nodes and (u, v, k) not in gone
        )
    else:
        edges = ((u, v, k, dict(d)) for u, v, k, d in _edges(g))
    _put_edges(h, edges)
    _put_edges(h, extra_edges)
    return h


def _merged_attrs(rtype: str, records: list[dict]) -> dict:
    years = sorted(d["year"] for d in records if d.get("year") is not None)
    out = {"type": rtype, "n": len(records), "_merged": True}
    if years:
        out["years"] = f"{years[0]}–{years[-1]}"
    if rtype == "TRADES_WITH":
        flows: dict[tuple, dict] = {}
        for d in records:
            key = (d["exporter"], d["importer"], d["year"])
            if key not in flows or d.get("dataset") == "IMF_DOTS":
                flows[key] = d
        out["value_usd_mn"] = round(sum(d["value_usd_mn"] for d in flows.values()), 3)
    return out


def hide_labels(g: nx.MultiDiGraph, labels) -> tuple[nx.MultiDiGraph, dict[str, int]]:
    hidden = defaultdict(int)
    for _, d in g.nodes(data=True):
        if d["label"] in labels:
            hidden[d["label"]] += 1
    return copy_graph(g, [n for n, d in g.nodes(data=True) if d["label"] not in labels]), dict(sorted(hidden.items()))


def group_countries(g: nx.MultiDiGraph, by: str = "region", keep=()) -> tuple[nx.MultiDiGraph, int]:
    """Replace countries (except partners, nations of concern and `keep`) by one node per region/category;
    edges to them are re-pointed and merged per (from, to, type) with n = number merged."""
    group_of = {}
    for n, d in g.nodes(data=True):
        if d["label"] == "Country" and not d.get("partner") and not d.get("concern") and n not in keep:
            value = d.get(by)
            group_of[n] = f"Group:{by}={value if value is not None else 'unknown'}"
    h = nx.MultiDiGraph()
    h.graph.update(graph_attrs(g))  # (a bulk table's rows in the copy are edges)
    h.add_nodes_from((n, dict(d)) for n, d in g.nodes(data=True) if n not in group_of)
    for n in sorted(group_of):
        gid = group_of[n]
        if gid not in h:
            h.add_node(gid, label="Group", by=by, name=gid.split("=", 1)[1], members=[])
        h.nodes[gid]["members"].append(g.nodes[n]["iso3"])
    counts: dict[tuple, int] = defaultdict(int)
    for u, v, _, d in _edges(g):
        u2, v2 = group_of.get(u, u), group_of.get(v, v)
        if u2 != v2:
            counts[(u2, v2, d["type"])] += d.get("n", 1)
    h.add_edges_from(
        (u, v, f"group-{t}", {"type": t, "n": c, "_merged": True}) for (u, v, t), c in sorted(counts.items())
    )
    h.graph["expand"] = _expansions(g, group_of)
    return h, len(group_of)


EXPAND_TIES = 8  # country–country edges kept per member when a group expands (the heaviest)


def _expansions(g: nx.MultiDiGraph, group_of: dict[str, str]) -> dict[str, dict]:
    """What a click on each group brings back: {group id: {"name", "nodes": {id: attrs}, "edges": [(u, v, key, attrs)]}}
    — its members and every edge they have, except that of their country–country edges only the EXPAND_TIES
    heaviest per member are kept (weight: trade value, else n records), so a world-scale group stays drawable."""
    out: dict[str, dict] = {}
    for n in sorted(group_of):
        gid = group_of[n]
        out.setdefault(gid, {"name": gid.split("=", 1)[1], "nodes": {}, "edges": []})["nodes"][n] = dict(g.nodes[n])
    ties: dict[str, list] = defaultdict(list)
    for u, v, k, d in _edges(g):
        if u not in group_of and v not in group_of:
            continue
        if d["type"] not in COUNTRY_PAIR_TYPES:
            for end in {u, v} & group_of.keys():
                out[group_of[end]]["edges"].append((u, v, k, dict(d)))
            continue
        for end in {u, v} & group_of.keys():
            ties[end].append((u, v, k, d))
    for n, es in sorted(ties.items()):
        heaviest = sorted(es, key=lambda e: (-(e[3].get("value_usd_mn") or e[3].get("n") or 1), e[0], e[1], str(e[2])))
        out[group_of[n]]["edges"].extend((u, v, k, dict(d)) for u, v, k, d in heaviest[:EXPAND_TIES])
    return out


def _bundle_value(d: dict, prop: str) -> str:
    v = d.get(prop)
    return "none" if v is None or v == "" else str(v)


def group_records(g: nx.MultiDiGraph, label: str, by: tuple[str, ...], keep=()) -> tuple[nx.MultiDiGraph, int, int]:
    """Replace the `label` nodes (e.g. activities), except `keep`, by one bundle node per value of the `by`
    properties (e.g. partner × tool) wherever at least two share it.

    A bundle's id is "<label>Group:<prop>=<value>|…" (the same for the same values in every view), its label
    "<label>Group", and it holds: of (the label), by, the `by` values, name, n (members), members (their keys,
    sorted), years ("first–last"), statuses ("held 3, planned 1") where the members have them, and _overlap when
    a member was an overlapping activity. Edges to and from members are re-pointed to the bundle and merged per
    (from, to, type) with n = the records merged (an edge's own n counts as that many) and _overlap / _path kept
    if any merged edge had them; every other node and edge is copied unchanged. Returns (graph, records grouped,
    bundles made).
    """
    keep = set(keep)
    members: dict[str, list[str]] = defaultdict(list)
    for n, d in g.nodes(data=True):
        if d["label"] == label and n not in keep:
            members[f"{label}Group:" + "|".join(f"{p}={_bundle_value(d, p)}" for p in by)].append(n)
    group_of = {n: gid for gid, ns in members.items() if len(ns) > 1 for n in ns}
    h = nx.MultiDiGraph()
    h.graph.update(graph_attrs(g))  # (a bulk table's rows in the copy are edges)
    h.add_nodes_from((n, dict(d)) for n, d in g.nodes(data=True) if n not in group_of)
    made = sorted(gid for gid, ns in members.items() if len(ns) > 1)
    for gid in made:
        ds = [g.nodes[n] for n in sorted(members[gid])]
        first = ds[0]
        attrs = {
            "label": f"{label}Group",
            "of": label,
            "by": " × ".join(by),
            **{p: first.get(p) for p in by},
            "name": " · ".join(_bundle_value(first, p) for p in by),
            "n": len(ds),
            "members": [n.split(":", 1)[1] for n in sorted(members[gid])],
        }
        years = sorted(d["year"] for d in ds if d.get("year") is not None)
        if years:
            attrs["years"] = f"{years[0]}–{years[-1]}" if years[0] != years[-1] else str(years[0])
        statuses: dict[str, int] = defaultdict(int)
        for d in ds:
            if d.get("status") is not None:
                statuses[str(d["status"])] += 1
        if statuses:
            attrs["statuses"] = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        if any(d.get("_overlap") for d in ds):
            attrs["_overlap"] = True
        h.add_node(gid, **attrs)
    merged: dict[tuple, dict] = {}
    same = []
    for u, v, k, d in _edges(g):
        u2, v2 = group_of.get(u, u), group_of.get(v, v)
        if u2 == u and v2 == v:
            same.append((u, v, k, dict(d)))
            continue
        if u2 == v2:
            continue
        e = merged.setdefault((u2, v2, d["type"]), {"type": d["type"], "n": 0, "_merged": True})
        e["n"] += d.get("n", 1)
        for mark in ("_overlap", "_path"):
            if d.get(mark):
                e[mark] = True
    _put_edges(h, same)
    _put_edges(h, ((u, v, f"group-{t}", e) for (u, v, t), e in sorted(merged.items())))
    return h, len(group_of), len(made)


def _cap_edges(g: nx.MultiDiGraph, max_edges: int) -> nx.MultiDiGraph:
    """Keep max_edges edges: outreach edges first, then country–country edges heaviest first (weight = trade
    value, else n records, else 1); ties broken by ids (deterministic)."""

    def rank(e):
        d = e[3]
        return (d["type"] in COUNTRY_PAIR_TYPES, -(d.get("value_usd_mn") or d.get("n") or 1), e[0], e[1], str(e[2]))

    ranked = sorted(g.edges(keys=True, data=True), key=rank)
    h = copy_graph(g)
    h.remove_edges_from([(u, v, k) for u, v, k, _ in ranked[max_edges:]])
    return h


def aggregate(
    g: nx.MultiDiGraph, max_nodes: int = MAX_NODES, max_edges: int = MAX_EDGES, keep=(), group_by: str = "region"
) -> tuple[nx.MultiDiGraph, str]:
    """Make a view small enough to draw; returns (view, notice saying what was aggregated; '' if nothing).

    In order, each step only while the view is still too big: hide CountryYear/RiskScore/Contact nodes;
    merge Country–Country edges per pair and type (trade values summed); bundle activities by partner × tool,
    then requests by tool, assessments by category and meetings by year (RECORD_GROUPS; each bundle shows its
    count and keeps its links, merged, to the countries it targets); group countries by region (or category);
    keep all outreach edges and the heaviest country–country edges up to max_edges. Node ids of what is not
    grouped never change; bundle and group ids depend only on the values they stand for.
    """
    notes, hide = [], set()
    if g.number_of_nodes() > max_nodes:
        hidden: dict[str, int] = defaultdict(int)
        for n, d in g.nodes(data=True):
            if d["label"] in DETAIL_LABELS:
                hide.add(n)
                hidden[d["label"]] += 1
        if hidden:
            notes.append("hid " + ", ".join(f"{n} {label}" for label, n in sorted(hidden.items())) + " nodes")
    # hiding and merging are worked out on g and applied in one copy (what hide_labels then merge_pair_edges give)
    edges = (
        sum(1 for u, v, _, _ in _edges(g) if u not in hide and v not in hide) if hide else number_of_relationships(g)
    )
    gone, merged_edges = _pair_merges(g, hide) if edges > max_edges else (set(), [])
    if gone:
        notes.append(
            f"merged {len(gone)} country–country relationships into one per pair and kind "
            "(trade values summed over the years)"
        )
    h = _rebuild(g, hide, gone, merged_edges)
    for label, by in RECORD_GROUPS:
        if h.number_of_nodes() <= max_nodes:
            break
        h, grouped, bundles = group_records(h, label, by, keep)
        if grouped:
            notes.append(
                f"bundled {grouped} {RECORD_NAMES[label]} into {bundles} nodes by {' × '.join(by)} "
                "(each shows its count)"
            )
    if h.number_of_nodes() > max_nodes:
        h, grouped = group_countries(h, group_by, keep)
        notes.append(f"grouped {grouped} countries by {group_by} (click a group to expand it)")
    if h.number_of_edges() > max_edges:
        total = h.number_of_edges()
        h = _cap_edges(h, max_edges)
        notes.append(f"showing {max_edges} of {total} relationships (outreach links first, then the heaviest ties)")
    if not notes:
        return h, ""
    return h, (f"Large view (limits: {max_nodes} nodes, {max_edges} relationships): " + "; ".join(notes) + ".")


# ---------------------------------------------------------------------------------------- query results
def result_graph(g: nx.MultiDiGraph, rows: list[dict]) -> nx.MultiDiGraph:
    """A small graph of query rows that name countries: concern_iso3 → iso3 (a tie) or partner(s) → iso3.

    Country nodes are copied from g (unknown codes are left out); one RESULT edge per pair of countries with
    `what` = the rows' tie kinds or tools (sorted, joined) and n = the number of rows behind it.
    """
    pairs: dict[tuple[str, str], list] = defaultdict(list)
    for r in rows:
        if not r.get("iso3"):
            continue
        target = country_id(str(r["iso3"]))
        sources = [r["concern_iso3"]] if r.get("concern_iso3") else []
        partners = r.get("partners") if isinstance(r.get("partners"), list) else []
        sources += [r["partner"]] if isinstance(r.get("partner"), str) and r.get("partner") else partners
        for s in sources:
            u = country_id(str(s))
            if u in g and target in g and u != target:
                pairs[(u, target)].append(str(r.get("tie") or r.get("tool") or ""))
    h = nx.MultiDiGraph()
    for (u, v), what in sorted(pairs.items()):
        for n in (u, v):
            if n not in h:
                h.add_node(n, **dict(g.nodes[n]))
        h.add_edge(u, v, key="result", type="RESULT", what=", ".join(sorted(set(what) - {""})), n=len(what))
    return h


def _node_of(value, keys: dict[str, str]) -> tuple[str, str, dict] | None:
    """(node id, label, properties) of a node a query returned — Ladybug's {_LABEL, _ID, …} or the Neo4j
    worker's {_labels: [...], …} — identified by its label's key; None for anything else."""
    if not isinstance(value, dict):
        return None
    label = value.get("_LABEL") or value.get("_label")
    if label is None and isinstance(value.get("_labels"), list) and len(value["_labels"]) == 1:
        label = value["_labels"][0]
    key = keys.get(label)
    if key is None or value.get(key) is None or "_SRC" in value:
        return None
    props = {k: v for k, v in value.items() if not k.startswith("_")}
    return f"{label}:{value[key]}", label, props


def rows_graph(g: nx.MultiDiGraph, rows: list[dict], keys: dict[str, str]) -> nx.MultiDiGraph:
    """The nodes and relationships query rows returned (`keys`: label → key property, from the schema), as a
    graph to draw: nodes take the graph's own attributes when it has them; a relationship is drawn when both
    its ends are among the returned nodes (Ladybug names them by internal id, Neo4j by the end nodes)."""
    h = nx.MultiDiGraph()
    internal: dict[str, str] = {}
    rels = []
    for r in rows:
        for value in r.values():
            node = _node_of(value, keys)
            if node:
                nid, label, props = node
                if nid not in h:
                    h.add_node(nid, **(dict(g.nodes[nid]) if nid in g else {"label": label, **props}))
                if isinstance(value.get("_ID"), dict):
                    internal[json.dumps(value["_ID"], sort_keys=True)] = nid
            elif isinstance(value, dict) and ("_SRC" in value or "_type" in value):
                rels.append(value)
    for rel in rels:
        if "_SRC" in rel:
            u = internal.get(json.dumps(rel["_SRC"], sort_keys=True))
            v = internal.get(json.dumps(rel["_DST"], sort_keys=True))
            rtype = rel.get("_LABEL")
        else:
            u, v = ((_node_of(rel.get(end), keys) or (None,))[0] for end in ("_start", "_end"))
            rtype = rel.get("_type")
        if u in h and v in h:
            h.add_edge(u, v, type=rtype, **{k: x for k, x in rel.items() if not k.startswith("_")})
    return h


from .vis_html import legend_items, render_html  # noqa: E402, F401  (re-exported: the view module is the entry point)
