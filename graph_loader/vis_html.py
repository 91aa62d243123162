"""Self-contained vis-network HTML for a view graph (pure; no Streamlit, no network access).

The vis-network 9.1.2 JS/CSS bundled in the pyvis package are inlined (pyvis's own template fetches
bootstrap and vis from CDNs, so it is not used); URLs inside their licence comments and error texts are
reduced to plain text. Every value from data reaches the page escaped (html.escape, and "://" written as
"&#58;//" so no fetchable URL literal appears), inside a JSON block with <, > and & escaped.
Positions come from a seeded spring layout (of at most SPRING_MAX nodes: networkx needs scipy above that);
vis physics then stabilises once and is switched off, so the same inputs always give the same page and nothing
jumps. Bundles of records made by network_view.aggregate are drawn in their records' style, with their count.
"""

from __future__ import annotations

import html
import json
import math
import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import networkx as nx

from .schema import Schema, load_schema

SEED = 7
PATH_COLOR = "#6a3d9a"  # tie path (not a data style, so not in schema.yaml)
EDGE_COLOR = "#9a9a9a"
PAIR_TYPES = (
    "TRADES_WITH",
    "CONTIGUOUS",
    "ALLIED_WITH",
    "SHARES_IGO",
    "LANGUAGE_TIE",
    "COLONIAL_TIE",
    "HISTORICAL_TIE",
    "DISTANCE",
    "RIVALRY",
)
NAME_PROPS = ("name", "title")
_COLOR = re.compile(r"^#[0-9a-fA-F]{3,8}$")


def esc(value) -> str:
    """Text for HTML: escaped, with "://" written as an entity (shows the same, fetches nothing)."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = f"{value:.3f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)
    elif isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return html.escape(str(value), quote=True).replace("://", "&#58;//")


def safe_json(obj) -> str:
    """JSON that can sit inside <script> (no </script>, no comment openers, no URL literal)."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("://", ":\\/\\/")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def color(value: str | None, fallback: str = "#969696") -> str:
    return value if isinstance(value, str) and _COLOR.match(value) else fallback


# ------------------------------------------------------------------------------------------------ assets
def _strip_urls(text: str) -> str:
    text = text.replace('"http://www.w3.org/2000/svg"', '"ht"+"tp:"+"/"+"/www.w3.org/2000/svg"')
    text = re.sub(r"//# sourceMappingURL=\S*", "", text)
    return re.sub(r"https?://", "", text)


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """(css, js) of vis-network 9.1.2 from the pyvis package, with every URL literal removed."""
    spec = find_spec("pyvis")  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pyvis package (which bundles vis-network) is not installed")
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib" / "vis-9.1.2"
    css = _strip_urls((lib / "vis-network.css").read_text(encoding="utf-8"))
    js = _strip_urls((lib / "vis-network.min.js").read_text(encoding="utf-8"))
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError("vis-network assets cannot be inlined safely")
    return css, js


VIEW_CSS = """
.og-view{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:13px;position:relative}
.og-bar{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin:0 0 4px 0}
.og-bar input{width:240px;padding:3px 6px;font-size:13px}
.og-bar button{font-size:13px;padding:2px 8px}
.og-status{color:#555}
.og-notice{background:#fff4ce;border:1px solid #e0c36a;padding:4px 8px;margin:0 0 4px 0}
.og-canvas{border:1px solid #ddd;background:#fff;width:100%}
.og-legend{position:absolute;top:36px;right:6px;background:rgba(255,255,255,.94);border:1px solid #ccc;
 padding:2px 6px;max-width:230px;max-height:80%;overflow:auto;font-size:11px;line-height:1.25;z-index:5}
.og-legend ul{list-style:none;margin:2px 0 6px 0;padding:0}
.og-legend li{margin:1px 0}
.og-sw{display:inline-block;width:11px;height:11px;border:1px solid #555;margin-right:5px;vertical-align:middle}
.og-tip{max-width:440px;white-space:normal;font-size:12px;line-height:1.35}
.og-legend.og-below{position:static;max-width:none;max-height:none;margin-top:4px}
.og-legend.og-below ul{display:flex;flex-wrap:wrap;gap:2px 14px}
.og-empty{padding:40px;color:#666}
"""

