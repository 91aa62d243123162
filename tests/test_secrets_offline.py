"""Offline and secret-safe: no page of the running app and no export makes the browser fetch anything from a host
other than 127.0.0.1 (checked on what the browser requests AND on what the tags, styles and scripts carry); usage
statistics are off in .streamlit/config.toml and the running server tells its pages so; and the Neo4j password
never appears in any output, log, page or exception text — wrong port, wrong password, right password.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tomllib
import uuid
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from conftest import AUTH_NEO4J_PASSWORD, REAL, ROOT, TINY, free_port

WAIT_MS = 180_000
PAGES = [
    ("", "Outreach Graph"),
    ("Map", "Map"),
    ("Network", "Network"),
    ("Coverage", "Coverage"),
    ("Risk", "Risk"),
    ("Country_dossier", "Country dossier"),
    ("Queries", "Queries"),
    ("Briefing", "Briefing"),
    ("Plans", "Plans"),
    ("Review", "Review"),
]


# ------------------------------------------------------------------------------------- what a page fetches
FETCH_IN_TEXT = re.compile(
    r"""(?:\b(?:src|href|srcset|action|formaction|poster|background|data)\s*=\s*["']?\s*"""
    r"""|url\(\s*["']?|@import\s+(?:url\(\s*)?["']?|\bfetch\(\s*["'`]|\bimportScripts\(\s*["'`]"""
    r"""|\bimport\(\s*["'`]|\bimport\s+[^;'"`]*?from\s*["'`]|\.open\(\s*["'`][A-Za-z]+["'`]\s*,\s*["'`]"""
    r"""|new\s+(?:WebSocket|EventSource|Worker)\(\s*["'`])([^"'`\s)>]+)""",
    re.I,
)


def outside(target: str, base: str = "http://127.0.0.1/") -> bool:
    """True when the URL would be fetched from a host other than 127.0.0.1."""
    u = urlparse(urljoin(base, target.strip()))
    return u.scheme not in ("data", "blob", "about", "file", "javascript", "mailto") and u.hostname != "127.0.0.1"


class Tags(HTMLParser):
    """Every attribute of every tag that makes a browser fetch, and every <style>/<script> body."""

    FETCHING = {"src", "srcset", "action", "formaction", "poster", "background", "data", "xlink:href"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []
        self.bodies: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if v and (k in self.FETCHING or (k == "href" and tag in ("link", "base", "image", "use"))):
                self.refs += (
                    [(tag, k, x.strip().split(" ")[0]) for x in v.split(",")] if k == "srcset" else [(tag, k, v)]
                )
            if k == "style" and v and "url(" in v:
                self.refs += [(tag, "style", m) for m in re.findall(r"url\(\s*[\"']?([^\"')]+)", v)]
        self._in = tag if tag in ("style", "script") else None

    def handle_data(self, data):
        if self._in:
            self.bodies.append(data)


def outside_references(text: str, html: bool) -> list[str]:
    """Fetchable references to another host: in tags (parsed) for HTML, and in the text of styles and scripts
    (or the whole file when it is not HTML) — url(), @import, fetch(), import, XMLHttpRequest.open, WebSocket."""
    found = []
    bodies = [text]
    if html:
        tags = Tags()
        tags.feed(text)
        found += [f"<{t} {k}={v}>" for t, k, v in tags.refs if outside(v)]
        bodies = tags.bodies
    for body in bodies:
        found += [
            m.group(1)
            for m in FETCH_IN_TEXT.finditer(body)
            if re.match(r"(?i)([a-z][a-z0-9+.-]*:)?//", m.group(1)) and outside(m.group(1))
        ]
    return found


def test_the_scanner_finds_what_a_browser_would_fetch_and_ignores_escaped_text():
    bad = (
        '<img src="https://evil.example/x.png"><link rel=stylesheet href=//cdn.example/a.css>'
        '<div style="background:url(http://evil.example/b)"></div><style>@import "https://x.example/c.css";</style>'
        '<script>fetch("https://api.example/t"); x.open("POST", "http://t.example/")</script>'
        '<img srcset="a.png 1x, https://e.example/b.png 2x">'
    )
    assert len(outside_references(bad, html=True)) == 7
    fine = (
        '<p>see https://www.mofa.go.jp/x and &lt;img src=https://evil&gt;</p><a href="#top">top</a>'
        '<img src="data:image/png;base64,AAA="><script src="/static/app.js"></script>'
        '<link href="http://127.0.0.1:8501/x.css" rel=stylesheet>'
    )
    assert outside_references(fine, html=True) == []


# ------------------------------------------------------------------------------------------------ config
def test_usage_statistics_are_off_in_the_apps_config_file():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["browser"]["gatherUsageStats"] is False


def test_a_secrets_file_with_the_neo4j_password_is_never_committed():
    """README: the app reads NEO4J_* from .streamlit/secrets.toml — git must ignore that file."""
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT)
    if ignored.returncode == 128:  # not a git checkout (an unpacked archive): the ignore file must still say so
        assert "secrets.toml" in (ROOT / ".streamlit" / ".gitignore").read_text(encoding="utf-8").split()
    else:
        assert ignored.returncode == 0


# ------------------------------------------------------------------------------------------ the running app
DOM_REFS = """() => {
  const out = [];
  const take = ['src', 'srcset', 'action', 'formaction', 'poster', 'background', 'data', 'xlink:href'];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const tag = el.tagName.toLowerCase();
      if (take.includes(a.name) || (a.name === 'href' && ['link', 'base', 'image', 'use'].includes(tag)))
        out.push([tag, a.name, a.value]);
      if (a.name === 'style' && a.value.includes('url(')) out.push([tag, 'style', a.value]);
    }
  }
  for (const s of document.querySelectorAll('style'))
    for (const m of s.textContent.matchAll(/url\\(\\s*["']?([^"')]+)|@import\\s+(?:url\\()?\\s*["']?([^"');]+)/g))
      out.push(['style', 'css', m[1] || m[2]]);
  for (const sheet of document.styleSheets) { try { for (const r of sheet.cssRules)
      for (const m of r.cssText.matchAll(/url\\(\\s*["']?([^"')]+)/g)) out.push(['cssom', 'url', m[1]]); } catch (e) {} }
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  return {refs: out, links: links, base: document.baseURI};
}"""


SCANNED = {"refs": 0}


def frame_references(pg) -> tuple[list[str], list[str]]:
    """(fetchable references to another host, link targets on another host) over every frame of the page."""
    bad, links = [], []
    for fr in pg.frames:
        try:
            got = fr.evaluate(DOM_REFS)
        except Exception:  # noqa: BLE001 — a frame that went away while Streamlit reran
            continue
        SCANNED["refs"] += len(got["refs"])
        bad += [
            f"{fr.url}: <{t} {k}={v[:120]}>"
            for t, k, v in got["refs"]
            if re.search(r"(?i)(^|[\s(\"'])((https?|wss?|ftp):)?//", v)
            and any(outside(x, got["base"]) for x in re.findall(r"(?:(?:https?|wss?|ftp):)?//[^\s\"')]+", v))
        ]
        links += [u for u in got["links"] if outside(u, got["base"])]
    return bad, links


def new_session_configs(frames: list[bytes]) -> list:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    out = []
    for payload in frames:
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 — not every frame is a ForwardMsg
            continue
        if msg.WhichOneof("type") == "new_session":
            out.append(msg.new_session.config)
    return out


def file_texts(f: Path) -> list[str]:
    """The text of an export; of a zip, the text of each member."""
    if f.suffix != ".zip":
        return [f.read_text(encoding="utf-8")]
    z = zipfile.ZipFile(io.BytesIO(f.read_bytes()))
    return [z.read(n).decode("utf-8") for n in z.namelist()]


def download(pg, key: str, folder: Path) -> Path:
    with pg.expect_download(timeout=WAIT_MS) as dl:
        pg.locator(f".st-key-{key} button").click()
    target = folder / dl.value.suggested_filename
    dl.value.save_as(target)
    return target


@pytest.mark.browser
def test_no_page_and_no_download_fetches_from_another_host_and_usage_statistics_stay_off(tmp_path, real_app, chromium):
    """On the session's app (conftest.real_app: started without --browser.gatherUsageStats, so the app's own
    .streamlit/config.toml is what turns usage statistics off)."""
    from app_server import local, open_page, settle
    from test_browser import _choose

    downloads: list[Path] = []
    app, browser = real_app, chromium
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    requests, frames = [], []
    context.on("request", lambda r: requests.append(r.url))
    pg = context.new_page()
    pg.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f) if isinstance(f, bytes) else None))
    bad, links = [], []
    for path, title in PAGES:
        open_page(pg, app.url, path, title)
        b, lk = frame_references(pg)
        bad, links = bad + b, links + lk
        if path == "Network":  # the default view (who does what where), then the graph explorer's
            downloads.append(download(pg, "wdw_download", tmp_path))
            pg.locator('.st-key-net_mode label:has-text("Graph explorer")').click()
            settle(pg)
            downloads.append(download(pg, "net_download", tmp_path))
            b, lk = frame_references(pg)
            bad, links = bad + b, links + lk
        if path == "Country_dossier":
            downloads.append(download(pg, "csv_dossier_activities", tmp_path))
        if path == "Queries":
            _choose(pg, "query_name", "coverage_gaps")
            pg.locator(".st-key-run_query button").click()
            settle(pg)
            downloads.append(download(pg, "csv_query_coverage_gaps", tmp_path))
            b, lk = frame_references(pg)
            bad, links = bad + b, links + lk
        if path == "Briefing":
            downloads += [
                download(pg, "briefing_download", tmp_path),
                download(pg, "briefing_zip_download", tmp_path),
            ]
    offline = browser.new_context(offline=True)
    opened = []
    offline.on("request", lambda r: opened.append(r.url))
    for f in downloads:
        if f.suffix == ".html":
            offline.new_page().goto(f.as_uri())
    offline.close()
    context.close()
    configs = new_session_configs(frames)
    print(
        f"\noffline: {len(PAGES)} pages, {len(requests)} requests, {len(downloads)} downloads scanned, "
        f"{len(configs)} sessions configured by the server, {SCANNED['refs']} fetchable references in the DOM"
    )
    assert [u for u in requests if not local(u)] == []
    assert SCANNED["refs"] > 50 and bad == []  # the scripts, styles and fonts the pages load, all from 127.0.0.1
    assert links == [], sorted(set(links))  # not even a link to click away
    assert len(configs) >= len(PAGES) and all(c.gather_usage_stats is False for c in configs)
    assert sorted(f.suffix for f in downloads) == [".csv", ".csv", ".html", ".html", ".html", ".zip"]
    for f in downloads:
        for text in file_texts(f):
            assert outside_references(text, html=f.suffix == ".html") == [], f.name
    assert [u for u in opened if not u.startswith(("file:", "data:", "about:", "blob:"))] == []


