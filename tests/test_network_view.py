"""Network views on the tiny fixture (hand-checkable): filters, ego depth, tie path, highlights, aggregation,
self-contained and escaped HTML, and the rule that no view ever changes the (cached) input graph."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict

import networkx as nx
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
    recipients = {
        i
        for i in ids(v, "Country")
        if tiny_graph.nodes[f"Country:{i}"].get("recipient") and not tiny_graph.nodes[f"Country:{i}"].get("concern")
    }
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
    tha_chn = [
        d for u, v, d in h.edges(data=True) if d["type"] == "TRADES_WITH" and {u, v} == {"Country:THA", "Country:CHN"}
    ]
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


def test_each_country_group_carries_its_members_and_their_edges_for_the_click_that_expands_it(tiny_graph):
    agg, _ = nv.aggregate(tiny_graph, max_nodes=20, max_edges=30)
    groups = {n: d for n, d in agg.nodes(data=True) if d["label"] == "Group"}
    drawn = vis_html.vis_data(agg)["groups"]
    assert set(drawn) == set(groups)
    for gid, d in groups.items():
        assert sorted(n["id"] for n in drawn[gid]["nodes"]) == sorted(f"Country:{m}" for m in d["members"])
        members = {f"Country:{m}" for m in d["members"]}
        assert all(e["from"] in members or e["to"] in members for e in drawn[gid]["edges"])
    all_edges = [e for x in drawn.values() for e in x["edges"]]
    assert any(e["kind"] == "TARGETS" for e in all_edges)  # outreach to the members comes back with them
    ties = defaultdict(int)
    for e in all_edges:
        if e["kind"] in nv.COUNTRY_PAIR_TYPES:
            ties[(e["from"], e["to"])] += 1
    assert ties and max(ties.values()) <= 2 * nv.EXPAND_TIES


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
    rows = [
        {"iso3": "MYS", "concern_iso3": "CHN", "tie": "trade_exports", "strength": 50.0},
        {"iso3": "MYS", "concern_iso3": "CHN", "tie": "language", "strength": 0.5},
        {"iso3": "THA", "partners": ["JPN", "USA"], "tool": "industry_seminar"},
        {"iso3": "XXX", "partner": "JPN"},
    ]  # unknown country: left out
    h = nv.result_graph(tiny_graph, rows)
    assert set(h.nodes) == {"Country:MYS", "Country:CHN", "Country:THA", "Country:JPN", "Country:USA"}
    assert sorted((u, v, d["what"], d["n"]) for u, v, d in h.edges(data=True)) == [
        ("Country:CHN", "Country:MYS", "language, trade_exports", 2),
        ("Country:JPN", "Country:THA", "industry_seminar", 1),
        ("Country:USA", "Country:THA", "industry_seminar", 1),
    ]


# ------------------------------------------------------------------------------ bundles of records (scale)
def outreach(drop=()) -> nx.MultiDiGraph:
    """A hand-made view of 21 nodes: partners JPN and USA, recipients MYS and THA (one region), CHN (concern);
    activities J1–J5 (JPN industry seminars: J1–J3 to MYS, J4–J5 to THA, all in programme JPN-IOS, J2 at meeting
    M1), U1–U3 (USA officer training to MYS) and L1 (USA legal assistance to THA, alone of its kind); requests
    R1, R2 (MYS asks for officer training); and a MYS–THA border."""
    g = nx.MultiDiGraph()
    for iso3, flags in (
        ("JPN", {"partner": True}),
        ("USA", {"partner": True}),
        ("CHN", {"concern": True}),
        ("MYS", {"recipient": True, "category": 2}),
        ("THA", {"recipient": True, "category": 1}),
    ):
        g.add_node(f"Country:{iso3}", label="Country", iso3=iso3, name=iso3.title(), region="Asia", **flags)
    for tool in ("industry_seminar", "officer_training", "legal_assistance"):
        g.add_node(f"Tool:{tool}", label="Tool", tool_id=tool, name=tool.replace("_", " "))
    g.add_node("Programme:JPN-IOS", label="Programme", programme_id="JPN-IOS", name="Industrial outreach", owner="JPN")
    g.add_node("Meeting:M1", label="Meeting", meeting_id="M1", name="Meeting one", year=2009)
    acts = [
        ("J1", "JPN", "industry_seminar", "MYS", 2008, "held"),
        ("J2", "JPN", "industry_seminar", "MYS", 2009, "held"),
        ("J3", "JPN", "industry_seminar", "MYS", 2009, "planned"),
        ("J4", "JPN", "industry_seminar", "THA", 2008, "held"),
        ("J5", "JPN", "industry_seminar", "THA", 2009, "planned"),
        ("U1", "USA", "officer_training", "MYS", 2008, "held"),
        ("U2", "USA", "officer_training", "MYS", 2008, "held"),
        ("U3", "USA", "officer_training", "MYS", 2009, "cancelled"),
        ("L1", "USA", "legal_assistance", "THA", 2008, "held"),
    ]
    for aid, partner, tool, target, year, status in acts:
        if aid in drop:
            continue
        a = f"Activity:{aid}"
        g.add_node(
            a,
            label="Activity",
            activity_id=aid,
            title=f"{tool} {target}",
            partner=partner,
            targets=target,
            tool=tool,
            status=status,
            year=year,
            month=3,
            confidence=1.0,
            source=f"hand-made {aid}",
        )
        g.add_edge(f"Country:{partner}", a, type="CONDUCTS")
        g.add_edge(a, f"Country:{target}", type="TARGETS")
        g.add_edge(a, f"Tool:{tool}", type="USES")
        if partner == "JPN":
            g.add_edge(a, "Programme:JPN-IOS", type="PART_OF")
        if aid == "J2":
            g.add_edge(a, "Meeting:M1", type="HELD_AT")
    for rid in ("R1", "R2"):
        g.add_node(
            f"Request:{rid}",
            label="Request",
            request_id=rid,
            country="MYS",
            tool="officer_training",
            kind="assistance",
            summary="training please",
            year=2009,
        )
        g.add_edge("Country:MYS", f"Request:{rid}", type="VOICED")
        g.add_edge(f"Request:{rid}", "Tool:officer_training", type="ASKS_FOR")
    g.add_edge("Country:JPN", "Programme:JPN-IOS", type="RUNS")
    g.add_edge("Country:MYS", "Country:THA", type="CONTIGUOUS", kind="land", source="hand-made border")
    return g


JPN_SEMINARS = "ActivityGroup:partner=JPN|tool=industry_seminar"
USA_TRAINING = "ActivityGroup:partner=USA|tool=officer_training"


def linked(g, node: str) -> dict[tuple[str, str, str], int]:
    """{(from, to, type): n} of the edges at a node."""
    return {
        (u, v, d["type"]): d.get("n", 1)
        for u, v, d in list(g.in_edges(node, data=True)) + list(g.out_edges(node, data=True))
    }


def test_activities_are_bundled_by_partner_and_tool_when_the_view_is_too_big():
    g = outreach()
    before = checksum(g)
    assert g.number_of_nodes() == 21
    agg, notice = nv.aggregate(g, max_nodes=15, max_edges=100)
    assert checksum(g) == before  # the input graph is never changed
    assert agg.number_of_nodes() == 15  # 9 activities -> 2 bundles + L1, which is alone of its kind
    assert "bundled 8 activities into 2 nodes by partner × tool" in notice
    assert "grouped" not in notice and "requests" not in notice  # within the limit: countries and requests stay
    assert ids(agg, "Country") == {"JPN", "USA", "CHN", "MYS", "THA"}
    assert agg.nodes["Activity:L1"] == g.nodes["Activity:L1"]  # a bundle of one stays the node it is
    jpn = agg.nodes[JPN_SEMINARS]
    assert (jpn["label"], jpn["of"], jpn["by"], jpn["partner"], jpn["tool"]) == (
        "ActivityGroup",
        "Activity",
        "partner × tool",
        "JPN",
        "industry_seminar",
    )
    assert (jpn["n"], jpn["members"], jpn["years"], jpn["statuses"]) == (
        5,
        ["J1", "J2", "J3", "J4", "J5"],
        "2008–2009",
        "held 3, planned 2",
    )
    assert agg.nodes[USA_TRAINING]["statuses"] == "cancelled 1, held 2"
    # the bundle keeps every link, merged with a count: who ran them, whom they targeted, what, where
    assert linked(agg, JPN_SEMINARS) == {
        ("Country:JPN", JPN_SEMINARS, "CONDUCTS"): 5,
        (JPN_SEMINARS, "Country:MYS", "TARGETS"): 3,
        (JPN_SEMINARS, "Country:THA", "TARGETS"): 2,
        (JPN_SEMINARS, "Tool:industry_seminar", "USES"): 5,
        (JPN_SEMINARS, "Programme:JPN-IOS", "PART_OF"): 5,
        (JPN_SEMINARS, "Meeting:M1", "HELD_AT"): 1,
    }
    assert all(d["_merged"] for *_, d in agg.edges(JPN_SEMINARS, data=True))
    # what touches no activity is copied unchanged (ids, keys and attributes)
    untouched = {
        (u, v, k): d
        for u, v, k, d in g.edges(keys=True, data=True)
        if not u.startswith("Activity:") and not v.startswith("Activity:")
    }
    assert {(u, v, k): d for (u, v, k), d in untouched.items() if agg.has_edge(u, v, k)} == untouched
    assert all(agg.edges[e] == d for e, d in untouched.items())
    assert {n for n in agg if not n.startswith("ActivityGroup:")} == {
        n for n, d in g.nodes(data=True) if d["label"] != "Activity"
    } | {"Activity:L1"}


def test_bundle_ids_depend_only_on_what_they_stand_for():
    full, _ = nv.aggregate(outreach(), max_nodes=15, max_edges=100)
    again, _ = nv.aggregate(outreach(), max_nodes=15, max_edges=100)
    assert checksum(full) == checksum(again)
    fewer, notice = nv.aggregate(outreach(drop=("J5", "U1")), max_nodes=13, max_edges=100)
    assert "bundled 6 activities into 2 nodes" in notice
    assert {JPN_SEMINARS, USA_TRAINING} <= set(fewer) and fewer.nodes[JPN_SEMINARS]["n"] == 4


def test_overlap_highlights_survive_bundling():
    h = nv.highlight(outreach(), overlaps=[{"iso3": "MYS", "tool": "industry_seminar", "activities": ["J1", "J2"]}])
    agg, _ = nv.aggregate(h, max_nodes=15, max_edges=100)
    assert agg.nodes[JPN_SEMINARS]["_overlap"] is True and "_overlap" not in agg.nodes[USA_TRAINING]
    targets = {v: d for u, v, d in agg.out_edges(JPN_SEMINARS, data=True) if d["type"] == "TARGETS"}
    assert targets["Country:MYS"]["_overlap"] is True and "_overlap" not in targets["Country:THA"]


def test_requests_then_countries_are_grouped_only_while_still_too_big():
    g = outreach()
    agg, notice = nv.aggregate(g, max_nodes=13, max_edges=100, keep={"Country:THA"})
    assert (
        notice.index("bundled 8 activities")
        < notice.index("bundled 2 requests into 1 nodes by tool")
        < notice.index("grouped 1 countries by region")
    )
    assert "meetings" not in notice  # one meeting: nothing to bundle
    assert "RequestGroup:tool=officer_training" in agg and agg.nodes["RequestGroup:tool=officer_training"]["n"] == 2
    # MYS went into its region's group (THA was asked to be kept); the bundles now link to the group
    assert "Country:MYS" not in agg and "Country:THA" in agg
    group = "Group:region=Asia"
    assert agg.nodes[group]["members"] == ["MYS"]
    assert linked(agg, JPN_SEMINARS)[(JPN_SEMINARS, group, "TARGETS")] == 3
    assert linked(agg, JPN_SEMINARS)[(JPN_SEMINARS, "Country:THA", "TARGETS")] == 2
    assert checksum(g) == checksum(outreach())


def test_a_bundle_is_drawn_as_its_records_with_its_count():
    agg, notice = nv.aggregate(outreach(), max_nodes=15, max_edges=100)
    html = nv.render_html(agg, notice=notice)
    nodes = {n["id"]: n for n in data_of(html)["nodes"]}
    assert len(nodes) == 15
    b = nodes[JPN_SEMINARS]
    style = load_schema().nodes["Activity"].style
    assert b["label"] == "JPN · industry_seminar (5)" and b["shape"] == style.get("shape", "dot")
    assert b["color"]["background"] == style["color"] and b["size"] > nodes["Activity:L1"]["size"]
    assert "J1, J2, J3, J4, J5" in b["title"] and "held 3, planned 2" in b["title"]
    assert "bundled 8 activities" in html


def test_a_view_above_500_nodes_is_laid_out_without_scipy(monkeypatch):
    import sys

    import networkx as nx

    monkeypatch.setitem(sys.modules, "scipy", None)  # as on a machine without scipy: importing it fails
    sizes = []
    real = nx.spring_layout

    def spy(graph, *a, **k):
        sizes.append(graph.number_of_nodes())
        return real(graph, *a, **k)

    monkeypatch.setattr(vis_html.nx, "spring_layout", spy)
    g = nx.MultiDiGraph()
    for i in range(620):
        g.add_node(f"Activity:A{i:03d}", label="Activity", activity_id=f"A{i:03d}")
        if i % 5:
            g.add_edge(f"Activity:A{i:03d}", f"Activity:A{i - i % 5:03d}", type="RELATED")
    g.add_node("Activity:alone", label="Activity", activity_id="alone")
    pos = vis_html.positions(g)
    assert set(pos) == set(g.nodes) and all(map(lambda p: all(map(lambda x: x == x, p)), pos.values()))
    assert sizes and max(sizes) < 500
    assert vis_html.positions(g) == pos  # deterministic
    assert len(set(pos.values())) == len(pos)  # no two nodes on the same spot


def test_filtering_tests_edges_before_copying_and_gives_the_same_view(real_graph):
    f = nv.Filters(
        labels=nv.DEFAULT_LABELS,
        years=(2008, 2010),
        rel_types=tuple(sorted({d["type"] for *_, d in real_graph.edges(data=True)} - set(nv.DEFAULT_HIDDEN_RELS))),
    )
    expected = nv.copy_graph(real_graph, [n for n, d in real_graph.nodes(data=True) if nv._keep_node(d, f, {})])
    expected.remove_edges_from(
        [
            (u, v, k)
            for u, v, k, d in expected.edges(keys=True, data=True)
            if d["type"] not in f.rel_types or not nv._in_window(d, f.years)
        ]
    )
    got = nv.filter_graph(real_graph, f)
    assert list(got.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(got.edges(keys=True, data=True)) == list(expected.edges(keys=True, data=True))


def test_the_default_view_of_a_large_synthetic_data_set_is_drawn_within_the_limits(tmp_path):
    """Thousands of activities, requests and a hundred meetings (tools/synth.py): the Network page's default view
    (default kinds and relationships, every activity year) comes out within MAX_NODES/MAX_EDGES."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [
            sys.executable,
            str(root / "tools" / "synth.py"),
            "--out",
            str(tmp_path / "d"),
            "--countries",
            "60",
            "--years",
            "10",
            "--activities",
            "4000",
            "--seed",
            "5",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    g, _ = load(tmp_path / "d")
    before = checksum(g)
    years = [d["year"] for _, d in g.nodes(data=True) if d["label"] == "Activity"]
    rels = tuple(sorted({d["type"] for *_, d in g.edges(data=True)} - set(nv.DEFAULT_HIDDEN_RELS)))
    view = nv.filter_graph(g, nv.Filters(labels=nv.DEFAULT_LABELS, rel_types=rels, years=(min(years), max(years))))
    assert view.number_of_nodes() > 4000
    agg, notice = nv.aggregate(view)
    assert agg.number_of_nodes() <= nv.MAX_NODES and agg.number_of_edges() <= nv.MAX_EDGES
    assert "bundled 4000 activities" in notice
    assert not [n for n, d in agg.nodes(data=True) if d["label"] == "Activity"]
    html = nv.render_html(agg, notice=notice)
    assert len(data_of(html)["nodes"]) == agg.number_of_nodes()
    assert checksum(g) == before


