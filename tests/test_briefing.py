"""The briefing: one self-contained HTML file with the key query tables, a zip of CSVs, and the CLI."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from graph_loader import briefing
from graph_loader.pipeline import load
from graph_loader.vis_html import esc

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Stores for this module build in their own cache folder."""
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("OUTREACH_CACHE")
    os.environ["OUTREACH_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("OUTREACH_CACHE", None)
    else:
        os.environ["OUTREACH_CACHE"] = old


@pytest.fixture(scope="module")
def runner(cache, tiny_dir):
    from queries import Runner

    return Runner("embedded", tiny_dir)


@pytest.fixture(scope="module")
def mys(tiny_graph, runner):
    tables = briefing.briefing_tables(tiny_graph, runner, "MYS", 2008)
    return tables, briefing.briefing_html(tiny_graph, runner, "MYS", 2008, tables=tables)


def assert_self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*//""", html)
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc\s*=", html, re.I)
    assert "<link" not in html.lower() and "@import" not in html


def test_briefing_html_is_self_contained(mys):
    tables, html = mys
    assert_self_contained(html)
    assert html.startswith("<!DOCTYPE html>") and "vis.Network" in html


def test_briefing_shows_the_key_tables_values(mys):
    tables, html = mys
    cols, gaps = tables["coverage_gaps"]
    assert ("MYS", "legal_assistance") in {(r["iso3"], r["tool"]) for r in gaps}  # category 2 needs it; nobody gave it
    assert {r["iso3"] for r in gaps} == {"MYS"}  # focus country only
    _, overlaps = tables["partner_overlap"]
    assert {(r["iso3"], r["tool"]) for r in overlaps} == {("MYS", "officer_training")}  # USA and AUS in 2008
    _, unmet = tables["unmet_requests"]
    assert unmet == []  # R2 (training) is answered by the 2008 trainings; R3 is a coordination point, not a need
    # the profile's statements are those of the window: R2 (2008), not R3 (2009)
    assert {r["request_id"] for r in tables["country_requests"][1]} == {"R2"}
    assert esc("Training for customs officers") in html
    for r in gaps:
        assert esc(r["tool"]) in html and esc(r["requirement"]) in html
    for r in overlaps:
        for a in r["activities"]:
            assert esc(a) in html
    for r in unmet:
        assert esc(r["request_id"]) in html and esc(r["summary"]) in html
    _, ranking = tables["risk_ranking"]
    assert ranking and all(esc(r["country"]) in html for r in ranking)
    assert f"{ranking[0]['score']:.3f}".rstrip("0") in html
    assert "Malaysia (MYS)" in html and "Country profile" in html and "Ties to nations of concern" in html
    for r in tables["ties_to_concern"][1]:
        assert esc(r["concern"]) in html


def test_overview_briefing_without_a_country(tiny_graph, runner):
    html = briefing.briefing_html(tiny_graph, runner, None, 2008)
    assert_self_contained(html)
    assert "All recipients" in html and "Country profile" not in html


def test_values_from_data_are_escaped(tiny_copy, cache):
    from queries import Runner

    hostile = "<script>alert(1)</script>"
    path = tiny_copy / "countries.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("MYS,Malaysia", f"MYS,{hostile}"), encoding="utf-8")
    g, _ = load(tiny_copy, risk_year=2008)
    html = briefing.briefing_html(g, Runner("embedded", tiny_copy), "MYS", 2008)
    assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_tables_zip_is_deterministic_and_spreadsheet_safe(mys):
    tables, _ = mys
    z = briefing.tables_zip(tables)
    assert z == briefing.tables_zip(tables)
    with zipfile.ZipFile(io.BytesIO(z)) as f:
        assert sorted(f.namelist()) == sorted(f"{n}.csv" for n in tables)
        rows = list(csv.reader(io.StringIO(f.read("coverage_gaps.csv").decode())))
    assert rows[0] == tables["coverage_gaps"][0] and len(rows) == 1 + len(tables["coverage_gaps"][1])


def test_year_defaults_to_the_risk_year_and_risk_uses_the_nearest_scored_year(tiny_graph):
    assert briefing.resolve_years(tiny_graph, None)[0] == tiny_graph.graph["risk_year"]
    scored = briefing.scored_years(tiny_graph)
    assert briefing.resolve_years(tiny_graph, scored[-1] + 10) == (scored[-1] + 10, scored[-1])


def cli(*args, cache_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OUTREACH_CACHE=str(cache_dir))
    return subprocess.run(
        [sys.executable, "-m", "graph_loader", "briefing", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_cli_writes_the_html_and_a_zip_of_csvs(tmp_path, cache):
    out = tmp_path / "out" / "mys.html"
    done = cli("--data", "tests/fixtures/tiny", "--country", "mys", "--year", 2008, "--out", out, cache_dir=cache)
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert "Malaysia (MYS)" in html
    zpath = out.with_name("mys_tables.zip")
    with zipfile.ZipFile(zpath) as z:
        names = set(z.namelist())
        gaps = list(csv.DictReader(io.StringIO(z.read("coverage_gaps.csv").decode())))
    assert {"risk_ranking.csv", "coverage_gaps.csv", "country_profile.csv", "ties_to_concern.csv"} <= names
    assert {r["iso3"] for r in gaps} == {"MYS"}
    assert sorted(p.name for p in out.parent.iterdir()) == ["mys.html", "mys_tables.zip"]  # no temporary left
    assert str(out) in done.stdout


def test_cli_unknown_country_exits_non_zero_and_writes_nothing(tmp_path, cache):
    out = tmp_path / "never" / "x.html"
    done = cli("--data", "tests/fixtures/tiny", "--country", "XXX", "--out", out, cache_dir=cache)
    assert done.returncode != 0
    assert "unknown country 'XXX'" in done.stderr
    assert not out.parent.exists()


def test_a_malaysia_2009_briefing_shows_its_year_the_2009_meeting_and_states_its_context(real_graph):
    from conftest import REAL
    from queries import Runner

    w = briefing.window(real_graph, 2009, 2009, "assessment", "hand-set")
    runner = Runner("embedded", REAL)
    tables = briefing.briefing_tables(real_graph, runner, "MYS", w=w)
    html = briefing.briefing_html(real_graph, runner, "MYS", tables=tables, w=w)
    assert w.risk_year == 2009
    assert {r["meeting_id"] for r in tables["meetings"][1]} == {"ASTOP-VI"}  # where its requests were voiced
    assert {a["year"] for a in tables["country_activities"][1]} == {2009}  # not 2010's proposed training
    assert {r["year"] for r in tables["risk_ranking"][1]} == {2009}
    assert (
        "Made for: window 2009–2009 · risk of 2009 · the analysts&#x27;" in html
        or "Made for: window 2009–2009 · risk of 2009 · the analysts'" in html
    )
    assert "risk model hand-set" in html