def test_the_cli_exports_reference_no_other_host(tmp_path):
    env = {**os.environ, "OUTREACH_CACHE": str(tmp_path / "cache")}
    made = []
    for fmt in ("graphml", "gexf", "json"):
        out = tmp_path / f"graph.{fmt}"
        subprocess.run(
            [sys.executable, "-m", "graph_loader", "export", "--data", str(REAL), "--format", fmt, "--out", str(out)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        made.append(out)
    out = tmp_path / "briefing.html"
    subprocess.run(
        [sys.executable, "-m", "graph_loader", "briefing", "--data", str(REAL), "--country", "MYS", "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    made += [out, tmp_path / "briefing_tables.zip"]
    for f in made:
        assert all(outside_references(t, html=f.suffix == ".html") == [] for t in file_texts(f)), f.name
    assert "https://www.mofa.go.jp" in made[2].read_text(encoding="utf-8")  # sources with URLs are in the data …
    assert "https://www.mofa.go.jp" not in out.read_text(encoding="utf-8")  # … and shown inert in the briefing


# ----------------------------------------------------------------------------------------- the password
WRONG = f"wrong-{uuid.uuid4().hex}"  # what the clients are given
SERVER_PW = AUTH_NEO4J_PASSWORD  # what the server really has (random per run)


@pytest.fixture(scope="module")
def auth_server(auth_neo4j):
    return auth_neo4j  # the session's Neo4j with authentication (conftest), shared with test_neo4j


def launcher_logs(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*.log"))


def test_settings_and_errors_never_show_the_password():
    from graph_loader.stores.neo4j_store import Neo4jError, Neo4jSettings, describe_error

    s = Neo4jSettings(uri="bolt://127.0.0.1:9", user="neo4j", password=WRONG)
    assert WRONG not in repr(s) and WRONG not in str(s) and "password" not in repr(s)
    e = describe_error(ValueError(f"bad value {WRONG}"), s)
    assert WRONG not in e and "***" in e
    with pytest.raises(Neo4jError) as err:
        from graph_loader.stores.neo4j_store import Neo4jStore

        Neo4jStore(s)
    assert WRONG not in str(err.value) and WRONG not in repr(err.value)


def _cli(args: list[str], uri: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(NEO4J_URI=uri, NEO4J_USERNAME="neo4j", NEO4J_PASSWORD=WRONG)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=env, input=stdin, timeout=300
    )


def connect_when_unlocked(settings, attempts: int = 60):
    """A store on the server once it accepts the right password again (Neo4j locks a user for a few seconds
    after repeated wrong passwords: Neo.ClientError.Security.AuthenticationRateLimit)."""
    import time

    from graph_loader.stores.neo4j_store import Neo4jError, Neo4jStore

    for _ in range(attempts):
        try:
            return Neo4jStore(settings)
        except Neo4jError as e:
            if "AuthenticationRateLimit" not in str(e):
                raise
            time.sleep(1)
    raise AssertionError("the server kept refusing the right password")


@pytest.mark.neo4j
@pytest.mark.browser
def test_the_password_never_appears_in_cli_output_app_pages_or_logs(auth_server, tmp_path, chromium):
    from app_server import open_page, running_app, settle

    closed = f"bolt://127.0.0.1:{free_port()}"
    unreachable = f"cannot reach Neo4j at {closed} (is the server running? ServiceUnavailable)"
    refused = (
        f"Neo4j at {auth_server['uri']} refused the credentials for user 'neo4j' (check NEO4J_USERNAME/NEO4J_PASSWORD)"
    )
    runs = {
        "sync, wrong port": (["-m", "graph_loader", "sync", "--data", str(TINY)], closed, None, 1, unreachable),
        "sync, wrong password": (
            ["-m", "graph_loader", "sync", "--data", str(TINY)],
            auth_server["uri"],
            None,
            1,
            refused,
        ),
        "sync, wrong password on stdin": (
            ["-m", "graph_loader", "sync", "--data", str(TINY), "--password-stdin"],
            auth_server["uri"],
            WRONG + "\n",
            1,
            refused,
        ),
        "query, wrong port": (
            ["-m", "queries", "run", "coverage_gaps", "--backend", "neo4j", "--format", "csv"],
            closed,
            None,
            2,
            unreachable,
        ),
        "query, wrong password": (
            ["-m", "queries", "run", "coverage_gaps", "--backend", "neo4j", "--format", "csv"],
            auth_server["uri"],
            None,
            2,
            refused,
        ),
    }
    for what, (args, uri, stdin, code, line) in runs.items():
        out = _cli(args, uri, stdin)
        assert WRONG not in out.stdout + out.stderr, what
        assert (out.returncode, [x for x in out.stderr.splitlines() if x.strip()]) == (code, [f"error: {line}"]), (
            what,
            out.stderr[-1500:],
        )

    # the app: a wrong password, then the right one; every frame of the Queries page and the server log
    from graph_loader.pipeline import load
    from graph_loader.stores.neo4j_store import Neo4jSettings
    from graph_loader.stores.neo4j_sync import sync_graph
    from queries import Runner

    right = Neo4jSettings(uri=auth_server["uri"], user="neo4j", password=SERVER_PW)
    store = connect_when_unlocked(right)  # three wrong logins above lock the user for a few seconds
    sync_graph(load(TINY, risk_year=2008)[0], right, show_progress=False)
    n_rows = len(Runner("neo4j", store=store).run("coverage_gaps", {}).rows)
    store.close()
    apps = {
        "right password": (auth_server["uri"], SERVER_PW),
        "wrong password": (auth_server["uri"], WRONG),
        "wrong port": (closed, WRONG),
    }
    seen = {}
    for case, (uri, password) in apps.items():
        env = {"NEO4J_URI": uri, "NEO4J_USERNAME": "neo4j", "NEO4J_PASSWORD": password}
        folder = tmp_path / case.replace(" ", "-")
        folder.mkdir()
        with running_app(folder, env) as app:
            pg = chromium.new_page()
            pg.set_default_timeout(WAIT_MS)
            open_page(pg, app.url, "Queries", "Queries")
            pg.locator(".st-key-backend label", has_text="Neo4j server").click()
            settle(pg)
            box = pg.locator('.st-key-query_name input[role="combobox"]')
            box.click()
            box.fill("coverage_gaps")
            pg.locator('[role="option"]', has_text="coverage_gaps").first.click()
            settle(pg)
            pg.locator(".st-key-run_query button").click()
            settle(pg)
            html = "\n".join(fr.content() for fr in pg.frames)
            text = pg.locator("body").inner_text().replace("\u2060", "")
            pg.close()
        seen[case] = (password, html, text, app.log_text())
    for case, (password, html, text, log) in seen.items():
        assert password not in html and password not in log, case
        assert password not in text, case
    assert "Neo4j cannot be used" not in seen["right password"][2] and re.search(
        rf"\b{n_rows} rows\b", seen["right password"][2]
    )
    assert f"Neo4j cannot be used ({refused}); queries run on the embedded store" in seen["wrong password"][2]
    assert f"Neo4j cannot be used ({unreachable}); queries run on the embedded store" in seen["wrong port"][2]
    logs = launcher_logs(auth_server["folder"])
    assert logs and WRONG not in logs and SERVER_PW not in logs
