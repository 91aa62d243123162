"""Network views on the tiny fixture (hand-checkable): filters, ego depth, tie path, highlights, aggregation,
self-contained and escaped HTML, and the rule that no view ever changes the (cached) input graph."""
from __future__ import annotations

import hashlib
import json
import re

import pytest

from graph_loader import network_view as nv
from graph_loader import vis_html
from graph_loader.pipeline import load
from graph_loader.schema import load_schema


def checksum(g) -> str:
    """Content hash of a graph: graph attributes, nodes and edges with all attributes, in sorted order."""
    h = hashlib.sha256(json.dumps(g.graph, sort_keys=True, default=str).encode())
    for n in sorted(g.nodes):
        h.update(json.dumps([n, g.nodes[n]], sort_keys=True, default=str).encode())
    for e in sorted(g.edges(keys=True, data=True), key=lambda e: json.dumps(e, sort_keys=True, default=str)):
        h.update(json.dumps(e, sort_keys=True, default=str).encode())
    return h.hexdigest()


def ids(g, label: str) -> set[str]:
    return {n.split(":", 1)[1] for n, d in g.nodes(data=True) if d["label"] == label}


def data_of(html: str) -> dict:
    block = re.search(r'<script type="application/json" class="og-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(block)


# ------------------------------------------------------------------------------------------------ filters
def test_label_filter_keeps_only_the_chosen_kinds(tiny_graph):
    v = nv.filter_graph(tiny_graph, nv.Filters(labels=("Country", "Tool")))
    assert {d["label"] for _, d in v.nodes(data=True)} == {"Country", "Tool"}
    assert ids(v, "Country") == {"AUS", "CHN", "JPN", "LAO", "MYS", "PRK", "SGP", "THA", "USA"}


def test_year_window_drops_activities_and_yearly_edges_outside_it(tiny_graph):
    v = nv.filter_graph(tiny_graph, nv.Filters(years=(2009, 2009)))
    assert ids(v, "Activity") == {"A9"}
    trade = {(u, w, d["year"]) for u, w, d in v.edges(data=True) if d["type"] == "TRADES_WITH"}
    assert trade == {("Country:THA", "Country:PRK", 2009)}
    assert not [d for *_, d in v.edges(data=True) if d["type"] == "ALLIED_WITH"]  # alliances are 2008 only
    # contiguity has no year but a period (from 1949/1957/1965, still in force): kept
    assert sum(d["type"] == "CONTIGUOUS" for *_, d in v.edges(data=True)) == 3


def test_partner_filter_keeps_that_partners_countries_activities_and_programmes(tiny_graph):
    v = nv.filter_graph(tiny_graph, nv.Filters(partners=("JPN",)))
    assert ids(v, "Activity") == {"A1", "A4", "A6", "A8"}
    assert "Country:USA" not in v and "Country:AUS" not in v and "Country:JPN" in v
    assert ids(v, "Programme") == {"JPN-IOS"}


def test_programme_filter_keeps_only_its_activities(tiny_graph):
    v = nv.filter_graph(tiny_graph, nv.Filters(programmes=("USA-EXBS",)))
    assert ids(v, "Activity") == {"A2", "A5", "A7"}
    assert ids(v, "Programme") == {"USA-EXBS"}


def test_category_and_tier_filters_apply_to_recipients_only(tiny_graph):
    v = nv.filter_graph(tiny_graph, nv.Filters(categories=(1,)))
    # THA is category 1; MYS 2 and SGP 4 go, LAO (no category) goes; partners and nations of concern stay
    assert ids(v, "Country") == {"AUS", "CHN", "JPN", "PRK", "THA", "USA"}
    tier = tiny_graph.nodes["Country:MYS"]["risk_tier"]
    v = nv.filter_graph(tiny_graph, nv.Filters(tiers=(tier,)))
    recipients = {i for i in ids(v, "Country") if tiny_graph.nodes[f"Country:{i}"].get("recipient")
                  and not tiny_graph.nodes[f"Country:{i}"].get("concern")}
    assert "MYS" in recipients
    assert all(tiny_graph.nodes[f"Country:{i}"].get("risk_tier") == tier for i in recipients)


def test_relationship_filter(tiny_graph):
    v = nv.filter_graph(tiny_graph, nv.Filters(rel_types=("TARGETS",)))
    assert {d["type"] for *_, d in v.edges(data=True)} == {"TARGETS"}
    assert v.number_of_nodes() == tiny_graph.number_of_nodes()


# -------------------------------------------------------------------------------------------- ego, path
def test_ego_depth_one_is_the_node_and_its_neighbours_either_direction(tiny_graph):
    v = nv.ego(tiny_graph, "Country:MYS", 1)
    expected = {"Country:MYS"} | set(tiny_graph.successors("Country:MYS")) | set(tiny_graph.predecessors("Country:MYS"))
    assert set(v.nodes) == expected
    assert {"Activity:A2", "Activity:A3", "Activity:A4", "Activity:A7", "Activity:A9"} <= set(v.nodes)
    assert "Country:USA" not in v  # USA → A2 → MYS: two steps
    assert "Country:USA" in nv.ego(tiny_graph, "Country:MYS", 2)
    assert v.nodes["Country:MYS"]["_focus"] is True


def test_ego_depth_grows_and_is_bounded(tiny_graph):
    sizes = [nv.ego(tiny_graph, "Country:LAO", d).number_of_nodes() for d in (1, 2, 3)]
    assert sizes[0] < sizes[1] <= sizes[2]
    with pytest.raises(ValueError):
        nv.ego(tiny_graph, "Country:LAO", 4)
    with pytest.raises(KeyError):
        nv.ego(nv.filter_graph(tiny_graph, nv.Filters(labels=("Tool",))), "Country:LAO", 1)


def test_tie_path_is_the_shortest_over_ties_in_the_window(tiny_graph):
    y2008 = nv.filter_graph(tiny_graph, nv.Filters(labels=("Country",), years=(2008, 2008)))
    p = nv.tie_path(y2008, "LAO", "PRK")
    assert p.nodes == ("Country:LAO", "Country:CHN", "Country:PRK")
    assert p.hops == (("Country:LAO", "Country:CHN", ("CONTIGUOUS",)), ("Country:CHN", "Country:PRK", ("ALLIED_WITH",)))
    # 2009: the CHN–PRK alliance (2008) is gone; the only way to PRK is THA's 2009 trade:
    # LAO –border– CHN –language– MYS –border– THA –trade– PRK
    y2009 = nv.filter_graph(tiny_graph, nv.Filters(labels=("Country",), years=(2009, 2009)))
    assert nv.tie_path(y2009, "LAO", "PRK").nodes == tuple(f"Country:{c}" for c in ("LAO", "CHN", "MYS", "THA", "PRK"))
    assert nv.tie_path(tiny_graph, "LAO", "USA") is None  # the US has no tie in the fixture


def test_distance_and_rivalry_are_not_ties(tiny_graph):
    t = nv.tie_graph(tiny_graph)
    assert all(set(d["ties"]) <= set(nv.TIE_TYPES) for *_, d in t.edges(data=True))
    only_distance = nv.filter_graph(tiny_graph, nv.Filters(rel_types=("DISTANCE", "RIVALRY")))
    assert nv.tie_graph(only_distance).number_of_edges() == 0


def test_with_path_adds_the_path_marked(tiny_graph):
    view = nv.filter_graph(tiny_graph, nv.Filters(labels=("Tool",)))
    p = nv.tie_path(tiny_graph, "LAO", "THA")
    h = nv.with_path(view, tiny_graph, p)
    assert all(h.nodes[n]["_path"] for n in p.nodes)
    assert {d["type"] for *_, d in h.edges(data=True) if d.get("_path")} >= {"CONTIGUOUS"}


# ----------------------------------------------------------------------------------- highlights, styles
def test_gaps_and_overlaps_are_marked_and_drawn_in_the_schema_colours(tiny_graph):
    gaps = [{"iso3": "MYS", "tool": "legal_assistance"}]
    overlaps = [{"iso3": "MYS", "tool": "officer_training", "activities": ["A2", "A3", "A7"]}]
    h = nv.highlight(tiny_graph, gaps, overlaps)
    assert h.nodes["Country:MYS"]["_gaps"] == ["legal_assistance"]
    assert h.nodes["Activity:A3"]["_overlap"] and "_overlap" not in h.nodes["Activity:A4"]
    assert sum(bool(d.get("_overlap")) for *_, d in h.edges(data=True)) == 3
    styles = load_schema().styles
    data = vis_html.vis_data(nv.copy_graph(h, ["Country:MYS", "Activity:A3"]))
    by_id = {n["id"]: n for n in data["nodes"]}
    assert by_id["Country:MYS"]["color"]["border"] == styles["gap_color"]
    assert by_id["Activity:A3"]["color"]["border"] == styles["overlap_color"]


def test_country_colour_and_size_come_from_schema_styles(tiny_graph):
    s = load_schema()
    st = s.styles
    mys, jpn = tiny_graph.nodes["Country:MYS"], tiny_graph.nodes["Country:JPN"]
    assert vis_html.node_color(mys, st, s) == st["category_colors"]["2"]
    assert vis_html.node_color(jpn, st, s) == st["role_colors"]["partner"]
    size = st["country_size"]["base"] + st["country_size"]["scale"] * mys["risk_score"]
    assert vis_html.node_size(mys, st, s) == round(size, 2)
    assert vis_html.node_color(tiny_graph.nodes["Tool:officer_training"], st, s) == s.nodes["Tool"].style["color"]


def test_legend_is_read_from_the_schema():
    s = load_schema()
    items = vis_html.legend_items(s)
    assert [i["name"] for i in items if i["section"] == "Node kinds"] == list(s.nodes)
    cats = {i["color"] for i in items if i["section"] == "Recipients by maturity category"}
    assert cats == set(s.styles["category_colors"].values())


# ------------------------------------------------------------------------------------------- aggregation
def test_trade_is_merged_per_pair_preferring_imf_dots(tiny_graph):
    h, merged = nv.merge_pair_edges(tiny_graph)
    assert merged > 0
    tha_chn = [d for u, v, d in h.edges(data=True)
               if d["type"] == "TRADES_WITH" and {u, v} == {"Country:THA", "Country:CHN"}]
    # THA→CHN 100 (IMF DOTS; the COW 999 for the same flow is not added) + CHN→THA 100
    assert len(tha_chn) == 1 and tha_chn[0]["value_usd_mn"] == 200 and tha_chn[0]["n"] == 3


def test_aggregation_above_the_threshold_says_what_it_did(tiny_graph):
    small, notice = nv.aggregate(tiny_graph)
    assert notice == "" and small.number_of_nodes() == tiny_graph.number_of_nodes()
    agg, notice = nv.aggregate(tiny_graph, max_nodes=20, max_edges=30)
    assert "hid" in notice and "Contact" in notice and "CountryYear" in notice and "RiskScore" in notice
    assert "merged" in notice and "grouped" in notice
    assert not ids(agg, "Contact") and not ids(agg, "CountryYear")
    assert agg.number_of_edges() <= 30
    groups = [d for _, d in agg.nodes(data=True) if d["label"] == "Group"]
    assert sorted(m for g in groups for m in g["members"]) == ["LAO", "MYS", "SGP", "THA"]  # recipients only


def test_aggregation_keeps_requested_countries(tiny_graph):
    agg, _ = nv.aggregate(tiny_graph, max_nodes=20, max_edges=30, keep={"Country:MYS"})
    assert "Country:MYS" in agg


def test_real_default_view_is_aggregated_with_a_notice(real_graph):
    agg, notice = nv.aggregate(real_graph)
    assert agg.number_of_nodes() <= nv.MAX_NODES and agg.number_of_edges() <= nv.MAX_EDGES
    assert "CountryYear" in notice and "merged" in notice


# -------------------------------------------------------------------------------------------------- HTML
def test_html_is_self_contained_deterministic_and_has_search_and_legend(tiny_graph):
    html = nv.render_html(tiny_graph, notice="a notice")
    assert "http" not in html  # no URL of any kind (the fixture's sources hold none)
    assert not re.search(r"""(src|href)\s*=\s*["']?//""", html)
    assert "<link" not in html and "@import" not in html
    assert "vis.Network" in html and "og-search" in html and "Legend" in html and "a notice" in html
    assert nv.render_html(tiny_graph, notice="a notice") == html
    data = data_of(html)
    assert len(data["nodes"]) == tiny_graph.number_of_nodes() and len(data["edges"]) == tiny_graph.number_of_edges()
    assert data["options"]["layout"]["randomSeed"] == vis_html.SEED


def test_source_urls_in_data_are_shown_but_never_fetchable(real_graph):
    view = nv.filter_graph(real_graph, nv.Filters(labels=("Activity",)))
    html = nv.render_html(view)
    assert "://" not in html
    tips = " ".join(n["title"] for n in data_of(html)["nodes"])
    assert "https&#58;//www.meti.go.jp" in tips  # renders as https://… text inside the tooltip


def test_a_hostile_name_is_shown_as_text(tiny_copy):
    hostile = "<script>alert(1)</script>"
    path = tiny_copy / "countries.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("THA,Thailand", f"THA,{hostile}"), encoding="utf-8")
    g, _ = load(tiny_copy, risk_year=2008)
    assert g.nodes["Country:THA"]["name"] == hostile
    html = nv.render_html(g)
    assert hostile not in html and "<script>alert" not in html
    tip = next(n for n in data_of(html)["nodes"] if n["id"] == "Country:THA")["title"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tip and "<script" not in tip


def test_building_views_never_changes_the_input_graph(tiny_graph, real_graph):
    from graph_loader import whatif
    for g in (tiny_graph, real_graph):
        before = checksum(g)
        f = nv.Filters(labels=nv.DEFAULT_LABELS, years=(2008, 2010))
        view = nv.filter_graph(g, f)
        view = nv.ego(view, "Country:MYS", 2)
        path = nv.tie_path(g, "MYS", "PRK")
        view = nv.highlight(nv.with_path(view, g, path), [{"iso3": "MYS", "tool": "legal_assistance"}], [])
        nv.render_html(nv.aggregate(view, max_nodes=10, max_edges=20)[0])
        nv.aggregate(g)
        nv.render_html(nv.result_graph(g, [{"iso3": "MYS", "concern_iso3": "CHN", "tie": "trade"}]))
        whatif.with_planned(g, [{"partner": "USA", "target": "MYS", "tool": "legal_assistance", "year": 2008}])
        assert checksum(g) == before


def test_result_graph_links_the_countries_a_query_row_names(tiny_graph):
    rows = [{"iso3": "MYS", "concern_iso3": "CHN", "tie": "trade_exports", "strength": 50.0},
            {"iso3": "MYS", "concern_iso3": "CHN", "tie": "language", "strength": 0.5},
            {"iso3": "THA", "partners": ["JPN", "USA"], "tool": "industry_seminar"},
            {"iso3": "XXX", "partner": "JPN"}]  # unknown country: left out
    h = nv.result_graph(tiny_graph, rows)
    assert set(h.nodes) == {"Country:MYS", "Country:CHN", "Country:THA", "Country:JPN", "Country:USA"}
    assert sorted((u, v, d["what"], d["n"]) for u, v, d in h.edges(data=True)) == [
        ("Country:CHN", "Country:MYS", "language, trade_exports", 2),
        ("Country:JPN", "Country:THA", "industry_seminar", 1), ("Country:USA", "Country:THA", "industry_seminar", 1)]
