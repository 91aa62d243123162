"""The entry page (app.py): what the tool is for, what the data hold, and the backend switch."""
from __future__ import annotations

import streamlit as st

from graph_loader.build import counts

from . import context, render, state


def show() -> None:
    """The overview page: purpose, data summary counts and the backend switch."""
    render.setup("Outreach Graph")
    st.title("Outreach Graph")
    st.markdown(
        "Plans and checks the trilateral export-control **outreach** to Asian governments (Japan, the US and "
        "Australia): who needs which tool, who delivered what, where partners overlap, and which recipients "
        "carry the highest **diversion risk** towards the nations of concern (PRC, DPRK, Iran).\n\n"
        "- **Network** — the graph, filtered; ego networks; shortest tie path between two countries.\n"
        "- **Coverage** — country × tool matrix, gaps, assignment gaps, flooding, schedule clashes, what-if plans.\n"
        "- **Risk** — the diversion-risk score with adjustable weights, sensitivity and agreement with analysts.\n"
        "- **Country dossier** — everything about one country on one page, with sources.\n"
        "- **Queries** — the Cypher library with a form per query, and read-only free-form Cypher.\n"
        "- **Briefing** — a self-contained HTML briefing and its tables as CSV, for offline reading.")
    ctx = context.sidebar()
    which = ctx.backend

    bar = st.progress(0, text="Loading and validating data/ …")
    g, ds = state.graph()
    bar.progress(60, text="Opening the embedded store (built once per data version) …")
    state.embedded_store()
    bar.progress(100, text="Ready.")
    bar.empty()


    c = counts(g, ds.schema)
    cols = st.columns(5)
    cols[0].metric("Countries", c["nodes"]["Country"])
    cols[1].metric("Recipients", c["roles"]["recipient"])
    cols[2].metric("Activities", c["nodes"]["Activity"])
    cols[3].metric("Nodes", sum(c["nodes"].values()))
    cols[4].metric("Relationships", sum(c["relationships"].values()))
    st.caption(f"Data folder: {render.md(state.DATA_DIR)} · default risk year {g.graph.get('risk_year')} · "
               f"queries run on the **{which}** backend.")
    checksum = state.debug_checksum()
    if checksum:
        st.caption(f"graph checksum: {checksum}")

    left, right = st.columns(2)
    with left:
        st.subheader("Nodes")
        rows = [{"label": k, "count": v, "description": ds.schema.nodes[k].description} for k, v in c["nodes"].items()]
        render.table(rows, ["label", "count", "description"], "overview_nodes")
        st.subheader("Recipients per maturity category")
        render.table([{"category": k, "recipients": v} for k, v in c["categories"].items()], ["category", "recipients"],
                     "overview_categories")
    with right:
        st.subheader("Relationships")
        rows = [{"type": k, "count": v, "description": ds.schema.rels[k].description} for k, v in c["relationships"].items()]
        render.table(rows, ["type", "count", "description"], "overview_relationships", height=420)
        st.subheader("Countries per role")
        render.table([{"role": k, "countries": v} for k, v in c["roles"].items()], ["role", "countries"], "overview_roles")