def test_merging_country_pairs_without_copying_the_records_gives_the_same_graph(tiny_graph, real_graph):
    def reference(g):  # the previous implementation: copy everything, then replace each group by its merged edge
        h = nv.copy_graph(g)
        groups = defaultdict(list)
        for u, v, k, d in h.edges(keys=True, data=True):
            if d["type"] in nv.COUNTRY_PAIR_TYPES:
                groups[(d["type"], *sorted((u, v)))].append((u, v, k, d))
        merged = 0
        for (rtype, a, b), edges in sorted(groups.items()):
            if len(edges) > 1:
                h.remove_edges_from([(u, v, k) for u, v, k, _ in edges])
                h.add_edge(a, b, key=f"merged-{rtype}", **nv._merged_attrs(rtype, [d for *_, d in edges]))
                merged += len(edges)
        return h, merged

    for g in (tiny_graph, real_graph):
        before = checksum(g)
        got, n = nv.merge_pair_edges(g)
        want, m = reference(g)
        assert n == m > 0 and checksum(got) == checksum(want)
        assert sorted(map(str, got.edges(keys=True))) == sorted(map(str, want.edges(keys=True)))
        assert checksum(g) == before


def test_aggregating_hides_and_merges_in_one_copy_as_the_steps_one_after_the_other(real_graph):
    agg, notice = nv.aggregate(real_graph)
    step, hidden = nv.hide_labels(real_graph, nv.DETAIL_LABELS)
    step, merged = nv.merge_pair_edges(step)
    step = nv._cap_edges(step, nv.MAX_EDGES)
    assert checksum(agg) == checksum(step)
    assert notice.startswith(
        "Large view (limits: 400 nodes, 1500 relationships): hid "
        + ", ".join(f"{n} {label}" for label, n in hidden.items())
        + f" nodes; merged {merged} "
    )