VIEW_JS = """
window.ogRender = function (rootId) {
  var root = document.getElementById(rootId);
  var data = JSON.parse(root.querySelector("script.og-data").textContent);
  var status = root.querySelector(".og-status");
  if (!data.nodes.length) { status.textContent = "No nodes match the current filters."; return; }
  var tip = function (h) { var el = document.createElement("div"); el.className = "og-tip"; el.innerHTML = h; return el; };
  data.nodes.forEach(function (n) { if (n.title) { n.title = tip(n.title); } });
  data.edges.forEach(function (e) { if (e.title) { e.title = tip(e.title); } });
  var nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
  var net = new vis.Network(root.querySelector(".og-canvas"), {nodes: nodes, edges: edges}, data.options);
  root.ogNetwork = net;  // for checks from the page (e.g. the drawn scale of the labels)
  if (data.options.physics && data.options.physics.enabled) {
    net.once("stabilizationIterationsDone", function () {
      net.setOptions({physics: {enabled: false}}); net.fit(); status.textContent = "";
    });
  } else { net.fit(); status.textContent = ""; }
  // a click on a node shows it with its neighbours only; a click on it again (or on the canvas) shows all
  var focused = null;
  var showAll = function () {
    nodes.update(nodes.getIds().map(function (id) { return {id: id, hidden: false}; })); focused = null;
    status.textContent = "";
  };
  // groups (world scale): a click on a group node puts its members and their edges in its place; an edge to a
  // member of a group still folded goes to that group (one per pair and kind); "Regroup" restores the view
  var groups = data.groups || {}, memberOf = {}, extra = 0;
  var initial = {nodes: data.nodes.map(function (n) { return Object.assign({}, n); }),
                 edges: data.edges.map(function (e) { return Object.assign({}, e); })};
  Object.keys(groups).forEach(function (gid) {
    groups[gid].nodes.forEach(function (m) { memberOf[m.id] = gid; if (typeof m.title === "string") { m.title = tip(m.title); } });
    groups[gid].edges.forEach(function (e) { if (typeof e.title === "string") { e.title = tip(e.title); } });
  });
  var present = function (x) { if (nodes.get(x)) { return x; } var h = memberOf[x]; return h && nodes.get(h) ? h : null; };
  var expand = function (gid) {
    var g = groups[gid], at = net.getPosition(gid), k = g.nodes.length, pos = net.getPositions();
    if (focused !== null) { showAll(); }
    if (data.layout === "column") {  // make room below the group in its column
      nodes.update(Object.keys(pos).filter(function (n) { return n !== gid && Math.abs(pos[n].x - at.x) < 1 && pos[n].y > at.y; })
        .map(function (n) { return {id: n, x: pos[n].x, y: pos[n].y + (k - 1) * data.row}; }));
    }
    edges.remove(net.getConnectedEdges(gid)); nodes.remove(gid);
    var r = 40 + 6 * k;
    nodes.add(g.nodes.map(function (m, i) {
      var p = data.layout === "column" ? {x: at.x, y: at.y + i * data.row}
        : {x: at.x + r * Math.cos(2 * Math.PI * i / k), y: at.y + r * Math.sin(2 * Math.PI * i / k)};
      return Object.assign({}, m, p, {hidden: false});
    }));
    var seen = {};
    g.edges.forEach(function (e) {
      var f = present(e.from), t = present(e.to);
      if (f === null || t === null || f === t) { return; }
      if (f === e.from && t === e.to) { if (!edges.get(e.id)) { edges.add(Object.assign({}, e)); } return; }
      var key = f + "|" + t + "|" + (e.kind || "");
      if (seen[key]) { return; }
      seen[key] = true; extra += 1;
      edges.add(Object.assign({}, e, {id: "x" + extra, from: f, to: t}));
    });
    status.textContent = "Expanded " + (g.name || gid) + " into " + k + " nodes; \u201cRegroup\u201d folds the groups again.";
  };
  if (Object.keys(groups).length) {
    var regroup = document.createElement("button");
    regroup.type = "button"; regroup.className = "og-regroup"; regroup.textContent = "Regroup";
    root.querySelector(".og-bar").appendChild(regroup);
    regroup.addEventListener("click", function () {
      nodes.clear(); edges.clear(); focused = null; status.textContent = "";
      nodes.add(initial.nodes.map(function (n) { return Object.assign({}, n); }));
      edges.add(initial.edges.map(function (e) { return Object.assign({}, e); })); net.fit();
    });
  }
  net.on("click", function (ev) {
    if (ev.nodes.length && groups[ev.nodes[0]] && nodes.get(ev.nodes[0])) { expand(ev.nodes[0]); return; }
    if (!ev.nodes.length || ev.nodes[0] === focused) { if (focused !== null) { showAll(); } return; }
    var id = ev.nodes[0], keep = {};
    keep[id] = true; net.getConnectedNodes(id).forEach(function (n) { keep[n] = true; });
    nodes.update(nodes.getIds().map(function (n) { return {id: n, hidden: !keep[n]}; }));
    focused = id; status.textContent = "Showing one node and its neighbours; click it again to show all.";
  });
  var input = root.querySelector(".og-search"), list = root.querySelector("datalist"), index = {};
  var searchable = data.nodes.slice();
  Object.keys(groups).forEach(function (gid) { searchable = searchable.concat(groups[gid].nodes); });
  searchable.forEach(function (n) {
    var o = document.createElement("option"); o.value = n.search; list.appendChild(o);
    index[n.search.toLowerCase()] = n.id;
  });
  var focus = function () {
    var q = input.value.trim().toLowerCase(), id = index[q];
    if (!q) { return; }
    if (id === undefined) {
      var keys = Object.keys(index).sort();
      for (var i = 0; i < keys.length; i++) { if (keys[i].indexOf(q) >= 0) { id = index[keys[i]]; break; } }
    }
    if (id === undefined) { status.textContent = "No node matches \\u201c" + input.value + "\\u201d."; return; }
    if (!nodes.get(id) && memberOf[id] && nodes.get(memberOf[id])) { expand(memberOf[id]); }
    status.textContent = ""; net.selectNodes([id]); net.focus(id, {scale: 1.4, animation: {duration: 400}});
  };
  root.querySelector(".og-go").addEventListener("click", focus);
  root.querySelector(".og-fit").addEventListener("click", function () { net.fit(); });
  input.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { focus(); } });
  // year playback: activities appear year by year (the others stay); the last step shows them all
  var years = data.playback || [];
  if (years.length > 1) {
    var bar = root.querySelector(".og-bar"), play = document.createElement("button"), label = document.createElement("span");
    play.type = "button"; play.className = "og-play"; play.textContent = "\u25b6 Play activities by year";
    label.className = "og-year"; bar.appendChild(play); bar.appendChild(label);
    var timer = null, step = 0;
    var upTo = function (y) {
      nodes.update(data.nodes.filter(function (n) { return n.year !== undefined; })
        .map(function (n) { return {id: n.id, hidden: y !== null && n.year > y}; }));
      label.textContent = y === null ? "" : "activities up to " + y;
    };
    play.addEventListener("click", function () {
      if (timer) { clearInterval(timer); timer = null; upTo(null); play.textContent = "\u25b6 Play activities by year"; return; }
      step = 0; play.textContent = "\u25a0 Stop"; upTo(years[0]);
      timer = setInterval(function () {
        step += 1;
        if (step >= years.length) { clearInterval(timer); timer = null; upTo(null);
          play.textContent = "\u25b6 Play activities by year"; return; }
        upTo(years[step]);
      }, 900);
    });
  }
};
"""


