"""Network: the outreach graph filtered, an ego network, the shortest tie path, gaps and overlaps highlighted."""

from __future__ import annotations

import json
import math

import pandas as pd
import streamlit as st

from graph_loader import network_view as nv
from ui import context, render, state

TIERS = ["High", "Medium", "Low"]
CATEGORIES = [1, 2, 3, 4]

render.setup("Network")
st.title("Network")
ctx = context.sidebar()
ch = state.choices()


def _all_or(selected: list, everything: list):
    """None (no filter) when everything is selected, so items without a value stay in the view."""
    return None if set(selected) >= set(everything) else tuple(selected)


def filter_widgets() -> dict:
    sb = st.sidebar
    sb.header("Filters")
    labels = sb.multiselect("Node kinds", ch["labels"], default=list(nv.DEFAULT_LABELS), key="net_labels")
    rels = sb.multiselect(
        "Relationship kinds",
        ch["rel_types"],
        key="net_rels",
        default=[r for r in ch["rel_types"] if r not in nv.DEFAULT_HIDDEN_RELS],
        help="Trade, alliances, shared IGOs and distances are off by default (thousands of edges).",
    )
    cats = sb.multiselect("Maturity category (recipients)", CATEGORIES, default=CATEGORIES, key="net_categories")
    tiers = sb.multiselect(
        "Risk tier (recipients)",
        TIERS,
        default=TIERS,
        key="net_tiers",
        help=f"Tiers of {ctx.year_to} from the context's tier source ({ctx.tier_source}).",
    )
    partners = sb.multiselect(
        "Partners", ch["partners"], default=ch["partners"], key="net_partners", format_func=state.country_label
    )
    progs = sb.multiselect("Programmes (empty = every activity)", ch["programmes"], default=[], key="net_programmes")
    years = (ctx.year_from, ctx.year_to)  # the analysis context's window
    max_nodes = sb.number_input("Aggregate above (nodes)", 50, 5000, nv.MAX_NODES, step=50, key="net_max_nodes")
    return {
        "labels": sorted(labels),
        "rel_types": sorted(rels),
        "categories": _all_or(cats, CATEGORIES),
        "tiers": _all_or(tiers, TIERS),
        "partners": _all_or(partners, ch["partners"]),
        "programmes": tuple(progs) or None,
        "years": list(years),
        "max_nodes": int(max_nodes),
        "tier_by": sorted((i, t) for i, (t, _) in state.tiers(ctx.year_to, ctx.tier_source).items() if t),
        "model": ctx.model,
    }


def focus_widgets() -> dict:
    countries = [""] + list(ch["countries"])
    label = lambda i: state.country_label(i) if i else "—"
    c1, c2, c3, c4, c5 = st.columns([3, 1.4, 3, 3, 2])
    focus = c1.selectbox("Ego network around", countries, key="net_focus", format_func=label)
    depth = c2.slider("Depth", 1, 3, 1, key="net_depth")
    a = c3.selectbox("Tie path from", countries, key="net_path_from", format_func=label)
    b = c4.selectbox("Tie path to", countries, key="net_path_to", format_func=label)
    hl = c5.toggle(
        "Gaps & overlaps",
        value=True,
        key="net_highlight",
        help="Highlight coverage gaps and partner overlaps of the year window.",
    )
    return {"focus": focus or None, "depth": depth, "path": [a, b] if a and b and a != b else None, "highlight": hl}


