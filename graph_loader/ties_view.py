"""The ties view: how strongly countries are tied to each other and to the nations of concern in one year, for
exposure — read from the dyadic data that risk scoring reads (risk.RiskInputs), not from the entity graph.

Strength of one kind of tie between a and b, in [0, 1]:
  trade     volume of trade a↔b both ways on the risk model's log scale: 100 USD mn → 0, 300 bn → 1
  border    contiguity in force: land 1.0, sea ≤12 mi 0.8, ≤24 mi 0.7, ≤150 mi 0.5, ≤400 mi 0.3
  alliance  defense/offense 1.0, neutrality/consultation 0.6, non-aggression 0.3 (last data year carried forward)
  igo       shared intergovernmental organisations / 80 (last data year carried forward)
  language  1 common official language, 0.5 ethnic only;  colonial  1 colony or same country, 0.5 common coloniser
strength of the pair = Σ_k w_k · s_k with w = trade 0.40, border 0.20, alliance 0.15, igo 0.10, language 0.075,
colonial 0.075 (the exposure model's order: goods moving first, then reach, then affinity), in [0, 1].
The strongest path between two countries maximises the product of the strengths along it (Dijkstra on
−ln strength), so a path through one strong trade partner beats two hops through weak IGO links.
"""

from __future__ import annotations

import math

import networkx as nx

from .risk import CONTIG_STRENGTH, RiskInputs, pair, volume_n

WEIGHTS = {"trade": 0.40, "border": 0.20, "alliance": 0.15, "igo": 0.10, "language": 0.075, "colonial": 0.075}


def _latest(table: dict, year: int) -> dict:
    """The year's entries, or the last earlier year's (ATOP ends 2018, COW IGO 2014)."""
    if year in table:
        return table[year]
    earlier = [y for y in table if y < year]
    return table[max(earlier)] if earlier else {}


def tie_strengths(inp: RiskInputs, year: int, countries: set[str]) -> dict[frozenset, dict[str, float]]:
    """{pair: {kind: strength}} of every pair of `countries` with at least one tie in `year` (see module doc)."""
    out: dict[frozenset, dict[str, float]] = {}

    def put(a: str, b: str, kind: str, value: float) -> None:
        if a != b and a in countries and b in countries and value > 0:
            kinds = out.setdefault(pair(a, b), {})
            kinds[kind] = max(kinds.get(kind, 0.0), value)

    flows: dict[frozenset, float] = {}
    for (a, b), v in inp.trade.get(year, {}).items():
        flows[pair(a, b)] = flows.get(pair(a, b), 0.0) + (v or 0.0)
    for p, v in flows.items():
        put(*sorted(p), "trade", volume_n(v))
    for a, b, kind, start, end in inp.contig:
        if (start is None or start <= year) and (end is None or end >= year):
            put(a, b, "border", CONTIG_STRENGTH.get(kind, 0.0))
    for p, v in _latest(inp.alliances, year).items():
        put(*sorted(p), "alliance", v)
    for p, v in _latest(inp.igos, year).items():
        put(*sorted(p), "igo", min(1.0, v / 80))
    for table, kind in ((inp.language, "language"), (inp.colonial, "colonial")):
        for p, v in table.items():
            put(*sorted(p), kind, v)
    return out


def strength(kinds: dict[str, float]) -> float:
    """Σ w_k · s_k over the pair's kinds of tie (a kind it lacks counts 0)."""
    return sum(WEIGHTS[k] * s for k, s in kinds.items())


def ties_graph(inp: RiskInputs, year: int, countries: set[str], min_strength: float = 0.0) -> nx.Graph:
    """Countries as nodes, one edge per pair whose strength ≥ min_strength (attributes: strength, kinds)."""
    g = nx.Graph()
    g.add_nodes_from(sorted(countries))
    for p, kinds in sorted(tie_strengths(inp, year, countries).items(), key=lambda kv: sorted(kv[0])):
        s = strength(kinds)
        if s >= min_strength:
            a, b = sorted(p)
            g.add_edge(a, b, strength=s, kinds=dict(sorted(kinds.items())), cost=-math.log(max(s, 1e-9)))
    return g


def strongest_path(g: nx.Graph, a: str, b: str) -> list[str] | None:
    """The path from a to b whose product of strengths is largest (None when they are not connected)."""
    try:
        return nx.dijkstra_path(g, a, b, weight="cost")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None


def view_data(
    g: nx.Graph,
    names: dict[str, str],
    roles: dict[str, str],
    path: list[str] | None = None,
    colors: dict[str, str] | None = None,
) -> dict:
    """{nodes, edges, options} for vis-network: nations of concern black, partners green, recipients by
    `colors` (e.g. their tier); edge width 1 + 7 × strength; the path in purple. Countries without a tie in g
    are left out (the caller lists them)."""
    colors = colors or {}
    on_path = set(zip(path, path[1:])) | set(zip(path[1:], path)) if path else set()
    g = g.subgraph([n for n in g.nodes if g.degree(n)])  # countries with no tie above the floor are listed, not drawn
    k = 2.5 / math.sqrt(max(g.number_of_nodes(), 1))
    pos = nx.spring_layout(g, weight="strength", seed=7, scale=450, k=k, iterations=120) if g.number_of_nodes() else {}
    role_color = {"concern": "#000000", "partner": "#1a9850"}
    nodes = [
        {
            "id": n,
            "label": n,
            "x": float(pos[n][0]),
            "y": float(pos[n][1]),
            "shape": "dot",
            "size": 18 if roles.get(n) == "concern" else 12,
            "font": {"size": 14},
            "color": {
                "background": role_color.get(roles.get(n), colors.get(n, "#4e79a7")),
                "border": "#7b3294" if path and n in path else "#333333",
            },
            "borderWidth": 4 if path and n in path else 1,
            "search": n,
            "title": f"<b>{names.get(n, n)}</b> ({n}), {roles.get(n, 'other')}",
        }
        for n in sorted(g.nodes)
    ]
    edges = []
    for i, (a, b, d) in enumerate(sorted(g.edges(data=True))):
        kinds = ", ".join(f"{k} {v:.2f}" for k, v in d["kinds"].items())
        hot = (a, b) in on_path
        edges.append(
            {
                "id": f"t{i}",
                "from": a,
                "to": b,
                "width": round(1 + 7 * d["strength"], 2),
                "color": {"color": "#7b3294" if hot else "#9aa7b8", "opacity": 1.0 if hot else 0.7},
                "title": f"<b>{a}–{b}</b>: strength {d['strength']:.2f}<br>{kinds}",
            }
        )
    return {
        "nodes": nodes,
        "edges": edges,
        "options": {
            "physics": {"enabled": False},
            "interaction": {"hover": True, "tooltipDelay": 120},
            "edges": {"smooth": False},
        },
    }


LEGEND = [
    {"section": "Countries", "name": "nation of concern", "color": "#000000", "shape": "dot"},
    {"section": "Countries", "name": "partner", "color": "#1a9850", "shape": "dot"},
    {"section": "Countries", "name": "recipient (colour: risk tier)", "color": "#4e79a7", "shape": "dot"},
    {"section": "Ties", "name": "width = 1 + 7 × strength", "color": "#9aa7b8", "shape": "box"},
    {"section": "Ties", "name": "strongest path", "color": "#7b3294", "shape": "box"},
]
