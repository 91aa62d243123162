"""The Streamlit app on the real data/: every page renders without an exception, and changing a widget changes
what is shown (values checked against the query library / risk functions run directly)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data"
TIMEOUT = 180


@pytest.fixture(scope="session", autouse=True)
def app_cache(tmp_path_factory):
    """The app's stores build in an isolated cache folder; no Neo4j settings leak into the app."""
    folder = tmp_path_factory.mktemp("app-cache")
    saved = {k: os.environ.get(k) for k in ("OUTREACH_CACHE", "OUTREACH_DATA")}
    os.environ["OUTREACH_CACHE"] = str(folder)
    os.environ.pop("OUTREACH_DATA", None)
    yield folder
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def runner(app_cache):
    from queries import Runner

    return Runner("embedded", REAL)


def page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_overview_shows_the_data_counts_and_the_backend_switch(real_graph):
    from graph_loader.build import counts
    from graph_loader.schema import load_schema

    at = page("app.py")
    c = counts(real_graph, load_schema())
    assert at.title[0].value == "Outreach Graph"
    assert metric(at, "Countries") == str(c["nodes"]["Country"])
    assert metric(at, "Relationships") == str(sum(c["relationships"].values()))
    assert at.sidebar.radio(key="backend").value == "embedded"


def test_the_network_opens_on_who_does_what_where_and_offers_ties_and_the_explorer():
    at = page("app_pages/1_Network.py")
    assert at.radio(key="net_mode").value == "Who does what where"
    assert any(c.startswith("Who does what where, 2008–2009") for c in captions(at))
    at.radio(key="net_mode").set_value("Ties to nations of concern").run(timeout=TIMEOUT)
    ok(at)
    at.selectbox(key="ties_from").set_value("THA")
    at.selectbox(key="ties_to").set_value("PRK").run(timeout=TIMEOUT)
    ok(at)
    path = [m.value for m in at.markdown if "Strongest path" in m.value]
    assert path and path[0].count("→") >= 1 and "THA" in path[0] and "PRK" in path[0]


def test_network_filters_change_the_view_and_the_tie_path_is_listed(real_graph):
    at = page("app_pages/1_Network.py")
    assert at.title[0].value == "Network"
    at.radio(key="net_mode").set_value("Graph explorer").run(timeout=TIMEOUT)
    shown = lambda: next(c for c in captions(at) if c.startswith("Shown:"))
    before = shown()
    at.multiselect(key="net_labels").set_value(["Country"]).run(timeout=TIMEOUT)
    ok(at)
    n_countries = sum(d["label"] == "Country" for _, d in real_graph.nodes(data=True))
    assert shown().startswith(f"Shown: {n_countries} nodes") and shown() != before
    at.selectbox(key="net_path_from").set_value("MYS")
    at.selectbox(key="net_path_to").set_value("PRK").run(timeout=TIMEOUT)
    ok(at)
    path = [m.value for m in at.markdown if "Shortest tie path" in m.value]
    assert path and "Malaysia" in path[0] and "North Korea" in path[0]
    at.selectbox(key="net_focus").set_value("MYS")
    at.slider(key="net_depth").set_value(1).run(timeout=TIMEOUT)
    ok(at)
    assert at.get("download_button")[0].label.startswith("Download this view")


def test_coverage_follows_the_context_window_which_opens_on_2008_2009(runner):
    at = page("app_pages/2_Coverage.py")
    expected = lambda a, b: str(len(runner.run("coverage_gaps", {"year_from": a, "year_to": b}).rows))
    assert at.sidebar.slider(key="ctx_years").value == (2008, 2009)
    assert metric(at, "Coverage gaps") == expected(2008, 2009)
    assert int(metric(at, "Overlaps (flooding)")) >= 1  # the Malaysia case is visible without changing anything
    at.sidebar.slider(key="ctx_years").set_value((2020, 2020)).run(timeout=TIMEOUT)
    ok(at)
    assert metric(at, "Coverage gaps") == expected(2020, 2020) != expected(2008, 2009)
    assert at.query_params["from"] == "2020" and at.query_params["to"] == "2020"
    at.sidebar.slider(key="ctx_years").set_value((2009, 2009)).run(timeout=TIMEOUT)
    clashes = runner.run("schedule_conflicts", {"year_from": 2009, "year_to": 2009}).rows
    assert metric(at, "Schedule conflicts") == str(len(clashes))


def test_the_tier_source_reaches_the_coverage_priorities(runner):
    at = page("app_pages/2_Coverage.py")
    at.sidebar.radio(key="ctx_tier_source").set_value("model").run(timeout=TIMEOUT)
    ok(at)
    assert at.query_params["tiers"] == "model"
    model_gaps = runner.run("coverage_gaps", {"year_from": 2008, "year_to": 2009, "tier_source": "model"}).rows
    shown = next(df for df in at.dataframe if "priority" in df.value.columns).value
    assert round(shown["priority"].max(), 3) == round(max(r["priority"] for r in model_gaps), 3)