def head_assets() -> str:
    """<style>/<script> elements every page with views needs once, in its <head>."""
    css, js = vis_assets()
    return f"<style>{css}</style>\n<style>{VIEW_CSS}</style>\n<script>{js}</script>\n<script>{VIEW_JS}</script>"


# ------------------------------------------------------------------------------------------------ nodes
def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _bundle(d: dict) -> bool:
    """A bundle of records made by network_view.group_records (label "<Label>Group", `of` = that label)."""
    return d["label"] != "Group" and d["label"].endswith("Group") and "of" in d


def _spec(d: dict, schema: Schema):
    """The schema node spec a node is drawn with: its own label's, or for a bundle that of its members."""
    return schema.nodes.get(d["of"] if _bundle(d) else d["label"])


def node_text(n: str, d: dict, schema: Schema) -> str:
    """The label drawn on the canvas: ISO3 for countries; activities and requests by their short title or
    summary (an id like JPN-BC-2008-KOR-03 says little); tools, meetings, topics, contacts by name; else the key."""
    label = d["label"]
    if label == "Group":
        return f"{d['name']} ({len(d['members'])})"
    if _bundle(d):
        return f"{_short(str(d['name']), 34)} ({d['n']})"
    if label == "Category":
        return f"Category {d.get('category')}"
    if label in ("Tool", "Meeting", "Topic", "Contact"):
        return _short(str(d.get("name", n.split(":", 1)[1])))
    if label in ("Activity", "Request") and (d.get("title") or d.get("summary")):
        return _short(str(d.get("title") or d.get("summary")), 32)
    spec = schema.nodes.get(label)
    return _short(str(d.get(spec.key) if spec and d.get(spec.key) is not None else n.split(":", 1)[1]))


