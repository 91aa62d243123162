"""The free-form Cypher box in a real Chromium: a hostile query is refused with its sentence, a query past the wall
clock is stopped, a huge result stops at the row cap and says so, a $parameter gets a field — and after all of it
the app still answers, on the same server process.
"""

from __future__ import annotations

import urllib.request

import pytest

from app_server import need_browser, open_page, running_app, settle
from conftest import TINY
from test_console_security import LOAD_REFUSED, PASSWD_TRICK, SLOW

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A server of its own: a 3 s wall clock and a 100-row cap for the console's queries."""
    need_browser()
    env = {"OUTREACH_DATA": str(TINY), "OUTREACH_QUERY_WALL_S": "3", "OUTREACH_QUERY_MAX_ROWS": "100"}
    with running_app(tmp_path_factory.mktemp("console"), env) as running:
        yield running


@pytest.fixture(scope="module")
def page(app, chromium):
    pg = chromium.new_page(viewport={"width": 1400, "height": 1000})
    open_page(pg, app.url, "Queries", "Queries")
    yield pg
    pg.close()


def run_cypher(pg, text: str) -> None:
    box = pg.locator(".st-key-cypher_text textarea")
    box.fill(text)
    box.press("Control+Enter")  # commit the text area's value, as leaving it would
    settle(pg)
    pg.locator(".st-key-run_cypher button").click()
    settle(pg)


def alerts(pg) -> str:
    return " | ".join(pg.locator('[data-testid="stAlert"]').all_inner_texts())


def test_the_passwd_trick_is_refused_in_the_page(page):
    run_cypher(page, PASSWD_TRICK)
    assert LOAD_REFUSED in alerts(page)
    assert "root:" not in page.content()


def test_a_query_past_the_wall_clock_is_stopped_and_the_app_answers_the_next(app, page):
    run_cypher(page, SLOW)
    assert "the query ran longer than 3 s and was stopped" in alerts(page)
    run_cypher(page, "MATCH (c:Country) WHERE c.iso3 = 'MYS' RETURN c.name AS name")
    assert page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()[-1] == "1 row"
    assert urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=5).status == 200
    assert app.proc.poll() is None  # the same server process


def test_a_huge_result_says_it_stopped_at_the_row_cap(page):
    run_cypher(page, "UNWIND range(1, 5000) AS x RETURN x")
    assert "Showing the first 100 of more than 100 rows" in alerts(page)


def test_a_parameter_gets_a_field_and_an_empty_one_is_named(page):
    run_cypher(page, "MATCH (c:Country) WHERE c.iso3 = $iso RETURN c.name AS name")
    assert "no value for $iso" in alerts(page)
    field = page.locator(".st-key-cypher_param_iso input")
    field.fill("MYS")
    field.press("Enter")
    settle(page)
    page.locator(".st-key-run_cypher button").click()
    settle(page)
    assert "parameters: iso=MYS" in " ".join(page.locator('[data-testid="stCaptionContainer"]').all_inner_texts())
