"""Briefing: pick a country (or all recipients); the analysis context gives the window, the tier source and the
risk model. Download ONE self-contained HTML file (network view + key tables, works offline, states its context)
and a zip of the same tables as CSV. Same output as `python -m graph_loader briefing`."""

from __future__ import annotations

import streamlit as st

from graph_loader import briefing
from ui import context, render, state

render.setup("Briefing")
st.title("Briefing")
ctx = context.sidebar()
which = ctx.backend
ch = state.choices()


@st.cache_data(show_spinner=False, max_entries=16)
def build(which: str, iso3: str | None, year_from: int, year_to: int, tier_source: str, model: str) -> dict:
    """HTML, CSV zip and row counts of one briefing (cached by backend, country and context)."""
    g = state.graph()[0]
    runner = state.runner(which)
    w = briefing.window(g, year_to, year_from, tier_source, model)
    tables = briefing.briefing_tables(g, runner, iso3, w=w)
    return {
        "html": briefing.briefing_html(g, runner, iso3, tables=tables, w=w),
        "zip": briefing.tables_zip(tables),
        "counts": {name: len(rows) for name, (_, rows) in tables.items()},
    }


options = [""] + list(ch["countries"])
iso3 = st.selectbox(
    "Country",
    options,
    key="briefing_country",
    format_func=lambda i: state.country_label(i) if i else "All recipients (overview)",
)
st.caption(f"Made for the analysis context: {render.md(ctx.describe())} (change it in the sidebar).")
try:
    with st.spinner("Building the briefing …"):
        out = build(which, iso3 or None, ctx.year_from, ctx.year_to, ctx.tier_source, ctx.model)
except Exception as e:
    st.error(f"The briefing could not be built: {render.md(e)}")
    st.stop()

stem = f"briefing-{iso3 or 'recipients'}-{ctx.year_from}-{ctx.year_to}"
st.caption(
    f"{len(out['html'].encode()) // 1024} KB, self-contained (no external URL) · "
    + " · ".join(f"{k}: {v} rows" for k, v in out["counts"].items())
)
d1, d2 = st.columns(2)
d1.download_button(
    "Download the briefing (HTML)",
    out["html"],
    file_name=f"{stem}.html",
    mime="text/html",
    key="briefing_download",
    type="primary",
)
d2.download_button(
    "Download its tables (zip of CSV)",
    out["zip"],
    file_name=f"{stem}_tables.zip",
    mime="application/zip",
    key="briefing_zip_download",
)
st.subheader("Preview")
render.view(out["html"], height=900)