def node_color(d: dict, styles: dict, schema: Schema) -> str:
    """Recipients by maturity category colour; other countries by role colour; other kinds by their style."""
    if d["label"] == "Group":
        return color(styles.get("role_colors", {}).get("other"))
    if d["label"] != "Country":
        spec = _spec(d, schema)
        return color(spec.style.get("color") if spec else None)
    roles = styles.get("role_colors", {})
    if d.get("recipient") and not d.get("concern") and d.get("category") is not None:
        return color(styles.get("category_colors", {}).get(str(d["category"])))
    role = next((r for r in ("concern", "partner", "recipient") if d.get(r)), "other")
    return color(roles.get(role))


def node_size(d: dict, styles: dict, schema: Schema) -> float:
    """Country: base + scale × risk_score (styles.country_size); Group: base + 2 × members; a bundle of records:
    its members' style size + 4 × log2(members), at most 3 × that size; else its style."""
    cs = styles.get("country_size", {"base": 12, "scale": 30})
    if d["label"] == "Group":
        return cs["base"] + 2 * len(d["members"])
    if _bundle(d):
        spec = _spec(d, schema)
        base = float(spec.style.get("size", 10)) if spec else 10.0
        return round(min(3 * base, base + 4 * math.log2(max(1, d["n"]))), 2)
    if d["label"] != "Country":
        spec = schema.nodes.get(d["label"])
        return float(spec.style.get("size", 10)) if spec else 10.0
    score = d.get("risk_score")
    ok = isinstance(score, (int, float)) and math.isfinite(score)
    return round(cs["base"] + (cs["scale"] * score if ok else 0), 2)


def _lines(items) -> str:
    return "<br>".join(f"<b>{esc(k)}</b>: {esc(v)}" for k, v in items if v not in (None, "", []))


