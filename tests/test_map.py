"""graph_loader.map_view on small inputs (ISO numeric -> alpha-3, the colour classes per choice, small territories
as points, no URL in the spec, the SVG export), and the Map page in Streamlit's AppTest on the real data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from graph_loader import map_view as mv

ROOT = Path(__file__).resolve().parents[1]

COUNTRIES = [
    {"iso3": "MYS", "name": "Malaysia", "lat": 3.15, "lng": 101.69, "recipient": True},
    {"iso3": "SGP", "name": "Singapore", "lat": 1.36, "lng": 103.82, "recipient": True},
    {"iso3": "HKG", "name": "Hong Kong", "lat": 22.28, "lng": 114.17, "recipient": True},
    {"iso3": "THA", "name": "Thailand", "lat": 13.75, "lng": 100.49, "recipient": True},
    {"iso3": "ISR", "name": "Israel", "lat": None, "lng": None, "recipient": True},
    {"iso3": "JPN", "name": "Japan", "lat": 35.68, "lng": 139.76, "partner": True},
    {"iso3": "USA", "name": "United States", "lat": 38.89, "lng": -77.04, "partner": True},
    {"iso3": "PRK", "name": "North Korea", "lat": 39.02, "lng": 125.75, "concern": True},
]
RISK = [
    {"iso3": "MYS", "score": 0.467, "category": 2},
    {"iso3": "SGP", "score": 0.157, "category": 4},
    {"iso3": "HKG", "score": 0.204, "category": 4},
    {"iso3": "THA", "score": 0.518, "category": 1},
]
TIERS = {
    "MYS": ("Low", "analysts"),
    "SGP": ("Low", "analysts"),
    "HKG": ("Medium", "model"),
    "THA": ("High", "analysts"),
}
GAPS = (
    [{"iso3": "THA", "tool": t} for t in ("a", "b", "c")]
    + [{"iso3": "MYS", "tool": "a"}]
    + [{"iso3": "HKG", "tool": t} for t in "abcdef"]
)
UNMET = [{"iso3": "MYS"}, {"iso3": "MYS"}]
MATRIX = [
    {"iso3": "MYS", "tool": "bilateral_discussion", "cell": "overlap", "partners": ["JPN", "USA"]},
    {"iso3": "MYS", "tool": "officer_training", "cell": "delivered", "partners": ["JPN"]},
    {"iso3": "THA", "tool": "industry_seminar", "cell": "gap", "partners": []},
]


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return mv.country_facts(COUNTRIES, RISK, TIERS, GAPS, UNMET, MATRIX)


@pytest.fixture(scope="module")
def topo() -> dict:
    return mv.subset_topology(mv.load_topology(), mv.FRAMES["Asia-Pacific"], {c["iso3"] for c in COUNTRIES})


def klass(facts, iso3, by):
    return mv.colour_class(facts[facts.iso3 == iso3].iloc[0], by)[0]


def test_numeric_codes_map_to_alpha3():
    assert mv.numeric_to_iso3("158") == "TWN"
    assert mv.numeric_to_iso3("344") == "HKG"
    assert mv.numeric_to_iso3(702) == "SGP"
    assert mv.numeric_to_iso3("036") == "AUS"
    assert mv.numeric_to_iso3("458") == "MYS"
    assert mv.numeric_to_iso3(None) is None and mv.numeric_to_iso3("-99") is None


def test_the_atlas_file_is_the_shared_copy_and_names_every_data_country():
    topo = mv.load_topology()
    assert "countries" in topo["objects"]
    found = {g["properties"]["iso3"] for g in topo["objects"]["countries"]["geometries"]}
    data = {line.split(",")[0] for line in (ROOT / "data" / "countries.csv").read_text().splitlines()[1:]}
    assert data <= found, data - found  # Hong Kong and Taiwan included
    assert (
        (ROOT / "data" / "geo" / "world-atlas-LICENSE.txt")
        .read_text()
        .startswith("Copyright 2013-2019 Michael Bostock")
    )


def test_the_subset_keeps_whole_shapes_and_drops_what_is_out_of_frame(topo):
    full = mv.load_topology()
    kept = {g["properties"]["iso3"] for g in topo["objects"]["countries"]["geometries"]}
    assert {"MYS", "SGP", "HKG", "TWN", "JPN", "AUS", "USA"} <= kept  # USA kept: a data country
    assert "BRA" not in kept and "ARG" not in kept
    assert len(topo["arcs"]) < len(full["arcs"])
    for iso in ("MYS", "HKG"):
        a = next(g for g in full["objects"]["countries"]["geometries"] if g["properties"]["iso3"] == iso)
        b = next(g for g in topo["objects"]["countries"]["geometries"] if g["properties"]["iso3"] == iso)
        assert mv.polygons(full, a) == mv.polygons(topo, b)


def test_facts_count_gaps_unmet_and_partners(facts):
    row = facts.set_index("iso3")
    assert row.loc["THA", "gaps"] == 3 and row.loc["MYS", "gaps"] == 1 and row.loc["SGP", "gaps"] == 0
    assert math.isnan(row.loc["JPN", "gaps"])  # a partner has no gaps
    assert row.loc["MYS", "unmet"] == 2 and row.loc["THA", "unmet"] == 0
    assert row.loc["MYS", "tools_by_partner"] == {
        "JPN": ["bilateral_discussion", "officer_training"],
        "USA": ["bilateral_discussion"],
    }
    assert row.loc["THA", "tools_by_partner"] == {}  # a gap cell is no activity
    assert row.loc["HKG", "tier_source"] == "model"


def test_colour_classes_per_choice(facts):
    assert klass(facts, "THA", "category") == "1: no or low intention"
    assert klass(facts, "MYS", "category") == "2: laws not yet sufficient"
    assert klass(facts, "THA", "tier") == "High" and klass(facts, "HKG", "tier") == "Medium"
    assert klass(facts, "SGP", "gaps") == "0 gaps" and klass(facts, "THA", "gaps") == "3–4 gaps"
    assert klass(facts, "HKG", "gaps") == "5+ gaps"
    assert klass(facts, "MYS", "unmet") == "2 unmet" and klass(facts, "THA", "unmet") == "0 unmet"
    for by in mv.COLOURINGS:
        assert klass(facts, "JPN", by) == "partner"
        assert klass(facts, "PRK", by) == "nation of concern"
    assert klass(facts, "ISR", "category") == "recipient, no value"
    domain, rng = mv.legend(facts, "tier")
    assert domain[:3] == ["High", "Medium", "Low"] and len(domain) == len(rng) == len(set(domain))
    assert "partner" in domain and "nation of concern" in domain


def test_small_territories_are_points(facts, topo):
    small = mv.small_territories(topo, list(facts.iso3))
    assert {"SGP", "HKG"} <= set(small) and "MYS" not in small and "THA" not in small
    spec = mv.map_spec(topo, facts, "gaps")
    points = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "circle")
    assert {p["iso3"] for p in points["data"]["values"]} >= {"SGP", "HKG"}
    # the same fill scale as the shapes: one legend, same colours
    shapes = next(layer for layer in spec["layer"] if "params" in layer and layer["mark"]["type"] == "geoshape")
    assert points["encoding"]["fill"]["scale"] == shapes["encoding"]["fill"]["scale"]
    sgp = next(p for p in points["data"]["values"] if p["iso3"] == "SGP")
    assert sgp["class"] == "0 gaps" and sgp["colour"] == dict(mv.COLOURINGS["gaps"].classes)["0 gaps"]


@pytest.mark.parametrize("by", list(mv.COLOURINGS))
def test_the_spec_has_no_url_and_selects_by_iso3(facts, topo, by):
    spec = mv.map_spec(topo, facts, by)
    assert mv.urls_in(spec) == []
    assert "$schema" not in spec and "http" not in json.dumps(spec)
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
    assert spec["projection"]["type"] == "mercator"
    params = [p for layer in spec["layer"] for p in layer.get("params", [])]
    assert {p["name"] for p in params} == {"country", "territory"}
    assert all(p["select"]["fields"] == ["iso3"] for p in params)
    assert spec["datasets"]["boundaries"] is topo


def test_arcs_start_at_the_partner_or_the_frame_edge(facts):
    links = mv.partner_links(facts, mv.FRAMES["Asia-Pacific"])
    assert set(links["link"]) == {"JPN-MYS", "USA-MYS"}
    jpn = links[(links.link == "JPN-MYS")].sort_values("seq")
    assert (jpn.iloc[0]["lon"], jpn.iloc[0]["lat"]) == (139.76, 35.68)
    assert (jpn.iloc[-1]["lon"], jpn.iloc[-1]["lat"]) == pytest.approx((101.69, 3.15))
    assert jpn.iloc[0]["n_tools"] == 2
    usa = links[(links.link == "USA-MYS")].sort_values("seq").iloc[0]
    assert mv.in_frame(mv.FRAMES["Asia-Pacific"], usa["lon"], usa["lat"])  # the east edge, not Washington
    anchors = {a["partner"]: a["text"] for a in mv.partner_anchors(facts, links, mv.FRAMES["Asia-Pacific"])}
    assert anchors == {"JPN": "JPN", "USA": "USA (off map)"}


def test_projection_frames_the_region():
    proj = mv.projection(mv.FRAMES["Asia-Pacific"], 1000, 660)
    lo0, lo1, la0, la1 = mv.FRAMES["Asia-Pacific"]
    corners = [mv.project(proj, lo, la) for lo in (lo0, lo1) for la in (la0, la1)]
    assert all(-1e-6 <= x <= 1000 + 1e-6 and -1e-6 <= y <= 660 + 1e-6 for x, y in corners)
    x, y = mv.project(proj, 101.69, 3.15)  # Kuala Lumpur well inside
    assert 300 < x < 800 and 200 < y < 500


def test_svg_export_is_standalone(facts, topo):
    svg = mv.map_svg(topo, facts, "category", title="Maturity <category>", subtitle="2008–2009")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "Maturity &lt;category&gt;" in svg
    assert mv.ATTRIBUTION in svg
    refs = [u for u in svg.split('"') if u.startswith(("http://", "https://"))]
    assert refs == ["http://www.w3.org/2000/svg"]  # the namespace name only, nothing to fetch
    assert "<image" not in svg and "@import" not in svg
    assert dict(mv.COLOURINGS["category"].classes)["2: laws not yet sufficient"] in svg
    assert svg.count("<circle") >= 2  # Singapore and Hong Kong
    import xml.etree.ElementTree as ET

    ET.fromstring(svg)


def test_selected_iso3_reads_either_param():
    assert mv.selected_iso3({"selection": {"country": [{"iso3": "MYS"}], "territory": []}}) == "MYS"
    assert mv.selected_iso3({"selection": {"country": [], "territory": [{"iso3": "SGP"}]}}) == "SGP"
    assert mv.selected_iso3({"selection": {"country": [], "territory": []}}) is None
    assert mv.selected_iso3(None) is None


# ------------------------------------------------------------------------------------------ the page
@pytest.fixture(scope="module")
def app(tmp_path_factory):
    import os

    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    saved = {k: os.environ.get(k) for k in ("OUTREACH_CACHE", "OUTREACH_DATA")}
    os.environ["OUTREACH_CACHE"] = str(tmp_path_factory.mktemp("map-cache"))
    os.environ.pop("OUTREACH_DATA", None)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("app_pages/0_Map.py").run()
    yield at
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_the_page_draws_and_opens_a_dossier(app):
    at = app
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert at.title[0].value == "Map"
    for by in ("tier", "gaps", "unmet", "category"):
        at.radio(key="map_colour").set_value(by).run()
        assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="map_open_country").set_value("THA").run()
    at.button(key="map_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Country dossier"
    assert at.header[0].value == "Thailand (THA)"