def test_building_a_view_leaves_the_garbage_collector_as_it_was(tiny_graph):
    import gc
    import threading

    assert gc.isenabled()
    nv.aggregate(nv.filter_graph(tiny_graph, nv.Filters()), max_nodes=20, max_edges=30)
    assert gc.isenabled()
    gc.disable()
    try:
        nv.aggregate(tiny_graph, max_nodes=20)
        assert not gc.isenabled()  # the caller's choice is kept
    finally:
        gc.enable()
    errors = []

    def build():
        try:
            for _ in range(5):
                nv.aggregate(nv.filter_graph(tiny_graph, nv.Filters(years=(2008, 2009))), max_nodes=20, max_edges=30)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and gc.isenabled()  # views built at the same time: back on when the last is done


def test_a_view_with_activities_of_several_years_offers_a_year_playback(tiny_graph):
    from graph_loader.vis_html import vis_data

    view = nv.filter_graph(tiny_graph, nv.Filters(labels=("Country", "Activity")))
    data = vis_data(view)
    years = sorted({d["year"] for _, d in view.nodes(data=True) if d["label"] == "Activity"})
    assert data["playback"] == years and len(years) > 1
    assert all(n["year"] in years for n in data["nodes"] if n["id"].startswith("Activity:"))
    one_year = nv.filter_graph(tiny_graph, nv.Filters(labels=("Country", "Activity"), years=(2009, 2009)))
    assert vis_data(one_year)["playback"] == []  # nothing to play