def node_tooltip(n: str, d: dict, schema: Schema) -> str:
    """Facts of the node (schema order) with their source, markers for gaps/overlaps; all escaped."""
    spec = schema.nodes.get(d["label"])
    name = next((d[p] for p in NAME_PROPS if d.get(p)), n.split(":", 1)[1])
    props = list(spec.props) if spec else sorted(k for k in d if not k.startswith("_"))
    facts = [
        (p, _short(str(d[p]), 240) if isinstance(d.get(p), str) else d.get(p))
        for p in props
        if p not in ("source", "name", "title") and p in d
    ]
    if d["label"] == "Group":
        facts = [("grouped by", d["by"]), ("countries", d["members"])]
    if _bundle(d):
        shown = d["members"][:12] + (["…"] if len(d["members"]) > 12 else [])
        facts = [
            ("bundled by", d["by"]),
            (d["of"] + " records", d["n"]),
            ("years", d.get("years")),
            ("status", d.get("statuses")),
            ("e.g.", shown),
        ]
    marks = [
        ("coverage gaps (tools)", d.get("_gaps")),
        ("partner overlap (tools)", d.get("_overlaps")),
        ("overlapping activity", "yes" if d.get("_overlap") else None),
    ]
    body = _lines(facts[:24] + marks)
    src = f"<br><i>source: {esc(d['source'])}</i>" if d.get("source") else ""
    return f"<b>{esc(d['label'])}: {esc(name)}</b><br>{body}{src}"


def vis_node(n: str, d: dict, styles: dict, schema: Schema, pos: tuple[float, float]) -> dict:
    text = node_text(n, d, schema)
    spec = _spec(d, schema)
    fill = node_color(d, styles, schema)
    border, width = "#444444", 1
    if d.get("_path"):
        border, width = PATH_COLOR, 4
    if d.get("_overlaps") or d.get("_overlap"):
        border, width = color(styles.get("overlap_color")), 4
    if d.get("_gaps"):
        border, width = color(styles.get("gap_color")), 5
    name = next((d[p] for p in NAME_PROPS if d.get(p)), "")
    node = {
        "id": n,
        "label": text,
        "title": node_tooltip(n, d, schema),
        "x": round(pos[0], 1),
        "y": round(pos[1], 1),
        "shape": (spec.style.get("shape", "dot") if spec else "dot"),
        "size": node_size(d, styles, schema),
        "color": {"background": fill, "border": border, "highlight": {"background": fill, "border": "#000000"}},
        "borderWidth": width,
        "search": f"{text} — {name}" if name and name != text else text,
    }
    if d.get("_focus"):
        node["font"] = {"size": 18, "bold": True}
    if d["label"] == "Activity" and isinstance(d.get("year"), int):
        node["year"] = d["year"]  # read by the year playback
    return node


# ------------------------------------------------------------------------------------------------ edges
def edge_tooltip(d: dict) -> str:
    facts = [(k, v) for k, v in sorted(d.items()) if k not in ("type", "source") and not k.startswith("_")]
    src = f"<br><i>source: {esc(d['source'])}</i>" if d.get("source") else ""
    return f"<b>{esc(d['type'])}</b>{' (merged)' if d.get('_merged') else ''}<br>{_lines(facts)}{src}"


def edge_width(d: dict) -> float:
    """1 + log10(1 + trade USD mn)/2 for trade, 1 + log10(n) for merged records, else 1 (capped at 8)."""
    if d.get("value_usd_mn") is not None:
        return round(min(8.0, 1 + math.log10(1 + d["value_usd_mn"]) / 2), 2)
    return round(min(8.0, 1 + math.log10(d.get("n", 1))), 2)


def vis_edge(i: int, u: str, v: str, d: dict, styles: dict) -> dict:
    col, width = EDGE_COLOR, edge_width(d)
    if d.get("_overlap"):
        col, width = color(styles.get("overlap_color")), 3
    if d.get("_path"):
        col, width = PATH_COLOR, 4
    return {
        "id": f"e{i}",
        "from": u,
        "to": v,
        "title": edge_tooltip(d),
        "width": width,
        "color": {"color": col, "highlight": "#000000"},
        "dashes": d["type"] == "RIVALRY",
        "arrows": "" if d["type"] in PAIR_TYPES else "to",
    }