def make_view(params_json: str, gaps_json: str, overlaps_json: str):
    """(view graph, facts) for one set of widget values: filter → ego → path → highlight → aggregate."""
    p = json.loads(params_json)
    g = state.graph()[0]
    f = nv.Filters(
        labels=tuple(p["labels"]),
        rel_types=tuple(p["rel_types"]),
        categories=p["categories"] and tuple(p["categories"]),
        tiers=p["tiers"] and tuple(p["tiers"]),
        partners=p["partners"] and tuple(p["partners"]),
        programmes=p["programmes"] and tuple(p["programmes"]),
        years=tuple(p["years"]),
        tier_by=tuple(map(tuple, p["tier_by"])),
    )
    view, out = nv.filter_graph(g, f), {"warning": "", "path": None}
    if p["focus"]:
        try:
            view = nv.ego(view, f"Country:{p['focus']}", p["depth"])
        except KeyError:
            out["warning"] = f"{state.country_label(p['focus'])} is filtered out of the view; showing the whole view."
    keep = {f"Country:{p['focus']}"} if p["focus"] else set()
    if p["path"]:
        ties = nv.filter_graph(g, nv.Filters(labels=("Country",), years=tuple(p["years"])))
        path = nv.tie_path(ties, *p["path"])
        out["path"] = [list(h[:2]) + [list(h[2])] for h in path.hops] if path else []
        if path:
            view = nv.with_path(view, ties, path)
            keep |= set(path.nodes)
    if p["highlight"]:
        view = nv.highlight(view, json.loads(gaps_json), json.loads(overlaps_json))
    view, out["notice"] = nv.aggregate(view, p["max_nodes"], keep=keep)
    return view, out


@st.cache_data(show_spinner=False, max_entries=32)
def build_view(params_json: str, gaps_json: str, overlaps_json: str) -> dict:
    """The view's HTML and facts for one set of widget values (cached by them)."""
    view, out = make_view(params_json, gaps_json, overlaps_json)
    out.update(
        html=nv.render_html(view, title="Outreach Graph — network view", notice=out["notice"], height=620),
        nodes=view.number_of_nodes(),
        edges=view.number_of_edges(),
    )
    return out


@st.cache_data(show_spinner=False, max_entries=12)
def view_export(params_json: str, gaps_json: str, overlaps_json: str, fmt: str) -> bytes:
    """The drawn view as GraphML, GEXF or JSON — written when its download button is clicked."""
    from graph_loader.export import export_bytes
    from graph_loader.schema import load_schema

    return export_bytes(make_view(params_json, gaps_json, overlaps_json)[0], load_schema(), fmt)


@st.cache_data(show_spinner="Writing the whole graph …", max_entries=6)
def whole_graph_export(fmt: str, model: str) -> bytes:
    from graph_loader.export import export_bytes

    g, ds = state.graph()
    return export_bytes(g, ds.schema, fmt)


def highlights(years: list[int]) -> tuple[list, list]:
    try:
        _, gaps = state.query(
            "coverage_gaps", year_from=years[0], year_to=years[1], min_priority=0.0, tier_source=ctx.tier_source
        )
        _, overlaps = state.query("partner_overlap", year_from=years[0], year_to=years[1], max_activities=2)
    except Exception as e:  # a backend failure must not blank the page
        st.error(f"Gaps and overlaps could not be computed: {render.md(e)}")
        return [], []
    return gaps, overlaps


def show_path(p: dict, hops) -> None:
    if not p["path"]:
        return
    a, b = (state.country_label(x) for x in p["path"])
    if not hops:
        st.warning(f"No tie path between {render.md(a)} and {render.md(b)} in {p['years'][0]}–{p['years'][1]}.")
        return
    steps = [
        f"{i + 1}. {render.md(state.country_label(u.split(':')[1]))} → "
        f"{render.md(state.country_label(v.split(':')[1]))} — {', '.join(t)}"
        for i, (u, v, t) in enumerate(hops)
    ]
    st.markdown(f"**Shortest tie path ({len(hops)} hops):**\n\n" + "\n".join(steps))


GROUP_BY = {"subregion": "subregion", "region": "region", "category": "maturity category", "": "no grouping"}


def recipient_groups(matrix: list[dict], above: int) -> dict[str, str] | None:
    """iso3 → group name when the analyst groups the recipients (the default above `above` recipients)."""
    n = len({r["iso3"] for r in matrix})
    by = st.selectbox(
        "Group recipients by",
        list(GROUP_BY),
        index=0 if n > above else len(GROUP_BY) - 1,
        format_func=GROUP_BY.get,
        key=f"wdw_group_{n > above}",
        help=f"{n} recipients in the window; above {above} they are grouped (click a group to expand it).",
    )
    if not by:
        return None
    if by == "category":
        return {r["iso3"]: f"category {r.get('category') or '?'}" for r in matrix}
    g = state.graph()[0]
    return {r["iso3"]: str(g.nodes[f"Country:{r['iso3']}"].get(by) or "unknown") for r in matrix}


