"""The "who does what where" view: partners → tools → recipients in three columns, for one analysis window.

Built from the coverage library's rows (the caller runs coverage_matrix and coverage_gaps with the context and
passes them in), so it shows what the Coverage page counts:
- left, the partners; middle, the tools; right, the recipients, ordered by risk tier (High first), then by
  their highest gap priority, then by code (the proposal's order of attention);
- partner → tool: the partner delivered (held or planned) the tool somewhere in the window; width grows with
  the number of countries;
- tool → recipient: solid, delivered (its tooltip names who and which activities); orange and thick, an
  overlap (several partners, or more activities than the flooding limit); dashed magenta, a gap (the
  category needs the tool, nothing held or planned); a dotted grey edge, only offered (proposed);
- a recipient's colour is its risk tier (the context's tier source), its tooltip its category, tier and source.
Positions are fixed (no physics): the same rows always give the same picture, labels at 14 px.

At world scale (more than GROUP_ABOVE recipients) the recipients are grouped (by subregion, region or
category: `group_of`) into one node per group, placed where its best-ranked member would stand, coloured by
its highest member tier; each tool → group edge stands for one kind of cell (gap, overlap, delivered, …) and
its width for the number of members with it. A click on a group expands it in place into its members and
their own edges (the `groups` entry of the data, read by vis_html's script); "Regroup" folds them back.
"""

from __future__ import annotations

import math

from .schema import Schema, load_schema
from .vis_html import color, esc

COLUMN_X = {"partner": 0, "tool": 380, "recipient": 760}
ROW = 46  # px between two nodes of a column
FONT = 14
GROUP_ABOVE = 40  # recipients; more than this and the recipient column is grouped


TIER_RANK = {"High": 0, "Medium": 1, "Low": 2}


def _order(matrix: list[dict], gaps: list[dict]) -> list[str]:
    """Recipients by risk tier (High first), then highest gap priority, then code: the proposal's order of
    attention (a High-tier country with nothing missing still comes before a Low-tier one with gaps)."""
    best: dict[str, float] = {}
    for r in gaps:
        best[r["iso3"]] = max(best.get(r["iso3"], 0.0), r.get("priority") or 0.0)
    tier = {r["iso3"]: TIER_RANK.get(r.get("risk_tier"), 3) for r in matrix}
    return sorted({r["iso3"] for r in matrix}, key=lambda i: (tier[i], -best.get(i, 0.0), i))


def _column(ids: list[str]) -> dict[str, float]:
    top = -(len(ids) - 1) * ROW / 2
    return {n: top + i * ROW for i, n in enumerate(ids)}


def view_data(
    matrix: list[dict], gaps: list[dict], schema: Schema | None = None, group_of: dict[str, str] | None = None
) -> dict:
    """{nodes, edges, options, legend} for vis-network (see the module docstring); with `group_of` (recipient
    iso3 → group name) the recipients are grouped, and {groups, layout, row} say how each group expands."""
    data = _ungrouped(matrix, gaps, schema)
    return _grouped(data, matrix, group_of) if group_of else data


def _ungrouped(matrix: list[dict], gaps: list[dict], schema: Schema | None) -> dict:
    styles = (schema or load_schema()).styles
    tier_colors = styles.get("tier_colors", {})
    recipients = _order(matrix, gaps)
    names = {r["iso3"]: r["country"] for r in matrix}
    rows = {(r["iso3"], r["tool"]): r for r in matrix}
    partners = sorted({p for r in matrix for p in (r.get("partners") or [])})
    tools = sorted({r["tool"] for r in matrix})
    priority = {}
    for r in gaps:
        priority[r["iso3"]] = max(priority.get(r["iso3"], 0.0), r.get("priority") or 0.0)
    nodes = []
    for kind, ids in (("partner", partners), ("tool", tools), ("recipient", recipients)):
        ys = _column(ids)
        for n in ids:
            nodes.append(_node(kind, n, ys[n], names, rows, priority, tier_colors))
    edges = []
    reach: dict[tuple[str, str], set] = {}
    for (iso3, tool), r in sorted(rows.items()):
        for p in r.get("partners") or []:
            reach.setdefault((p, tool), set()).add(iso3)
        edges.append(_cell_edge(r, styles))
    for (p, tool), countries in sorted(reach.items()):
        edges.append(
            {
                "from": f"partner:{p}",
                "to": f"tool:{tool}",
                "width": min(8, 1 + len(countries) / 2),
                "color": {"color": "#7a7a7a"},
                "arrows": "to",
                "title": f"<b>{esc(p)}</b> delivers {esc(tool)} to {len(countries)} countries: "
                f"{esc(', '.join(sorted(countries)))}",
            }
        )
    edges = [e for e in edges if e is not None]
    for i, e in enumerate(edges):
        e["id"] = f"w{i}"
    return {"nodes": nodes, "edges": edges, "options": OPTIONS, "legend": legend(styles)}