# ----------------------------------------------------------------------------------------------- layout
# networkx's spring_layout needs scipy from 500 nodes on (scipy is not a dependency): at most this many nodes are
# laid out by it. Views are aggregated to network_view.MAX_NODES (400) by default; a larger view (the Network page
# lets the analyst raise the limit) lays out its best-connected SPRING_MAX nodes and puts every other node next to
# a placed neighbour (or on an outer ring); vis physics then stabilises the whole.
SPRING_MAX = 499


def positions(view: nx.MultiDiGraph, seed: int = SEED) -> dict[str, tuple[float, float]]:
    """Seeded spring layout on the undirected simple projection (nodes sorted: deterministic)."""
    simple = nx.Graph()
    simple.add_nodes_from(sorted(view.nodes))
    simple.add_edges_from(sorted({tuple(sorted((u, v))) for u, v in view.edges() if u != v}))
    if simple.number_of_nodes() == 0:
        return {}
    scale = 120 * math.sqrt(simple.number_of_nodes())
    if simple.number_of_nodes() <= SPRING_MAX:
        pos = nx.spring_layout(simple, seed=seed, scale=scale, iterations=60)
        return {n: (float(x), float(y)) for n, (x, y) in pos.items()}
    return _large_positions(simple, seed, scale)


def _large_positions(simple: nx.Graph, seed: int, scale: float) -> dict[str, tuple[float, float]]:
    """Spring layout of the SPRING_MAX best-connected nodes (ties by id); the rest, in breadth-first order from
    them, on a small circle around their first placed neighbour, or on a ring outside when unconnected."""
    core = sorted(simple.nodes, key=lambda n: (-simple.degree(n), n))[:SPRING_MAX]
    sub = simple.subgraph(core)
    pos = {
        n: (float(x), float(y)) for n, (x, y) in nx.spring_layout(sub, seed=seed, scale=scale, iterations=60).items()
    }
    rest = sorted(n for n in simple.nodes if n not in pos)
    around: dict[str, int] = {}
    frontier = sorted(core)
    while frontier:  # breadth-first from the placed nodes, in sorted order (deterministic)
        nxt = []
        for p in frontier:
            for n in sorted(simple.neighbors(p)):
                if n not in pos:
                    i = around[p] = around.get(p, 0) + 1
                    r, a = 30.0 + 6.0 * (i // 12), 2 * math.pi * (i % 12) / 12 + 0.3 * (i // 12)
                    pos[n] = (pos[p][0] + r * math.cos(a), pos[p][1] + r * math.sin(a))
                    nxt.append(n)
        frontier = nxt
    lonely = [n for n in rest if n not in pos]
    for i, n in enumerate(lonely):
        a = 2 * math.pi * i / len(lonely)
        pos[n] = (1.15 * scale * math.cos(a), 1.15 * scale * math.sin(a))
    return pos


def options(n_nodes: int) -> dict:
    return {
        "physics": {
            "enabled": n_nodes > 0,
            "solver": "barnesHut",
            "barnesHut": {
                "gravitationalConstant": -6000,
                "centralGravity": 0.5,
                "springLength": 130,
                "springConstant": 0.03,
                "damping": 0.35,
                "avoidOverlap": 0.15,
            },
            "stabilization": {"enabled": True, "iterations": 250, "fit": True},
        },
        "layout": {"randomSeed": SEED, "improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": n_nodes > 200},
        "nodes": {"font": {"size": 12, "face": "system-ui, sans-serif"}, "scaling": {"label": {"drawThreshold": 3}}},
        "edges": {"smooth": False, "selectionWidth": 2},
    }


def vis_data(view: nx.MultiDiGraph, schema: Schema | None = None) -> dict:
    """{nodes, edges, options} for vis-network, sorted so the same view always gives the same data."""
    schema = schema or load_schema()
    styles = schema.styles
    pos = positions(view)
    nodes = [vis_node(n, view.nodes[n], styles, schema, pos[n]) for n in sorted(view.nodes)]
    ordered = sorted(view.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[3]["type"], str(e[2])))
    edges = [vis_edge(i, u, v, d, styles) for i, (u, v, _, d) in enumerate(ordered)]
    years = sorted({n["year"] for n in nodes if "year" in n})
    data = {"nodes": nodes, "edges": edges, "options": options(len(nodes)), "playback": years if len(years) > 1 else []}
    if view.graph.get("expand"):
        data["groups"] = vis_groups(view.graph["expand"], styles, schema)
    return data