def who_does_what_where() -> None:
    """The default view: partners → tools → recipients of the context's window (graph_loader/who_does_what.py)."""
    from graph_loader import who_does_what as wdw
    from graph_loader.vis_html import fragment_data, page

    window = {"year_from": ctx.year_from, "year_to": ctx.year_to, "tier_source": ctx.tier_source}
    try:
        _, matrix = state.query("coverage_matrix", **window, max_activities=2)
        _, gaps = state.query("coverage_gaps", **window, min_priority=0.0)
    except Exception as e:  # a backend failure must not blank the page
        st.error(f"The coverage queries failed: {render.md(e)}")
        return
    data = wdw.view_data(matrix, gaps, group_of=recipient_groups(matrix, wdw.GROUP_ABOVE))
    column = max(sum(1 for n in data["nodes"] if n["id"].startswith(k)) for k in ("partner:", "tool:", "recipient:"))
    height = max(420, wdw.ROW * column + 60)
    st.caption(
        f"Who does what where, {render.md(ctx.describe())}: recipients ordered by risk tier, then their highest "
        "gap priority; hover a node or an edge for its facts, click a node to see it with its "
        "neighbours only"
        + ("; click a group (▸) to expand it in place, “Regroup” folds it again." if "groups" in data else ".")
    )
    html = page("Outreach Graph — who does what where", fragment_data(data, data["legend"], "wdw", "", height))
    render.view(html, height=height + 190)
    st.download_button(
        "Download this view (HTML, works offline)",
        html,
        file_name="who-does-what-where.html",
        mime="text/html",
        key="wdw_download",
    )


def ties_to_concern() -> None:
    """Exposure: countries tied to each other and to the nations of concern, by strength (ties_view.py)."""
    from graph_loader import ties_view as tv
    from graph_loader.vis_html import fragment_data, page

    rows = state.risk_rows(ctx.year_to)
    year = rows[0]["year"] if rows else ctx.year_to
    g = state.graph()[0]
    countries = {d["iso3"]: d for _, d in g.nodes(data=True) if d["label"] == "Country"}
    roles = {
        i: "concern"
        if d.get("concern")
        else "recipient"
        if d.get("recipient")
        else "partner"
        if d.get("partner")
        else "other"
        for i, d in countries.items()
    }
    keep = {i for i, r in roles.items() if r in ("concern", "recipient")}
    tier_colors = state.schema_styles().get("tier_colors", {})
    colors = {i: tier_colors.get(t, "#bbbbbb") for i, (t, _) in state.tiers(ctx.year_to, ctx.tier_source).items()}
    c1, c2, c3 = st.columns([2, 2, 2])
    floor = c1.slider(
        "Show ties of at least this strength",
        0.0,
        1.0,
        0.3,
        0.05,
        key="ties_min",
        help="strength = 0.4 trade volume + 0.2 border + 0.15 alliance + 0.1 shared IGOs + 0.075 "
        "language + 0.075 colonial tie (graph_loader/ties_view.py)",
    )
    label = lambda i: state.country_label(i) if i else "—"
    a = c2.selectbox("Strongest path from", [""] + sorted(keep), key="ties_from", format_func=label)
    b = c3.selectbox(
        "to", [""] + sorted(i for i, r in roles.items() if r == "concern"), key="ties_to", format_func=label
    )
    tg = tv.ties_graph(state.risk_inputs(), year, keep, floor)
    path = tv.strongest_path(tg, a, b) if a and b and a != b else None
    data = tv.view_data(tg, {i: d["name"] for i, d in countries.items()}, roles, path, colors)
    alone = sorted(n for n in tg.nodes if not tg.degree(n))
    st.caption(
        f"Ties of {year} among recipients and nations of concern with strength ≥ {floor:g}: "
        f"{tg.number_of_edges()} pairs"
        + (f"; no tie that strong: {', '.join(alone)}" if alone else "")
        + f" · {render.md(ctx.describe())}"
    )
    if a and b and a != b:
        if path:
            hops = [
                f"{u}–{v} {tg[u][v]['strength']:.2f} ({', '.join(tg[u][v]['kinds'])})" for u, v in zip(path, path[1:])
            ]
            st.markdown(
                f"**Strongest path** (product of strengths {math.prod(tg[u][v]['strength'] for u, v in zip(path, path[1:])):.3f}): "
                + " → ".join(render.md(h) for h in hops)
            )
        else:
            st.warning(
                f"No path from {render.md(label(a))} to {render.md(label(b))} through ties of at least {floor:g}."
            )
    html = page("Outreach Graph — ties", fragment_data(data, tv.LEGEND, "ties", "", 640))
    render.view(html, height=640 + 170)