def _grouped(data: dict, matrix: list[dict], group_of: dict[str, str]) -> dict:
    """`data` with its recipients folded into groups: a group node per group name in the recipient column
    (ordered by its best-ranked member), tool → group edges per cell kind (width 1 + log2(members), at most
    8 px; a gap stays dashed), and
    `groups` = {group id: {nodes, edges}} — the members and their edges, for the click that expands it."""
    tiers = {r["iso3"]: r.get("risk_tier") for r in matrix}
    recipients = [n for n in data["nodes"] if n["id"].startswith("recipient:")]
    others = [n for n in data["nodes"] if not n["id"].startswith("recipient:")]
    members: dict[str, list[dict]] = {}
    for n in recipients:  # already in the order of attention
        members.setdefault(group_of.get(n["search"], "other"), []).append(n)
    ys = _column([f"group:{name}" for name in members])
    groups, nodes, expand = {}, list(others), {}
    for name, ms in members.items():
        gid = f"group:{name}"
        groups.update({m["id"]: gid for m in ms})
        nodes.append(_group_node(gid, name, ms, tiers, ys[gid]))
        expand[gid] = {"nodes": ms, "edges": []}
    edges, folded = [], {}
    for e in data["edges"]:
        gid = groups.get(e["to"])
        if gid is None:
            edges.append(e)
            continue
        expand[gid]["edges"].append(e)
        kind = e["kind"]
        folded.setdefault((e["from"], gid, kind), {**e, "id": f"g{len(folded)}", "to": gid, "n": 0, "who": []})
        folded[(e["from"], gid, kind)]["n"] += 1
        folded[(e["from"], gid, kind)]["who"].append(e["to"].split(":", 1)[1])
    for (tool, _gid, kind), e in sorted(folded.items()):
        who = e.pop("who")
        e["width"] = round(min(8.0, 1 + math.log2(e.pop("n"))), 2)
        e["title"] = f"<b>{esc(kind)}</b>: {esc(tool.split(':', 1)[1])} for {len(who)} of them — {esc(', '.join(who))}"
        edges.append(e)
    return {**data, "nodes": nodes, "edges": edges, "groups": expand, "layout": "column", "row": ROW}


def _group_node(gid: str, name: str, members: list[dict], tiers: dict, y: float) -> dict:
    """One group of recipients: its name and count, coloured like its highest-tier member."""
    best = members[0]  # the first in the order of attention has the highest tier
    isos = [m["search"] for m in members]
    count = {t: sum(1 for i in isos if tiers.get(i) == t) for t in TIER_RANK}
    shares = " · ".join(f"{t} {c}" for t, c in count.items() if c)
    return {
        "id": gid,
        "x": COLUMN_X["recipient"],
        "y": y,
        "label": f"{name} ({len(members)}) ▸",
        "shape": "box",
        "widthConstraint": {"minimum": 150},
        "color": best["color"],
        "font": {**best["font"], "size": FONT},
        "borderWidth": 3,
        "search": name,
        "title": f"<b>{esc(name)}</b>: {len(members)} recipients ({esc(shares or 'no tier')})<br>"
        f"{esc(', '.join(isos))}<br><i>click to expand</i>",
    }