def vis_groups(expand: dict[str, dict], styles: dict, schema: Schema) -> dict:
    """{group id: {name, nodes, edges}} in vis form for the click that expands a group (network_view's
    `expand`): member positions are set by the script around the group's own; edges carry their type as `kind`
    (an edge folded onto a group still closed is drawn once per pair and kind)."""
    out = {}
    for gid, x in sorted(expand.items()):
        edges = sorted(x["edges"], key=lambda e: (e[0], e[1], e[3]["type"], str(e[2])))
        out[gid] = {
            "name": x["name"],
            "nodes": [vis_node(n, d, styles, schema, (0.0, 0.0)) for n, d in sorted(x["nodes"].items())],
            "edges": [  # an edge between two groups' members has the same id in both: drawn once
                {**vis_edge(0, u, v, d, styles), "id": f"m:{u}>{v}:{k}", "kind": d["type"]} for u, v, k, d in edges
            ],
        }
    return out


# ----------------------------------------------------------------------------------------------- legend
def legend_items(schema: Schema | None = None, labels=None) -> list[dict]:
    """Legend entries from schema.yaml: node kinds (style + description), role and category colours,
    highlight colours and the size rule. Each: {section, name, color, shape, description}."""
    schema = schema or load_schema()
    st = schema.styles
    out = [
        {
            "section": "Node kinds",
            "name": label,
            "color": color(spec.style.get("color")),
            "shape": spec.style.get("shape", "dot"),
            "description": spec.description,
        }
        for label, spec in schema.nodes.items()
        if labels is None or label in labels
    ]
    out += [
        {
            "section": "Countries by role",
            "name": role,
            "color": color(c),
            "shape": "dot",
            "description": f"country with role {role}",
        }
        for role, c in st.get("role_colors", {}).items()
    ]
    out += [
        {
            "section": "Recipients by maturity category",
            "name": f"category {cat}",
            "color": color(c),
            "shape": "dot",
            "description": f"recipient placed in category {cat}",
        }
        for cat, c in st.get("category_colors", {}).items()
    ]
    cs = st.get("country_size", {})
    out += [
        {
            "section": "Highlights",
            "name": "coverage gap",
            "color": color(st.get("gap_color")),
            "shape": "ring",
            "description": "border: a tool the country's category needs was not delivered in the window",
        },
        {
            "section": "Highlights",
            "name": "partner overlap",
            "color": color(st.get("overlap_color")),
            "shape": "ring",
            "description": "border/edge: several partners or too many activities of one tool",
        },
        {
            "section": "Highlights",
            "name": "tie path",
            "color": PATH_COLOR,
            "shape": "ring",
            "description": "shortest path of ties between two countries",
        },
        {
            "section": "Size",
            "name": f"size = {cs.get('base')} + {cs.get('scale')} × risk score",
            "color": "#ffffff",
            "shape": "dot",
            "description": "country node size grows with its diversion-risk score",
        },
    ]
    return out


def legend_html(items: list[dict]) -> str:
    parts, section = [], None
    for it in items:
        if it["section"] != section:
            parts.append(("</ul>" if section else "") + f"<b>{esc(it['section'])}</b><ul>")
            section = it["section"]
        radius = "50%" if it["shape"] in ("dot", "ellipse", "ring") else "0"
        fill = "#ffffff" if it["shape"] == "ring" else it["color"]
        parts.append(
            f'<li title="{esc(it["description"])}"><span class="og-sw" style="background:{color(fill)};'
            f'border-color:{color(it["color"])};border-width:2px;border-radius:{radius}"></span>'
            f"{esc(it['name'])}</li>"
        )
    return "".join(parts) + ("</ul>" if parts else "")


