"""Hostile text in the data — HTML, script break-outs, javascript: URLs, Cypher fragments, spreadsheet formulas,
100 KB strings — is valid text: it loads, and it comes out inert everywhere. The network view and the briefing
carry it only escaped (nothing runs in Chromium), every CSV neutralises what a spreadsheet would execute, Cypher
gets it only as parameters (the stores are unchanged afterwards) and the app shows it as text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT, TINY

IMG = "<img src=x onerror=alert(1)>"
BREAKOUT = "</script><script>alert(1)</script>"
SVG = "<svg onload=alert(1)>"
IFRAME = "<iframe src=javascript:alert(1)></iframe>"
JS_URL = "javascript:alert(document.cookie)"
CYPHER = "'}) DETACH DELETE n //"
PARAM = "$param"
HYPERLINK = '=HYPERLINK("http://evil","x")'
LONG = ("A" * 1000 + IMG) * 100  # 102,800 characters
FORMULAS = (HYPERLINK, "@SUM(1)", "+1", "-1+2")

MYS_NAME = f"Malaysia {IMG} **bold** [link](http://evil)"
THA_NAME = f"Thailand {BREAKOUT}"
MEETING_ID = f"M2{CYPHER}"  # a key that is itself a Cypher fragment

# file: {row key: {column: hostile value}}; "+" adds a row
EDITS = {
    "countries.csv": {
        "MYS": {"name": MYS_NAME, "note": BREAKOUT, "source": HYPERLINK, "region": "@SUM(1)", "capital": JS_URL},
        "THA": {"name": THA_NAME, "source": "+1", "note": LONG, "capital": IFRAME},
        "SGP": {"name": HYPERLINK, "note": PARAM},
        "LAO": {"name": "-1+2", "source": CYPHER},
    },
    "activities.csv": {
        "A2": {"title": IMG, "note": CYPHER, "source": "-1+2", "venue": JS_URL},
        "A4": {"title": BREAKOUT, "note": PARAM, "source": HYPERLINK},
        "A5": {"title": "@SUM(1)", "note": LONG},
    },
    "requests.csv": {
        "R3": {"summary": HYPERLINK, "note": IMG, "source": "@SUM(1)"},
        "R2": {"summary": SVG, "note": "+1"},
        "R1": {"summary": HYPERLINK},  # a request for help nobody answers: listed by unmet_requests
    },
    "meetings.csv": {
        "M1": {"name": f"Meeting {BREAKOUT}", "venue": JS_URL, "chair": CYPHER},
        "+": {"meeting_id": MEETING_ID, "name": IMG, "year": "2009", "host": "JPN", "source": "+1"},
    },
    "meeting_participants.csv": {
        "+": {
            "meeting_id": MEETING_ID,
            "participant": "THA",
            "status": "attended",
            "representation": "=1+1",
            "note": BREAKOUT,
            "source": HYPERLINK,
        }
    },
    "contacts.csv": {"C1": {"name": IMG, "title": HYPERLINK, "agency": "-1+2", "note": LONG}},
    "programmes.csv": {"JPN-IOS": {"name": BREAKOUT, "description": JS_URL, "source": "@SUM(1)"}},
    "organisations.csv": {"IAEA": {"name": SVG}},
    "topics.csv": {"psi": {"name": CYPHER}},
    "tools.csv": {"officer_training": {"name": IFRAME, "description": HYPERLINK}},
}
SCHEMA_COLUMNS = {"countries.csv": ["note", "region", "capital"]}  # optional columns the tiny files leave out


def make_hostile(dst: Path) -> Path:
    """A copy of tests/fixtures/tiny with the EDITS applied (same shape, same keys, one meeting more)."""
    shutil.copytree(TINY, dst)
    for name, edits in EDITS.items():
        path = dst / name
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            cols, rows = list(reader.fieldnames), list(reader)
        cols += [c for c in SCHEMA_COLUMNS.get(name, []) if c not in cols]
        for r in rows:
            r.update(edits.get(next(iter(r.values())), {}))
        if "+" in edits:
            rows.append(edits["+"])
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, cols, restval="")
            w.writeheader()
            w.writerows(rows)
    return dst


# ------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OUTREACH_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    return make_hostile(tmp_path_factory.mktemp("hostile") / "data")


@pytest.fixture(scope="module")
def hostile(hostile_dir):
    from graph_loader.pipeline import load

    g, _ = load(hostile_dir)  # as store_for_data builds it (default risk year), so both engines hold one graph
    return g


@pytest.fixture(scope="module")
def runner(hostile_dir, cache):
    from queries import Runner

    return Runner("embedded", hostile_dir)


@pytest.fixture(scope="module")
def briefing_html(hostile, runner) -> tuple[dict, str]:
    from graph_loader import briefing

    w = briefing.window(hostile, 2009, 2008)  # 2008–2009: the 2009 statements are in the window
    tables = briefing.briefing_tables(hostile, runner, "MYS", w=w)
    return tables, briefing.briefing_html(hostile, runner, "MYS", tables=tables, w=w)


@pytest.fixture(scope="module")
def network_html(hostile) -> str:
    """The Network page's default view of the hostile graph, built as the page builds it."""
    from graph_loader import network_view as nv

    view = nv.filter_graph(
        hostile,
        nv.Filters(
            labels=nv.DEFAULT_LABELS + ("Contact", "Topic"),
            rel_types=tuple(
                t for t in {d["type"] for *_, d in hostile.edges(data=True)} if t not in nv.DEFAULT_HIDDEN_RELS
            ),
        ),
    )
    view = nv.highlight(
        view,
        [{"iso3": "MYS", "tool": "legal_assistance"}],
        [{"iso3": "MYS", "tool": "officer_training", "activities": ["A2", "A3"]}],
    )
    view, notice = nv.aggregate(view)
    return nv.render_html(view, title=f"view {MYS_NAME}", notice=f"notice {IMG}")