def _node(kind: str, n: str, y: float, names: dict, rows: dict, priority: dict, tier_colors: dict) -> dict:
    node = {"id": f"{kind}:{n}", "x": COLUMN_X[kind], "y": y, "font": {"size": FONT}, "search": n, "borderWidth": 1}
    if kind == "partner":
        node.update(
            label=n,
            shape="box",
            color={"background": "#1a9850", "border": "#0b5d2d"},
            font={"size": FONT, "color": "#ffffff"},
            title=f"<b>{esc(n)}</b> (partner)",
        )
    elif kind == "tool":
        node.update(
            label=n.replace("_", " "),
            shape="box",
            color={"background": "#e8f4e8", "border": "#59a14f"},
            title=f"<b>{esc(n)}</b> (tool)",
        )
    else:
        cells = [r for (i, _), r in rows.items() if i == n]
        tier = cells[0].get("risk_tier") if cells else None
        source = cells[0].get("tier_source") if cells else None
        category = cells[0].get("category") if cells else None
        gaps = sorted(r["tool"] for r in cells if r["cell"] == "gap")
        node.update(
            label=f"{names.get(n, n)} ({n})",
            shape="box",
            widthConstraint={"minimum": 150},
            color={"background": color(tier_colors.get(tier), "#bbbbbb"), "border": "#444444"},
            font={"size": FONT, "color": "#ffffff" if tier == "High" else "#111111"},
            title=(
                f"<b>{esc(names.get(n, n))}</b> ({esc(n)})<br>category {esc(category)} · tier "
                f"{esc(tier or '—')} ({esc(source or 'model')})<br>highest gap priority "
                f"{priority.get(n, 0.0):.1f}<br>gaps: {esc(', '.join(gaps) or 'none')}"
            ),
        )
    return node


def _cell_edge(r: dict, styles: dict) -> dict | None:
    kind = "offered" if r["cell"] not in ("gap", "overlap", "unconfirmed", "delivered", "extra") else r["cell"]
    base = {"from": f"tool:{r['tool']}", "to": f"recipient:{r['iso3']}", "arrows": "to", "kind": kind}
    who = ", ".join(r.get("partners") or [])
    acts = ", ".join(r.get("activities") or [])
    if r["cell"] == "gap":
        return {
            **base,
            "dashes": True,
            "width": 2,
            "color": {"color": color(styles.get("gap_color"))},
            "title": f"<b>gap</b>: {esc(r['country'])} needs {esc(r['tool'])} ({esc(r.get('requirement'))}); "
            "nothing held or planned",
        }
    if r["cell"] == "overlap":
        return {
            **base,
            "width": 5,
            "color": {"color": color(styles.get("overlap_color"))},
            "title": f"<b>overlap</b>: {esc(who)} — {r['n_activities']} activities: {esc(acts)}",
        }
    if r["cell"] in ("delivered", "extra", "unconfirmed"):
        return {
            **base,
            "width": 2,
            "color": {"color": "#4e79a7" if r["cell"] != "unconfirmed" else "#d4b000"},
            "dashes": r["cell"] == "unconfirmed",
            "title": f"<b>{esc(r['cell'])}</b> by {esc(who)}: {esc(acts)}",
        }
    if r.get("n_proposed"):
        return {
            **base,
            "width": 1,
            "dashes": [2, 6],
            "color": {"color": "#aaaaaa"},
            "title": f"<b>offered only</b>: {r['n_proposed']} proposed",
        }
    return None


OPTIONS = {
    "physics": {"enabled": False},
    "layout": {"hierarchical": False},
    "interaction": {"hover": True, "tooltipDelay": 120, "dragNodes": True},
    "nodes": {"font": {"size": FONT, "face": "system-ui, sans-serif"}},
    "edges": {
        "smooth": {"enabled": True, "type": "cubicBezier", "forceDirection": "horizontal", "roundness": 0.4},
        "selectionWidth": 2,
    },
}


def legend(styles: dict) -> list[dict]:
    tiers = styles.get("tier_colors", {})
    return (
        [{"section": "Columns", "name": "partner → tool → recipient", "color": "#1a9850"}]
        + [{"section": "Recipients by risk tier", "name": t, "color": c} for t, c in tiers.items()]
        + [
            {"section": "Edges", "name": "delivered (held or planned)", "color": "#4e79a7"},
            {
                "section": "Edges",
                "name": "gap: needed, nothing held or planned (dashed)",
                "color": styles.get("gap_color", "#ff00ff"),
            },
            {"section": "Edges", "name": "overlap (flooding)", "color": styles.get("overlap_color", "#ff7f00")},
            {"section": "Edges", "name": "unconfirmed (low confidence, dashed)", "color": "#d4b000"},
            {"section": "Edges", "name": "offered only (dotted)", "color": "#aaaaaa"},
        ]
    )