def test_coverage_what_if_closes_a_gap_on_a_variant_store(runner):
    at = page("app_pages/2_Coverage.py")
    gaps = runner.run("coverage_gaps", {"year_from": 2008, "year_to": 2008}).rows
    assert ("MYS", "legal_assistance") in {(r["iso3"], r["tool"]) for r in gaps}
    at.sidebar.slider(key="ctx_years").set_value((2008, 2008)).run(timeout=TIMEOUT)
    at.selectbox(key="wf_partner").set_value("USA")
    at.selectbox(key="wf_country").set_value("MYS")
    at.selectbox(key="wf_tool").set_value("legal_assistance")
    assert at.number_input(key="wf_year_2008").value == 2008  # the plan's year follows the context's window
    next(b for b in at.button if b.label == "Add planned activity").click().run(timeout=TIMEOUT)
    ok(at)
    gap_metric = next(m for m in at.metric if m.label == "Coverage gaps")
    assert gap_metric.value == str(len(gaps) - 1) and gap_metric.delta == "-1"
    assert any("what-if: 1 planned" in c for c in captions(at))
    assert runner.run("coverage_gaps", {"year_from": 2008, "year_to": 2008}).rows == gaps  # data/ untouched


def test_risk_follows_the_context_year_and_a_weight_change_changes_the_highest_risk(real_graph):
    from graph_loader import risk

    at = page("app_pages/3_Risk.py")
    inp = risk.risk_inputs(real_graph)
    top = lambda m: f"{next(r for r in risk.rank_rows(inp, 2009, m) if r['recipient'])['score']:.3f}"
    model = risk.load_model()
    assert metric(at, "Highest risk") == top(model)  # the context's window ends in 2009
    at.slider(key="w_hand-set_trade").set_value(0.0).run(timeout=TIMEOUT)
    ok(at)
    adjusted = risk.Model(dict(model.weights, trade=0.0), model.intention_share)
    assert metric(at, "Highest risk") == top(adjusted) != top(model)
    at.sidebar.selectbox(key="ctx_model_name").set_value("fitted-annex-i").run(timeout=TIMEOUT)
    ok(at)
    assert metric(at, "Highest risk") == top(risk.load_model("fitted-annex-i"))


def test_dossier_switches_country():
    at = page("app_pages/4_Country_dossier.py")
    assert at.selectbox(key="dossier_country").value == "MYS"
    assert at.header[0].value == "Malaysia (MYS)"
    at.selectbox(key="dossier_country").set_value("THA").run(timeout=TIMEOUT)
    ok(at)
    assert at.header[0].value == "Thailand (THA)"


def test_queries_page_runs_a_library_query_and_refuses_writes(runner):
    at = page("app_pages/5_Queries.py")
    at.selectbox(key="query_name").set_value("coverage_gaps").run(timeout=TIMEOUT)
    at.number_input(key="param_coverage_gaps_year_to").set_value(2010)
    at.button(key="run_query").click().run(timeout=TIMEOUT)
    ok(at)
    n = len(runner.run("coverage_gaps", {"year_to": 2010}).rows)
    assert any(c.startswith(f"{n} rows") for c in captions(at))
    assert len(at.dataframe[0].value) == n
    at.text_area(key="cypher_text").set_value("MATCH (c:Country) SET c.name = 'x' RETURN c.iso3")
    at.button(key="run_cypher").click().run(timeout=TIMEOUT)
    assert not at.exception
    assert any("refused before running" in e.value for e in at.error)


def test_briefing_page_offers_the_html_and_the_csv_zip():
    at = page("app_pages/6_Briefing.py")
    assert [b.key for b in at.get("download_button")] == ["briefing_download", "briefing_zip_download"]
    assert not any("country_profile" in c for c in captions(at))
    at.selectbox(key="briefing_country").set_value("MYS").run(timeout=TIMEOUT)
    ok(at)
    assert any("country_profile: 1 rows" in c for c in captions(at))


def test_neo4j_choice_without_settings_falls_back_to_embedded(monkeypatch):
    for k in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(k, raising=False)
    at = page("app_pages/2_Coverage.py")
    at.sidebar.radio(key="backend").set_value("neo4j").run(timeout=TIMEOUT)
    assert not at.exception
    assert any("embedded" in w.value for w in at.sidebar.warning)
    assert any("embedded backend" in c for c in captions(at))


@pytest.mark.neo4j
def test_the_backend_switch_runs_the_pages_on_neo4j(neo4j_uri, real_graph, runner, monkeypatch):
    from graph_loader.stores.neo4j_store import Neo4jSettings
    from graph_loader.stores.neo4j_sync import sync_graph

    sync_graph(real_graph, Neo4jSettings(uri=neo4j_uri), show_progress=False)
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    at = page("app_pages/5_Queries.py")
    assert at.sidebar.radio(key="backend").value == "embedded"  # embedded stays the default
    at.sidebar.radio(key="backend").set_value("neo4j").run(timeout=TIMEOUT)
    ok(at)
    at.selectbox(key="query_name").set_value("coverage_gaps").run(timeout=TIMEOUT)
    at.button(key="run_query").click().run(timeout=TIMEOUT)
    ok(at)
    n = len(runner.run("coverage_gaps", {}).rows)
    assert any(c.startswith(f"{n} rows") for c in captions(at))
    assert not at.sidebar.warning
    at.text_area(key="cypher_text").set_value("MATCH (c:Country) DELETE c")
    at.button(key="run_cypher").click().run(timeout=TIMEOUT)
    assert any("refused" in e.value for e in at.error)
