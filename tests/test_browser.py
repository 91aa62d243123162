"""The app in a real headless Chromium: every page renders, the network canvas draws, a filter, a dossier, a query,
the briefing downloads and opens offline — and no request ever leaves 127.0.0.1.

Screenshots of every page are saved under the folder printed at the start (artifacts/screenshots by default).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import CHROMIUM_FLAGS, ROOT  # noqa: F401 (CHROMIUM_FLAGS: other modules import it from here)

pytestmark = pytest.mark.browser
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
SHOTS = Path(os.environ.get("OUTREACH_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def app_url(real_app):
    """The session's app on the real data (conftest.real_app; embedded backend, no NEO4J_* settings)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SHOTS}")
    return real_app.url


@pytest.fixture()
def browser(chromium):
    return chromium


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    pg = context.new_page()
    pg.requests = requests
    yield pg
    outside = [u for u in requests if not _local(u)]
    context.close()
    assert outside == [], f"requests left 127.0.0.1: {outside[:10]}"


def _local(url: str) -> bool:
    u = urlparse(url)
    return u.scheme in ("data", "blob", "about", "file") or u.hostname == "127.0.0.1"


def _settle(pg, timeout: float = 90) -> None:
    """Wait until the Streamlit script has finished running (no running indicator, app rendered)."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.time() + timeout
    time.sleep(0.5)
    while time.time() < deadline:
        running = any(pg.locator(f'[data-testid="{t}"]').count() for t in ("stStatusWidget", "stSpinner", "stSkeleton"))
        if not running:
            return
        time.sleep(0.3)


def _open(pg, url: str, path: str) -> float:
    """Open a page and wait for its own title in the main area; return the seconds until it showed."""
    title = dict(PAGES)[path]
    t0 = time.perf_counter()
    pg.goto(f"{url}/{path}", wait_until="domcontentloaded")
    pg.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=120_000)
    shown = time.perf_counter() - t0
    _settle(pg)
    return shown


def _choose(pg, key: str, text: str) -> None:
    """Pick an option of a Streamlit selectbox by typing into it."""
    box = pg.locator(f'.st-key-{key} input[role="combobox"]')
    box.click()
    box.fill(text)
    pg.locator('[role="option"]', has_text=text).first.click()
    time.sleep(0.5)
    _settle(pg)


def _canvas_frame(pg, view: str = ".og-view"):
    """The frame holding a vis-network view (the components.html iframe); `view`: a selector of that view."""
    for _ in range(200):
        for fr in pg.frames:
            try:
                if fr.locator(f"{view} canvas").count() and fr.locator("script.og-data").count():
                    return fr
            except Exception:  # noqa: BLE001 — frames come and go while Streamlit reruns
                pass
        time.sleep(0.2)
    raise AssertionError("no network canvas found")


def _drawn(frame) -> tuple[int, int]:
    """(nodes in the view's data, non-blank pixels of the canvas) — the canvas really draws nodes."""
    for _ in range(100):
        nodes, ink = frame.evaluate("""() => {
            const data = JSON.parse(document.querySelector('script.og-data').textContent);
            const c = document.querySelector('canvas');
            const ctx = c.getContext('2d');
            const px = ctx.getImageData(0, 0, c.width, c.height).data;
            let ink = 0;
            for (let i = 0; i < px.length; i += 16) { if (px[i + 3] > 0 && (px[i] < 240 || px[i + 1] < 240 || px[i + 2] < 240)) ink++; }
            return [data.nodes.length, ink];
        }""")
        if ink > 200:
            return nodes, ink
        time.sleep(0.2)
    return nodes, ink


def test_every_page_renders_and_is_screenshotted(app_url, page):
    for path, _title in PAGES:
        TIMINGS[path or "Overview"] = _open(page, app_url, path)
        assert page.locator('[data-testid="stException"]').count() == 0, f"{path} shows an exception"
        page.screenshot(path=str(SHOTS / f"{path or 'Overview'}.png"), full_page=True)
    # a second visit once everything is cached: the first-render figure the closing note reports
    TIMINGS["Overview (cached)"] = _open(page, app_url, "")
    TIMINGS["Network (cached)"] = _open(page, app_url, "Network")
    from conftest import REPORT

    REPORT.append("browser first-render timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in TIMINGS.items()))
    REPORT.append(f"screenshots: {SHOTS}")


def test_the_network_canvas_draws_nodes_and_a_filter_changes_it(app_url, page):
    _open(page, app_url, "Network")
    frame = _canvas_frame(page)  # who does what where, the default view
    nodes, ink = _drawn(frame)
    assert nodes > 20 and ink > 200, (nodes, ink)
    page.locator('.st-key-net_mode label:has-text("Graph explorer")').click()
    _settle(page)
    frame = _canvas_frame(page, "#og-view")
    nodes, ink = _drawn(frame)
    assert nodes > 20 and ink > 200, (nodes, ink)
    # filter: the ego network of depth 1 around Malaysia holds fewer nodes than the whole view
    _choose(page, "net_focus", "Malaysia")
    time.sleep(1.0)
    frame = _canvas_frame(page, "#og-view")
    ego_nodes, ego_ink = _drawn(frame)
    assert 1 < ego_nodes < nodes and ego_ink > 50, (ego_nodes, nodes)
    assert frame.locator("script.og-data").inner_text().count('"MYS') >= 1 or "Malaysia" in frame.content()
    page.screenshot(path=str(SHOTS / "Network_ego_MYS.png"), full_page=True)


def test_a_dossier_opens_for_the_chosen_country(app_url, page):
    _open(page, app_url, "Country_dossier")
    _choose(page, "dossier_country", "Thailand")
    page.wait_for_selector('[data-testid="stMain"] h2:has-text("Thailand")', timeout=30_000)
    assert page.locator("text=Category 1").count() + page.locator("text=category 1").count() >= 1
    page.screenshot(path=str(SHOTS / "Country_dossier_THA.png"), full_page=True)


def test_a_library_query_runs_and_shows_rows(app_url, page):
    _open(page, app_url, "Queries")
    _choose(page, "query_name", "coverage_gaps")
    page.locator(".st-key-run_query button").click()
    _settle(page)
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=30_000)
    assert page.locator("text=36 rows").count() >= 1 or page.locator("text=36").count() >= 1
    page.screenshot(path=str(SHOTS / "Queries_coverage_gaps.png"), full_page=True)


def test_the_briefing_downloads_and_opens_offline(app_url, page, browser, tmp_path):
    _open(page, app_url, "Briefing")
    with page.expect_download(timeout=60_000) as dl:
        page.locator(".st-key-briefing_download button").click()
    target = tmp_path / "briefing.html"
    dl.value.save_as(target)
    html = target.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "https://" not in html and "http://" not in html
    offline = browser.new_context(offline=True)
    seen: list[str] = []
    offline.on("request", lambda r: seen.append(r.url))
    pg = offline.new_page()
    pg.goto(target.as_uri())
    frame = pg.main_frame
    nodes, ink = _drawn(frame) if frame.locator("script.og-data").count() else (0, 0)
    assert nodes > 0 and ink > 100, (nodes, ink)
    pg.screenshot(path=str(SHOTS / "Briefing_offline.png"), full_page=True)
    offline.close()
    assert [u for u in seen if not u.startswith(("file:", "data:", "blob:", "about:"))] == []
