"""Map: Asia (and wherever the data reach) coloured by maturity category, risk tier, coverage gaps or unmet
requests of the analysis context; partner activity of the window as arcs; hover shows a country's facts, a click
opens its dossier. Drawn offline (boundaries from data/geo/, Vega-Lite bundled with Streamlit); the SVG for a
slide is written server-side by graph_loader.map_view.map_svg. The computation is in graph_loader/map_view.py."""

from __future__ import annotations

import json

import streamlit as st

from graph_loader import map_view
from ui import context, render, state

DOSSIER = "app_pages/4_Country_dossier.py"

render.setup("Map")
st.title("Map")
ctx = context.sidebar()


@st.cache_resource(show_spinner=False, max_entries=4)
def topology(frame: str, keep: tuple[str, ...]) -> dict:
    """The boundaries that meet the frame (plus the data's countries), only the arcs they use."""
    return map_view.subset_topology(map_view.load_topology(), map_view.FRAMES[frame], set(keep))


@st.cache_data(show_spinner=False, max_entries=16)
def drawn(by: str, frame: str, arcs: bool, labels: bool, model: str, risk_rows, tiers, gaps, unmet, matrix):
    """(countries' facts, Vega-Lite spec) for one choice of colouring and frame and one set of query rows
    (cached by them: at world scale the spec alone takes seconds to make)."""
    g = state.graph()[0]  # the context's model (an argument above, so each model has its own entries)
    countries = [d for _, d in g.nodes(data=True) if d.get("label") == "Country"]
    facts = map_view.country_facts(countries, risk_rows, tiers, gaps, unmet, matrix)
    topo = topology(frame, tuple(sorted(facts["iso3"])))
    return facts, map_view.map_spec(topo, facts, by, frame, width=1000, arcs=arcs, labels=labels)


def open_dossier(iso3: str) -> None:
    """The dossier's country select reads st.session_state['dossier_country']. The chart's selection is dropped
    first: kept, it would open the same dossier again the next time the map is shown."""
    st.session_state.pop("map_chart", None)
    st.session_state["dossier_country"] = iso3
    st.switch_page(DOSSIER)


c1, c2, c3, c4 = st.columns([4, 1.3, 1, 1])
by = c1.radio(
    "Colour countries by",
    list(map_view.COLOURINGS),
    key="map_colour",
    horizontal=True,
    format_func=lambda k: map_view.COLOURINGS[k].title,
)
frame = c2.selectbox("Frame", list(map_view.FRAMES), key="map_frame")
arcs = c3.toggle("Partner arcs", value=True, key="map_arcs")
labels = c4.toggle("Labels", value=True, key="map_labels")

window = {"year_from": ctx.year_from, "year_to": ctx.year_to}
try:
    with st.spinner("Running the coverage queries …"):
        risk_rows = state.risk_rows(ctx.year_to)
        tiers = state.tiers(ctx.year_to, ctx.tier_source)
        gaps = state.query("coverage_gaps", **window, min_priority=0.0, tier_source=ctx.tier_source)[1]
        unmet = state.query("unmet_requests", as_of_year=ctx.year_to)[1]
        matrix = state.query("coverage_matrix", **window, tier_source=ctx.tier_source)[1]
except Exception as e:
    st.error(f"The map's queries failed: {render.md(e)}")
    st.stop()

facts, spec = drawn(by, frame, arcs, labels, ctx.model, risk_rows, tiers, gaps, unmet, matrix)
topo = topology(frame, tuple(sorted(facts["iso3"])))
event = st.vega_lite_chart(
    spec, on_select="rerun", selection_mode=["country", "territory"], key="map_chart", width="content", theme=None
)  # the spec's own colours: ocean, legend boxes
picked = map_view.selected_iso3(event)
if picked:
    open_dossier(picked)

year = risk_rows[0]["year"] if risk_rows else ctx.year_to
st.caption(
    f"Coloured by {render.md(map_view.COLOURINGS[by].explains)}. Risk of {year} (the scored year nearest "
    f"{ctx.year_to}). Arcs: partners that held or planned a tool in the country in {ctx.year_from}–"
    f"{ctx.year_to} (coverage matrix), width = number of tools; a partner off the frame starts at its edge. "
    "Points: countries too small to see (Singapore, Hong Kong). Hover for the facts, click to open the "
    f"dossier. · {render.md(ctx.describe())}"
)
st.caption(render.md(map_view.ATTRIBUTION) + " · drawn offline: no tiles, no web fonts, nothing fetched.")

# a click is the quick way; the select is the keyboard way (and what a screen reader can use)
data_countries = [c for c in facts.sort_values("name")["iso3"]]
d1, d2 = st.columns([3, 1])
chosen = d1.selectbox(
    "Open the dossier of",
    data_countries,
    key="map_open_country",
    format_func=state.country_label,
    index=data_countries.index("MYS") if "MYS" in data_countries else 0,
)
d2.write("")
if d2.button("Open dossier", key="map_open"):
    open_dossier(chosen)

st.subheader("Export for a slide")
name = f"outreach-map-{by}-{ctx.year_from}-{ctx.year_to}"
title = f"{map_view.COLOURINGS[by].title} · {ctx.year_from}–{ctx.year_to}"
e1, e2, e3 = st.columns(3)
# the files are written when a button is clicked (a callable), not on every run of the page
e1.download_button(
    "Download SVG (slide)",
    lambda: map_view.map_svg(topo, facts, by, frame, arcs=arcs, labels=labels, title=title, subtitle=ctx.describe()),
    file_name=f"{name}.svg",
    mime="image/svg+xml",
    key="map_svg",
)
e2.download_button(
    "Download the Vega-Lite spec (JSON)",
    lambda: json.dumps(spec, ensure_ascii=False),
    file_name=f"{name}.vl.json",
    mime="application/json",
    key="map_spec",
)
table = facts.drop(columns=["tools_by_partner"])
e3.download_button(
    "Download the countries' facts (CSV)",
    lambda: table.to_csv(index=False),
    file_name=f"{name}.csv",
    mime="text/csv",
    key="map_csv",
)
st.caption(
    "The SVG is written on the server (graph_loader/map_view.py): same classes, colours, arcs and points, "
    "with a legend, the context and the attribution; it opens in PowerPoint, Keynote, Inkscape or a browser."
)
with st.expander("The countries' facts"):
    st.dataframe(table, hide_index=True, key="map_facts")