mode = st.radio(
    "View",
    ["Who does what where", "Ties to nations of concern", "Graph explorer"],
    horizontal=True,
    key="net_mode",
    help="Who does what where: partners, tools and recipients of the window in three columns. Ties: "
    "exposure, countries tied by trade, borders, alliances, IGOs, language. Graph explorer: every "
    "kind of node, filters, ego networks and tie paths.",
)
if mode == "Who does what where":
    who_does_what_where()
    st.stop()
if mode == "Ties to nations of concern":
    ties_to_concern()
    st.stop()

params = {**filter_widgets(), **focus_widgets()}
gaps, overlaps = highlights(params["years"]) if params["highlight"] else ([], [])
slim_gaps = [{"iso3": r["iso3"], "tool": r["tool"]} for r in gaps]
slim_over = [{"iso3": r["iso3"], "tool": r["tool"], "activities": r["activities"]} for r in overlaps]
keys = (json.dumps(params, sort_keys=True), json.dumps(slim_gaps), json.dumps(slim_over))
with st.spinner("Building the view …"):
    out = build_view(*keys)
if out["warning"]:
    st.warning(render.md(out["warning"]))
if out["notice"]:
    st.info(render.md(out["notice"]))
years = params["years"]
st.caption(
    f"Shown: {out['nodes']} nodes · {out['edges']} relationships · {render.md(ctx.describe())}"
    + (f" · {len(gaps)} coverage gaps, {len(overlaps)} overlaps highlighted" if params["highlight"] else "")
)
show_path(params, out["path"])
render.view(out["html"], height=700 + (50 if out["notice"] else 0))
MIMES = {"graphml": "application/graphml+xml", "gexf": "application/xml", "json": "application/json"}
cols = st.columns(4)
cols[0].download_button(
    "Download this view (HTML, works offline)",
    out["html"],
    file_name="outreach-network.html",
    mime="text/html",
    key="net_download",
)
for col, fmt in zip(cols[1:], ("graphml", "gexf", "json")):
    col.download_button(
        f"This view as {fmt.upper()}",
        lambda fmt=fmt: view_export(*keys, fmt),  # written on the click, not on every view change
        file_name=f"outreach-view.{fmt}",
        mime=MIMES[fmt],
        key=f"net_export_{fmt}",
        help="For Gephi, yEd, Cytoscape; the relationship type is rel_type in GEXF.",
    )
with st.expander("The whole graph as GraphML, GEXF or JSON"):
    st.caption(
        "Every node and relationship of the data and the computed risk scores, as "
        "`python -m graph_loader export` writes them."
    )
    whole = st.columns(3)
    for col, fmt in zip(whole, ("graphml", "gexf", "json")):
        col.download_button(
            f"Download the whole graph ({fmt.upper()})",
            lambda fmt=fmt: whole_graph_export(fmt, ctx.model),  # written on the click
            file_name=f"outreach-graph.{fmt}",
            mime=MIMES[fmt],
            key=f"net_whole_dl_{fmt}",
        )
with st.expander("Legend (from graph_loader/schema.yaml)"):
    st.dataframe(pd.DataFrame(nv.legend_items()), hide_index=True)