# --------------------------------------------------------------------------------------------- HTML audit
DOCUMENT_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "script",
    "body",
    "div",
    "input",
    "datalist",
    "button",
    "span",
    "details",
    "summary",
    "ul",
    "li",
    "h1",
    "h2",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "br",
    "b",
    "i",
}
TOOLTIP_TAGS = {"b", "br", "i"}
FETCHING_ATTRS = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background", "xlink:href"}


class Audit(HTMLParser):
    """Every tag, attribute, script body and text node of an HTML document, as a browser's tokenizer sees them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.text: list[str] = []
        self._script: dict | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if tag == "script":
            self._script = dict(attrs)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._script = None

    def handle_endtag(self, tag):
        self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.scripts.append((self._script, data))
        else:
            self.text.append(data)

    def all_text(self) -> str:
        return "".join(self.text)


def assert_inert(html: str, allowed: set[str]) -> Audit:
    """Only the expected tags, no event-handler or fetching attribute, no javascript: value."""
    a = Audit(html)
    assert set(a.tags) <= allowed, f"unexpected tags: {set(a.tags) - allowed}"
    assert [x for x in a.attrs if x[1].startswith("on")] == []
    assert [x for x in a.attrs if x[1] in FETCHING_ATTRS] == []
    assert [x for x in a.attrs if "javascript:" in x[2].lower().replace(" ", "")] == []
    return a


def assert_document_inert(html: str, views: int) -> tuple[Audit, list[dict]]:
    """A whole page: inert tags, and exactly the scripts the page is made of — the two in-lined assets, and
    per view its JSON data block and one ogRender call — so no text from data ever opened a script."""
    from graph_loader.vis_html import VIEW_JS, vis_assets

    a = assert_inert(html, DOCUMENT_TAGS)
    assert len(a.scripts) == 2 + 2 * views, [s[1][:80] for s in a.scripts]
    assert a.scripts[0][1] == vis_assets()[1] and a.scripts[1][1] == VIEW_JS
    data = []
    for attrs, body in a.scripts[2:]:
        if attrs.get("type") == "application/json":
            assert attrs.get("class") == "og-data"
            data.append(json.loads(body))
        else:
            assert re.fullmatch(r'window\.ogRender\("[A-Za-z0-9_-]+"\);', body), body[:200]
    assert len(data) == views
    return a, data


def assert_tooltips_inert(data: dict) -> int:
    """Tooltips become innerHTML in the page (VIEW_JS): each may hold only <b>, <br> and <i>, without attributes."""
    n = 0
    for item in data["nodes"] + data["edges"]:
        if item.get("title"):
            tip = assert_inert(item["title"], TOOLTIP_TAGS)
            assert tip.attrs == [], item["title"][:300]
            n += 1
    return n


# ----------------------------------------------------------------------------------------------- loading
def test_the_hostile_data_loads_as_the_text_it_is(hostile):
    assert hostile.nodes["Country:MYS"]["name"] == MYS_NAME
    assert hostile.nodes["Country:THA"]["name"] == THA_NAME
    assert hostile.nodes["Country:THA"]["note"] == LONG and len(LONG) > 100_000
    assert hostile.nodes["Country:SGP"]["name"] == HYPERLINK
    assert hostile.nodes["Activity:A2"]["title"] == IMG and hostile.nodes["Activity:A2"]["note"] == CYPHER
    assert hostile.nodes[f"Meeting:{MEETING_ID}"]["name"] == IMG
    assert hostile.has_edge("Country:THA", f"Meeting:{MEETING_ID}")


# -------------------------------------------------------------------------------------------- (a) HTML
def test_the_network_view_carries_hostile_text_only_escaped(network_html):
    a, (data,) = assert_document_inert(network_html, views=1)
    shown = a.all_text()
    assert f"view {MYS_NAME}" in shown and f"notice {IMG}" in shown  # the title and the notice, as text
    assert assert_tooltips_inert(data) > 40
    tips = " ".join(Audit(n["title"]).all_text() for n in data["nodes"] if n.get("title"))
    for text in (MYS_NAME, THA_NAME, IMG, BREAKOUT, SVG, JS_URL, CYPHER, HYPERLINK):
        assert text in tips, text  # the tooltips show each hostile value, as text
    by_id = {n["id"]: n for n in data["nodes"]}
    assert by_id["Country:MYS"]["search"] == f"MYS — {MYS_NAME}"  # search keys are data, never markup
    assert "<img" not in network_html and "</script><script>alert" not in network_html


def test_the_briefing_carries_hostile_text_only_escaped(briefing_html):
    tables, html = briefing_html
    a, (data,) = assert_document_inert(html, views=1)
    shown = a.all_text()
    assert f"Outreach briefing — {MYS_NAME} (MYS) — 2008" in shown
    for text in (IMG, HYPERLINK, LONG, SVG, "@SUM(1)", "-1+2"):
        assert text in shown, text[:60]  # the contacts, activities and requests tables show them, as text
    assert assert_tooltips_inert(data) > 5
    assert "<img" not in html and "<svg" not in html and "<iframe" not in html


@pytest.mark.browser
def test_the_briefing_and_the_view_run_nothing_in_chromium_and_draw_the_graph(
    briefing_html, network_html, tmp_path, chromium
):
    from test_browser import _drawn

    pages = {"briefing": briefing_html[1], "network": network_html}
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        context = chromium.new_context(offline=True)
        dialogs, requests = [], []
        context.on("request", lambda r: requests.append(r.url))  # noqa: B023 (this page's)
        pg = context.new_page()
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # noqa: B023 (this page's)
        pg.goto(path.as_uri())
        nodes, ink = _drawn(pg.main_frame)
        # every tooltip into the page the way VIEW_JS does it (innerHTML), all at once
        made = pg.evaluate("""() => {
            const data = JSON.parse(document.querySelector('script.og-data').textContent);
            const box = document.createElement('div'); document.body.appendChild(box);
            data.nodes.concat(data.edges).forEach(x => {
                if (x.title) { const el = document.createElement('div'); el.innerHTML = x.title; box.appendChild(el); } });
            return box.querySelectorAll('*').length;
        }""")
        pg.wait_for_timeout(1000)  # an <img onerror> would fire by now; nothing is timed or asserted on it
        active = pg.evaluate("() => document.querySelectorAll('img, svg, iframe, object, embed, a[href]').length")
        context.close()
        assert dialogs == [], (name, dialogs)
        assert nodes > 5 and ink > 200, (name, nodes, ink)
        assert made > 100 and active == 0, (name, made, active)
        assert [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == [], requests


# --------------------------------------------------------------------------------------------- (b) CSV
def cells(text: str) -> list[list[str]]:
    """The CSV as a spreadsheet reads it (rows end at CR or LF outside quotes); blank lines dropped."""
    return [row for row in csv.reader(io.StringIO(text, newline="")) if row]


def assert_spreadsheet_safe(text: str) -> list[list[str]]:
    """No cell starts with = + - @ tab or CR unless it is a number (which a spreadsheet reads as a number)."""
    rows = cells(text)
    for row in rows[1:]:
        for c in row:
            if c[:1] in ("=", "+", "-", "@", "\t", "\r"):
                float(c)  # ValueError: a formula a spreadsheet would run
    return rows


def test_to_csv_neutralises_formula_cells_and_keeps_numbers_numbers():
    from graph_loader.tables import to_csv

    values = [
        HYPERLINK,
        "@SUM(1)",
        "+1",
        "-1+2",
        "\t=1+1",
        "\r=1+1",
        "x\r=1+1",
        "x\n=1+1",
        "-1",
        3,
        -4,
        2.5,
        -0.25,
        True,
        None,
        "plain",
        ["=1"],
        IMG,
    ]
    columns = [f"c{i}" for i in range(len(values))]
    rows = cells(to_csv([dict(zip(columns, values)), dict(zip(columns, values[8:]))], columns))
    assert rows[1] == [
        "'" + HYPERLINK,
        "'@SUM(1)",
        "'+1",
        "'-1+2",
        "'\t=1+1",
        "'\r=1+1",
        "x\r=1+1",
        "x\n=1+1",
        "'-1",
        "3",
        "-4",
        "2.5",
        "-0.25",
        "true",
        "",
        "plain",
        '["=1"]',
        IMG,
    ]
    assert rows[2][:4] == ["'-1", "3", "-4", "2.5"] and len(rows) == 3  # a CR inside a cell never ends the row


def test_the_briefing_zip_neutralises_formulas_and_keeps_numbers(briefing_html):
    from graph_loader.briefing import tables_zip

    tables, _ = briefing_html
    z = zipfile.ZipFile(io.BytesIO(tables_zip(tables)))
    read = {n: assert_spreadsheet_safe(z.read(n).decode("utf-8")) for n in z.namelist()}
    said = read["country_requests.csv"]  # R3, a coordination point (not a need, so not among unmet requests)
    col = said[0].index("summary")
    assert "'" + HYPERLINK in [r[col] for r in said[1:]]
    contacts = read["country_contacts.csv"]
    assert ["'" + HYPERLINK, "'-1+2"] == [contacts[1][contacts[0].index(c)] for c in ("title", "agency")]
    activities = read["country_activities.csv"]
    sources = {r[activities[0].index("activity_id")]: r[activities[0].index("source")] for r in activities[1:]}
    assert sources["A2"] == "'-1+2" and sources["A4"] == "'" + HYPERLINK
    ranking = read["risk_ranking.csv"]
    scores = [r[ranking[0].index("score")] for r in ranking[1:]]
    assert all(float(s) >= 0 for s in scores if s) and not any(s.startswith("'") for s in scores)
    names = [r[ranking[0].index("country")] for r in ranking[1:]]
    assert "'" + HYPERLINK in names and "'-1+2" in names


def _cli(*args: str, env_cache: Path) -> str:
    import os

    out = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OUTREACH_CACHE": str(env_cache)},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_the_cli_csv_outputs_neutralise_formulas(hostile_dir, cache):
    met = assert_spreadsheet_safe(
        _cli(
            "-m",
            "queries",
            "run",
            "meeting_participation",
            "--param",
            f"meeting_id={MEETING_ID}",
            "--data",
            str(hostile_dir),
            "--format",
            "csv",
            env_cache=cache,
        )
    )
    assert met[1][met[0].index("meeting_id")] == MEETING_ID  # the Cypher-fragment key matched as plain text
    assert met[1][met[0].index("representation")] == "'=1+1" and met[1][met[0].index("meeting")] == IMG
    unmet = assert_spreadsheet_safe(
        _cli("-m", "queries", "run", "unmet_requests", "--data", str(hostile_dir), "--format", "csv", env_cache=cache)
    )
    assert "'" + HYPERLINK in [r[unmet[0].index("summary")] for r in unmet[1:]]
    text = _cli(
        "-m", "graph_loader", "risk", "--data", str(hostile_dir), "--year", "2008", "--format", "csv", env_cache=cache
    )
    assert text.endswith("\n") and not text.endswith("\n\n")  # no empty record after the last row
    risk = assert_spreadsheet_safe(text)
    by_iso = {r[0]: dict(zip(risk[0], r)) for r in risk[1:]}
    assert by_iso["SGP"]["name"] == "'" + HYPERLINK and by_iso["LAO"]["name"] == "'-1+2"
    assert by_iso["MYS"]["name"] == MYS_NAME
    assert all(float(r["score"]) >= 0 and float(r["ties"]) >= 0 for r in by_iso.values() if r["score"])


# ------------------------------------------------------------------------------------------- (c) Cypher
HOSTILE_PARAMS = [
    CYPHER,
    "x' OR 1=1 //",
    'x" OR 1=1 //',
    PARAM,
    "MYS' OR '1'='1",
    "}) MATCH (n) DETACH DELETE n //",
    BREAKOUT,
    "MYS\\'",
    "`Country`",
    LONG,
]


def store_digest(run) -> dict:
    """What a store holds, per label and relationship type: counts and every key (run: Runner.run_text)."""
    from graph_loader.schema import load_schema

    schema = load_schema()
    out = {}
    for label, spec in schema.nodes.items():
        rows = run(f"MATCH (n:{label}) RETURN n.{spec.key} AS k").rows
        out[label] = sorted(str(r["k"]) for r in rows)
    for rtype in schema.rels:
        out[rtype] = run(f"MATCH ()-[r:{rtype}]->() RETURN count(r) AS n").rows[0]["n"]
    return out


def hostile_parameter_runs(runner) -> int:
    """Every string parameter of the library gets each hostile value: no error, no rows (the value is data) — or,
    for a parameter with a closed list of values (tier_source), a refusal while binding."""
    from queries import QueryError

    tried = 0
    for name, q in runner.registry.items():
        for p in q.params:
            for value in HOSTILE_PARAMS:
                if p.type == "string" and not p.choices:
                    assert runner.run(name, {p.name: value}).rows == [], (name, p.name, value[:40])
                else:
                    with pytest.raises(QueryError, match=p.name):
                        runner.run(name, {p.name: value})  # refused while binding; never reaches the store
                tried += 1
    rows = runner.run("meeting_participation", {"meeting_id": MEETING_ID}).rows
    assert [(r["meeting_id"], r["participant"], r["meeting"], r["note"]) for r in rows] == [
        (MEETING_ID, "THA", IMG, BREAKOUT)
    ]
    assert runner.run("country_profile", {"iso3": "MYS"}).rows[0]["country"] == MYS_NAME
    return tried


def test_hostile_parameters_reach_the_embedded_store_only_as_parameters(runner, hostile):
    before = store_digest(runner.run_text)
    assert before["Country"] == sorted(d["iso3"] for _, d in hostile.nodes(data=True) if d["label"] == "Country")
    assert before["ATTENDED"] == sum(d["type"] == "ATTENDED" for *_, d in hostile.edges(data=True))
    tried = hostile_parameter_runs(runner)
    assert store_digest(runner.run_text) == before
    print(f"\nembedded: {tried} hostile parameter values tried")


@pytest.mark.neo4j
def test_hostile_parameters_reach_neo4j_only_as_parameters(neo4j_uri, hostile, runner):
    from graph_loader.stores.neo4j_store import Neo4jSettings, Neo4jStore
    from graph_loader.stores.neo4j_sync import sync_graph
    from queries import Runner
    from test_neo4j import PARAM_SETS, expected, snapshot

    sync_graph(hostile, Neo4jSettings(uri=neo4j_uri), show_progress=False)
    assert snapshot(neo4j_uri) == expected(hostile)  # 100 KB strings and markup stored as they are
    store = Neo4jStore(Neo4jSettings(uri=neo4j_uri))
    try:
        neo = Runner("neo4j", store=store)
        tried = hostile_parameter_runs(neo)
        for name, sets in PARAM_SETS.items():  # both engines give the hostile text back identically
            for params in sets:
                assert neo.run(name, params).rows == runner.run(name, params).rows, (name, params)
    finally:
        store.close()
    assert snapshot(neo4j_uri) == expected(hostile)
    print(f"\nneo4j: {tried} hostile parameter values tried")


# ------------------------------------------------------------------------------------------------ (d) app
TIMEOUT = 180
MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$")


def unescape_md(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value).replace("\u2060", "")


def assert_markdown_inert(value: str) -> None:
    """Every markdown/HTML character escaped, and no bare URL, www. or e-mail a GFM renderer would link."""
    i = 0
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        assert value[i] not in MD_SPECIAL, (value[max(0, i - 20) : i + 20], value[i])
        i += 1
    assert not re.search(r"(?i)(https?|ftp)://|www\.|\w@\w", value), value


@pytest.fixture()
def app_on_hostile_data(hostile_dir, cache, monkeypatch):
    """The app's pages (AppTest, in this process) reading the hostile copy; the caches are emptied around it."""
    import streamlit as st

    from ui import state

    monkeypatch.setattr(state, "DATA_DIR", hostile_dir)
    for k in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(k, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def test_the_dossier_shows_a_hostile_country_name_as_text(app_on_hostile_data):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app_pages" / "4_Country_dossier.py"), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.exception] + [e.value for e in at.error]
    assert at.selectbox(key="dossier_country").value == "MYS"
    header = at.header[0].value
    assert header.endswith(" (MYS)") and unescape_md(header) == f"{MYS_NAME} (MYS)"
    assert_markdown_inert(header[: -len(" (MYS)")])
    source = next(c.value for c in at.caption if c.value.startswith("Region:"))
    assert_markdown_inert(source)
    assert (
        unescape_md(source) == f"Region: @SUM(1) · objective of its category: Establish strict legal system · "
        f"source: {HYPERLINK}"
    )
    at.selectbox(key="dossier_country").set_value("THA").run(timeout=TIMEOUT)
    assert not at.exception and unescape_md(at.header[0].value) == f"{THA_NAME} (THA)"
    assert_markdown_inert(at.header[0].value[: -len(" (THA)")])


@pytest.mark.browser
def test_the_app_shows_hostile_text_inert_in_chromium(hostile_dir, tmp_path, chromium):
    """The running app on the hostile data: the dossier heading reads as the literal name (no bold, no link, no
    image), the network canvas draws, the briefing preview opens; no dialog, no request leaves 127.0.0.1."""
    from app_server import local, open_page, running_app, settle
    from test_browser import _canvas_frame, _drawn

    with running_app(tmp_path, {"OUTREACH_DATA": str(hostile_dir)}) as app:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(120_000)
        requests, dialogs = [], []
        context.on("request", lambda r: requests.append(r.url))
        pg = context.new_page()
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        open_page(pg, app.url, "Country_dossier", "Country dossier")
        main = pg.locator('[data-testid="stMain"]')
        heading = main.locator("h2").first.inner_text().replace("\u2060", "")
        shown = main.inner_text().replace("\u2060", "")
        links = main.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
        marked = main.locator("h2 strong, h2 img, img, svg image, iframe").count()
        open_page(pg, app.url, "Network", "Network")
        nodes, ink = _drawn(_canvas_frame(pg))
        open_page(pg, app.url, "Briefing", "Briefing")
        box = pg.locator('.st-key-briefing_country input[role="combobox"]')
        box.click()
        box.fill("(MYS)")
        pg.locator('[role="option"]', has_text="(MYS)").first.click()
        settle(pg)
        brief_nodes, brief_ink = _drawn(_canvas_frame(pg))
        brief_title = next(f for f in pg.frames if f.locator("script.og-data").count()).locator("h1").inner_text()
        context.close()
        log = app.log_text()
    assert heading.strip() == f"{MYS_NAME} (MYS)"
    assert f"source: {HYPERLINK}" in shown and "Region: @SUM(1)" in shown  # the caption, literally
    assert [u for u in links if not local(u)] == [], links
    assert marked == 0
    assert nodes > 5 and ink > 200
    assert brief_nodes > 5 and brief_ink > 200 and brief_title.startswith(f"Outreach briefing — {MYS_NAME}")
    assert dialogs == []
    assert [u for u in requests if not local(u)] == []
    assert "Traceback" not in log, log[-2000:]
