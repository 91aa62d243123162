"""Briefing: pick a country (or all recipients) and a year; download ONE self-contained HTML file (network
view + key tables, works offline) and a zip of the same tables as CSV. Same output as
`python -m graph_loader briefing`."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from graph_loader import briefing  # noqa: E402
from ui import render, state  # noqa: E402

render.setup("Briefing")
st.title("Briefing")
which = state.backend_sidebar()
ch = state.choices()


@st.cache_data(show_spinner=False, max_entries=16)
def build(which: str, iso3: str | None, year: int) -> dict:
    """HTML, CSV zip and row counts of one briefing (cached by backend, country and year)."""
    g = state.graph()[0]
    runner = state.runner(which)
    tables = briefing.briefing_tables(g, runner, iso3, year)
    return {"html": briefing.briefing_html(g, runner, iso3, year, tables=tables), "zip": briefing.tables_zip(tables),
            "counts": {name: len(rows) for name, (_, rows) in tables.items()}}


c1, c2 = st.columns(2)
options = [""] + list(ch["countries"])
iso3 = c1.selectbox("Country", options, key="briefing_country",
                    format_func=lambda i: state.country_label(i) if i else "All recipients (overview)")
year_range = list(range(ch["years"][0], ch["years"][1] + 1))
default = ch["risk_year"] if ch["risk_year"] in year_range else year_range[-1]
year = c2.selectbox("Year (coverage; risk uses the nearest scored year)", year_range,
                    index=year_range.index(default), key="briefing_year")
try:
    with st.spinner("Building the briefing …"):
        out = build(which, iso3 or None, int(year))
except Exception as e:
    st.error(f"The briefing could not be built: {render.md(e)}")
    st.stop()

stem = f"briefing-{iso3 or 'recipients'}-{year}"
st.caption(f"{len(out['html'].encode()) // 1024} KB, self-contained (no external URL) · backend {which} · "
           + " · ".join(f"{k}: {v} rows" for k, v in out["counts"].items()))
d1, d2 = st.columns(2)
d1.download_button("Download the briefing (HTML)", out["html"], file_name=f"{stem}.html", mime="text/html",
                   key="briefing_download", type="primary")
d2.download_button("Download its tables (zip of CSV)", out["zip"], file_name=f"{stem}_tables.zip",
                   mime="application/zip", key="briefing_zip_download")
st.subheader("Preview")
render.view(out["html"], height=900)
