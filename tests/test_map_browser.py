"""The Map page in a real headless Chromium on the real data/: the Vega SVG draws the countries, hover shows a
country's facts, a click on Thailand's and then on Malaysia's shape opens each one's dossier (Malaysia is the
dossier's default, so Thailand first shows that the click chose it), and no request
leaves 127.0.0.1. A screenshot goes to artifacts/screenshots/Map.png (OUTREACH_SCREENSHOTS overrides the folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app_server import local, open_page, settle
from conftest import ROOT

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("OUTREACH_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
CHART = '[data-testid="stVegaLiteChart"]'


@pytest.fixture(scope="module")
def app(real_app):
    return real_app  # the session's app on the real data (conftest)


@pytest.fixture(scope="module")
def page(app, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    pg = context.new_page()
    pg.requests = requests
    open_page(pg, app.url, "Map", "Map")
    pg.wait_for_selector(f'{CHART} svg path[aria-label*="Malaysia"]', timeout=60_000)
    yield pg
    context.close()


def mark(pg, aria: str, role: str = "geoshape"):
    """The SVG path of a mark (role geoshape or circle) whose aria-label contains `aria`."""
    return pg.locator(f'{CHART} svg path[aria-roledescription="{role}"][aria-label*="{aria}"]').first


def click_mark(pg, aria: str, role: str = "geoshape", hover_only: bool = False) -> None:
    """Move to (or click) a point of the mark that is not covered by an arc or a label: the offset is found in the
    page, and Playwright checks at action time that the mark itself receives the pointer there."""
    el = mark(pg, aria, role)
    el.scroll_into_view_if_needed()
    offset = el.evaluate("""el => {
        const b = el.getBoundingClientRect();
        if (document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2) === el)
            return {x: b.width / 2, y: b.height / 2};  // the middle when it is free (a point mark's always is)
        for (let i = 1; i < 40; i++) for (let j = 1; j < 40; j++) {
            const x = b.width * i / 40, y = b.height * j / 40;
            if (document.elementFromPoint(b.left + x, b.top + y) === el) return {x, y};
        }
        return null;
    }""")
    assert offset, f"no visible point on {aria}"
    box = el.bounding_box()  # Playwright's box of an SVG path can differ from getBoundingClientRect: use the page
    x, y = pg.evaluate(
        """([el, o]) => { const b = el.getBoundingClientRect(); return [b.left + o.x, b.top + o.y]; }""",
        [el.element_handle(), offset],
    )
    assert box is not None
    pg.mouse.move(x, y)
    if not hover_only:
        pg.mouse.click(x, y)


def test_the_map_draws_countries_and_small_territories(page):
    n_shapes = page.locator(f"{CHART} svg path[aria-label]").count()
    assert n_shapes >= 25, n_shapes  # the data's countries, each an SVG path with its name
    for name in ("Malaysia (MYS)", "Thailand (THA)", "Taiwan (TWN)", "Japan (JPN)", "Hong Kong (HKG)"):
        assert page.locator(f'{CHART} svg path[aria-roledescription="geoshape"][aria-label="{name}"]').count() == 1, (
            name
        )
    # Singapore and Hong Kong as point marks as well (Vega draws a circle as a path)
    assert page.locator(f'{CHART} svg path[aria-roledescription="circle"][aria-label*="Singapore"]').count() == 1
    assert page.locator(f'{CHART} svg path[aria-roledescription="circle"][aria-label*="Hong Kong"]').count() == 1
    box = page.locator(CHART).bounding_box()
    assert box["width"] >= 900 and box["height"] >= 600
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "Map.png"), full_page=False)


def test_hover_shows_the_facts(page):
    click_mark(page, "Thailand (THA)", hover_only=True)
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible", timeout=10_000)
    text = tip.inner_text()
    for fact in ("Thailand", "THA", "category", "risk tier (source)", "High (analysts)", "coverage gaps", "risk score"):
        assert fact in text, (fact, text)


def test_colouring_choice_changes_the_legend(page):
    page.locator('.st-key-map_colour label:has-text("Coverage gaps")').click()
    settle(page)
    page.wait_for_selector(f'{CHART} svg .role-legend-label text:has-text("5+ gaps")', timeout=30_000)
    page.locator('.st-key-map_colour label:has-text("Maturity category")').click()
    settle(page)
    page.wait_for_selector(f'{CHART} svg .role-legend-label text:has-text("no or low intention")', timeout=30_000)


def test_the_slide_svg_is_written_when_its_button_is_clicked(page, tmp_path):
    with page.expect_download(timeout=60_000) as dl:
        page.locator(".st-key-map_svg button").click()
    target = tmp_path / dl.value.suggested_filename
    dl.value.save_as(target)
    svg = target.read_text(encoding="utf-8")
    assert target.suffix == ".svg" and svg.lstrip().startswith(("<svg", "<?xml")) and "Malaysia" in svg
    assert "http://" not in svg.replace("http://www.w3.org/", "")  # nothing to fetch when the slide opens


def test_clicking_thailand_then_malaysia_opens_each_dossier(app, page):
    click_mark(page, "Thailand (THA)")
    page.wait_for_selector('[data-testid="stMain"] h1:has-text("Country dossier")', timeout=60_000)
    settle(page)
    page.wait_for_selector('[data-testid="stMain"] h2:has-text("Thailand (THA)")', timeout=60_000)
    # back to the map in the same session (the sidebar link), then Malaysia's shape
    page.locator('[data-testid="stSidebarNav"] a[href$="/Map"]').click()
    page.wait_for_selector('[data-testid="stMain"] h1:has-text("Map")', timeout=60_000)
    settle(page)
    page.wait_for_selector(f'{CHART} svg path[aria-label*="Malaysia"]', timeout=60_000)
    click_mark(page, "Malaysia (MYS)")
    page.wait_for_selector('[data-testid="stMain"] h1:has-text("Country dossier")', timeout=60_000)
    settle(page)
    page.wait_for_selector('[data-testid="stMain"] h2:has-text("Malaysia (MYS)")', timeout=60_000)
    assert app.proc.poll() is None


def test_clicking_singapores_point_opens_singapores_dossier_not_malaysias(app, page):
    page.locator('[data-testid="stSidebarNav"] a[href$="/Map"]').click()
    page.wait_for_selector('[data-testid="stMain"] h1:has-text("Map")', timeout=60_000)
    settle(page)
    page.wait_for_selector(f'{CHART} svg path[aria-roledescription="circle"][aria-label*="Singapore"]', timeout=60_000)
    click_mark(page, "Singapore", role="circle")
    page.wait_for_selector('[data-testid="stMain"] h1:has-text("Country dossier")', timeout=60_000)
    settle(page)
    page.wait_for_selector('[data-testid="stMain"] h2:has-text("Singapore (SGP)")', timeout=60_000)


def test_no_request_left_127_0_0_1(page):
    outside = [u for u in page.requests if not local(u)]
    assert page.requests and outside == [], outside[:10]