# ---------------------------------------------------------------------------------------------- render
def fragment(
    view: nx.MultiDiGraph,
    schema: Schema | None = None,
    element_id: str = "og-view",
    notice: str = "",
    height: int = 700,
) -> str:
    """One view as an HTML fragment (needs head_assets() once on the page)."""
    schema = schema or load_schema()
    eid = re.sub(r"[^A-Za-z0-9_-]", "", element_id) or "og-view"
    labels = {d["label"] for _, d in view.nodes(data=True)}
    note = f'<div class="og-notice">{esc(notice)}</div>' if notice else ""
    return (
        f'<div class="og-view" id="{eid}">{note}'
        f'<div class="og-bar"><input class="og-search" list="{eid}-names" placeholder="Find a node (ISO3, id or name)"'
        f' aria-label="Find a node"><datalist id="{eid}-names"></datalist>'
        f'<button class="og-go" type="button">Focus</button><button class="og-fit" type="button">Fit</button>'
        f'<span class="og-status">Laying out {view.number_of_nodes()} nodes…</span></div>'
        f'<div class="og-canvas" style="height:{int(height)}px"></div>'
        f'<details class="og-legend" open><summary>Legend</summary>{legend_html(legend_items(schema, labels))}</details>'
        f'<script type="application/json" class="og-data">{safe_json(vis_data(view, schema))}</script>'
        f'<script>window.ogRender("{eid}");</script></div>'
    )


def fragment_data(
    data: dict, legend: list[dict], element_id: str = "og-view", notice: str = "", height: int = 700
) -> str:
    """A view whose vis data ({nodes, edges, options}) is made elsewhere (e.g. who_does_what), with its legend
    below the canvas (never over a tooltip). Needs head_assets() once on the page."""
    eid = re.sub(r"[^A-Za-z0-9_-]", "", element_id) or "og-view"
    note = f'<div class="og-notice">{esc(notice)}</div>' if notice else ""
    items = [{"shape": "box", "description": it.get("description", it["name"]), **it} for it in legend]
    payload = {k: data[k] for k in ("nodes", "edges", "options", "groups", "layout", "row") if k in data}
    return (
        f'<div class="og-view" id="{eid}">{note}'
        f'<div class="og-bar"><input class="og-search" list="{eid}-names" placeholder="Find a node"'
        f' aria-label="Find a node"><datalist id="{eid}-names"></datalist>'
        f'<button class="og-go" type="button">Focus</button><button class="og-fit" type="button">Fit</button>'
        f'<span class="og-status">Drawing {len(data["nodes"])} nodes…</span></div>'
        f'<div class="og-canvas" style="height:{int(height)}px"></div>'
        f'<details class="og-legend og-below" open><summary>Legend</summary>{legend_html(items)}</details>'
        f'<script type="application/json" class="og-data">{safe_json(payload)}</script>'
        f'<script>window.ogRender("{eid}");</script></div>'
    )


def page(title: str, body: str, extra_css: str = "") -> str:
    """A complete HTML document with the view assets in-line."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>\n'
        f"{head_assets()}\n<style>body{{margin:6px;font-family:system-ui,sans-serif}}{extra_css}</style>"
        f"</head><body>\n{body}\n</body></html>\n"
    )


def render_html(
    view: nx.MultiDiGraph,
    schema: Schema | None = None,
    title: str = "Outreach Graph",
    notice: str = "",
    height: int = 640,
) -> str:
    """The view as ONE self-contained HTML document (vis-network in-line, no external URL)."""
    return page(title, fragment(view, schema, "og-view", notice, height))
