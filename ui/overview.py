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
        "- **Map** — the region coloured by category, risk tier, gaps or unmet requests, with partner activity.\n"
        "- **Network** — who does what where; ties to the nations of concern; the graph explorer.\n"
        "- **Coverage** — country × tool matrix, gaps, assignment gaps, flooding, schedule clashes, what-if plans.\n"
        "- **Risk** — the diversion-risk score with adjustable weights, sensitivity and agreement with analysts.\n"
        "- **Country dossier** — everything about one country on one page, with sources.\n"
        "- **Queries** — the Cypher library with a form per query, and read-only free-form Cypher.\n"
        "- **Briefing** — a self-contained HTML briefing and its tables as CSV, for offline reading.\n"
        "- **Plans** and **Review** — the shared register of plans, results and assessments; the annual review."
    )
    ctx = context.sidebar()

    bar = st.progress(0, text="Loading and validating data/ …")
    g, ds = state.graph()
    bar.progress(60, text="Opening the embedded store (built once per data version) …")
    state.embedded_store()
    bar.progress(100, text="Ready.")
    bar.empty()

    c = counts(g, ds.schema)
    computed = {label for label, spec in ds.schema.nodes.items() if spec.computed}
    n_computed = sum(c["nodes"].get(label, 0) for label in computed)
    r_computed = c["relationships"].get("SCORED", 0)
    cols = st.columns(5)
    cols[0].metric("Countries", c["nodes"]["Country"])
    cols[1].metric("Recipients", c["roles"]["recipient"])
    cols[2].metric("Activities", c["nodes"]["Activity"])
    cols[3].metric(
        "Nodes",
        sum(c["nodes"].values()),
        help=f"{sum(c['nodes'].values()) - n_computed} from the data (what `validate` reports) and "
        f"{n_computed} computed risk scores (one per country and year)",
    )
    cols[4].metric(
        "Relationships",
        sum(c["relationships"].values()),
        help=f"{sum(c['relationships'].values()) - r_computed} from the data and {r_computed} SCORED "
        "links to the computed risk scores",
    )
    st.caption(
        f"Data folder: {render.md(state.DATA_DIR)} · {sum(c['nodes'].values()) - n_computed} nodes and "
        f"{sum(c['relationships'].values()) - r_computed} relationships from the data (as `validate` counts "
        f"them) + {n_computed} computed risk-score nodes and {r_computed} SCORED links · "
        f"context {render.md(ctx.describe())}."
    )
    checksum = state.debug_checksum()
    if checksum:
        st.caption(f"graph checksum: {checksum}")

    left, right = st.columns(2)
    with left:
        st.subheader("Nodes")
        rows = [{"label": k, "count": v, "description": ds.schema.nodes[k].description} for k, v in c["nodes"].items()]
        render.table(rows, ["label", "count", "description"], "overview_nodes")
        st.subheader("Recipients per maturity category")
        render.table(
            [{"category": k, "recipients": v} for k, v in c["categories"].items()],
            ["category", "recipients"],
            "overview_categories",
        )
    with right:
        st.subheader("Relationships")
        rows = [
            {"type": k, "count": v, "description": ds.schema.rels[k].description} for k, v in c["relationships"].items()
        ]
        render.table(rows, ["type", "count", "description"], "overview_relationships", height=420)
        st.subheader("Countries per role")
        render.table(
            [{"role": k, "countries": v} for k, v in c["roles"].items()], ["role", "countries"], "overview_roles"
        )
