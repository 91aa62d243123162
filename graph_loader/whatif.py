"""What-if planning: a copy of the graph with hypothetical planned activities (pure; data/ is never touched).

The Coverage page adds activities an analyst is considering, builds an embedded store for the variant
(graph_loader.stores.embedded.store_for_graph under variant_key) and re-runs the coverage queries on it.
"""

from __future__ import annotations

import hashlib
import json

import networkx as nx

from .graph import graph_attrs, tables

WHATIF_SOURCE = "what-if (analyst's hypothetical plan; not in data/)"
FIELDS = ("partner", "target", "tool", "year", "month")


class WhatIfError(ValueError):
    """A planned activity that cannot be added (unknown partner, country or tool; bad year or month)."""


def planned(activity: dict) -> dict:
    """One planned activity normalised: partner/target ISO3 upper-case, tool id, year int, month int or None."""
    missing = [k for k in ("partner", "target", "tool", "year") if activity.get(k) in (None, "")]
    if missing:
        raise WhatIfError(f"planned activity needs {', '.join(missing)}")
    month = activity.get("month")
    out = {
        "partner": str(activity["partner"]).strip().upper(),
        "target": str(activity["target"]).strip().upper(),
        "tool": str(activity["tool"]).strip(),
        "year": int(activity["year"]),
        "month": int(month) if month not in (None, "") else None,
    }
    if not 1980 <= out["year"] <= 2100:
        raise WhatIfError(f"year {out['year']} is outside 1980–2100")
    if out["month"] is not None and not 1 <= out["month"] <= 12:
        raise WhatIfError(f"month {out['month']} is not 1–12")
    return out


def check_planned(g: nx.MultiDiGraph, a: dict) -> None:
    """WhatIfError unless the partner is a partner country, the target a country and the tool a tool of g."""
    p, t, tool = g.nodes.get(f"Country:{a['partner']}"), g.nodes.get(f"Country:{a['target']}"), f"Tool:{a['tool']}"
    if not p or not p.get("partner"):
        raise WhatIfError(f"{a['partner']} is not a partner country of the graph")
    if not t:
        raise WhatIfError(f"{a['target']} is not a country of the graph")
    if tool not in g:
        raise WhatIfError(f"{a['tool']} is not a tool of the graph")


def activity_id(i: int, a: dict) -> str:
    return f"WHATIF-{i + 1}-{a['partner']}-{a['target']}-{a['tool']}-{a['year']}"


def additions(g: nx.MultiDiGraph, activities: list[dict]) -> tuple[dict[str, dict], list[tuple[str, str, dict]]]:
    """What a plan adds to g: ({node id: attrs} of one planned Activity per entry, [(from, to, attrs)] of its
    CONDUCTS (partner → activity), TARGETS (activity → country) and USES (activity → tool) edges). g is only
    read (each entry is checked against it)."""
    adds = [planned(a) for a in activities]
    for a in adds:
        check_planned(g, a)
    nodes, edges = {}, []
    for i, a in enumerate(adds):
        aid = activity_id(i, a)
        node = f"Activity:{aid}"
        nodes[node] = {
            "label": "Activity",
            "activity_id": aid,
            "title": f"What-if: {a['tool']} for {a['target']} by {a['partner']}",
            "partner": a["partner"],
            "targets": a["target"],
            "tool": a["tool"],
            "status": "planned",
            "year": a["year"],
            "confidence": 1.0,
            "source": WHATIF_SOURCE,
        }
        if a["month"] is not None:
            nodes[node]["month"] = a["month"]
        edges += [
            (f"Country:{a['partner']}", node, {"type": "CONDUCTS"}),
            (node, f"Country:{a['target']}", {"type": "TARGETS"}),
            (node, f"Tool:{a['tool']}", {"type": "USES"}),
        ]
    return nodes, edges


def with_planned(g: nx.MultiDiGraph, activities: list[dict]) -> nx.MultiDiGraph:
    """A COPY of g with the plan's additions (see `additions`)."""
    nodes, edges = additions(g, activities)
    h = g.copy()
    h.add_nodes_from(nodes.items())
    h.add_edges_from(edges)
    h.graph["whatif"] = len(nodes)
    return h


def graph_fingerprint(g: nx.MultiDiGraph) -> str:
    """sha256 (20 hex) of every node and edge with its attributes, in sorted order (same graph → same key)."""
    h = hashlib.sha256()
    for n in sorted(g.nodes):
        h.update(json.dumps([n, g.nodes[n]], sort_keys=True, default=str).encode())
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))):
        h.update(json.dumps([u, v, str(k), d], sort_keys=True, default=str).encode())
    _hash_tables(h, g)
    return h.hexdigest()[:20]


def graph_checksum(g: nx.MultiDiGraph) -> str:
    """sha256 (hex) of the graph's attributes and every node and edge with its attributes, in sorted order:
    equal for equal graphs, different after any change (the app's debug check that the shared graph is never
    mutated by a session)."""
    h = hashlib.sha256(json.dumps(graph_attrs(g), sort_keys=True, default=str).encode())
    for n in sorted(g.nodes):
        h.update(json.dumps([n, g.nodes[n]], sort_keys=True, default=str).encode())
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))):
        h.update(json.dumps([u, v, str(k), d], sort_keys=True, default=str).encode())
    _hash_tables(h, g)
    return h.hexdigest()


def _hash_tables(h, g: nx.MultiDiGraph) -> None:
    """Add the bulk tables' rows to the hash, type by type in row order (a table's rows have one order)."""
    for rtype, table in tables(g).items():
        h.update(rtype.encode())
        for u, v, d in table.edges():
            h.update(json.dumps([u, v, d], sort_keys=True, default=str).encode())


def variant_key(base_fingerprint: str, activities: list[dict]) -> str:
    """Store key of a what-if variant: hash of the base graph's fingerprint and the normalised additions."""
    adds = [planned(a) for a in activities]
    digest = hashlib.sha256(json.dumps([base_fingerprint, adds], sort_keys=True).encode()).hexdigest()[:20]
    return f"whatif-{digest}"
