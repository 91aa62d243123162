"""Queries as a workbench, in a real Chromium: a free-form query with a parameter is run and saved, and after a
restart of the app it is in the library with a form of its own; the Network page's GraphML download parses.
"""

from __future__ import annotations

import pytest

from app_server import open_page, running_app, settle
from conftest import TINY

pytestmark = pytest.mark.browser
QUERY = "MATCH (c:Country) WHERE c.iso3 = $iso RETURN c.iso3 AS iso3, c.name AS name"


def fill(pg, selector: str, text: str, key: str = "Enter") -> None:
    box = pg.locator(selector)
    box.fill(text)
    box.press(key)
    settle(pg)


def test_a_saved_query_is_in_the_library_after_a_restart(tmp_path, chromium):
    env = {"OUTREACH_DATA": str(TINY), "OUTREACH_USER_QUERIES": str(tmp_path / "saved")}
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    with running_app(tmp_path / "first", env) as app:
        pg = chromium.new_page(viewport={"width": 1400, "height": 1000})
        open_page(pg, app.url, "Queries", "Queries")
        fill(pg, ".st-key-cypher_text textarea", QUERY, "Control+Enter")
        fill(pg, ".st-key-cypher_param_iso input", "MYS")
        pg.locator(".st-key-run_cypher button").click()
        settle(pg)
        pg.get_by_text("Save as query").click()
        for field, text in (
            ("save_name", "country_by_code"),
            ("save_title", "A country by its code"),
            ("save_description", "Name of one country."),
        ):
            pg.locator(f".st-key-{field} input").fill(text)  # (Enter would submit the form)
        pg.get_by_role("button", name="Save").click()
        settle(pg)
        assert "Saved country_by_code" in " ".join(pg.locator('[data-testid="stAlert"]').all_inner_texts())
        pg.close()
    assert (
        (tmp_path / "saved" / "country_by_code.cypher")
        .read_text(encoding="utf-8")
        .startswith(
            "// A country by its code\n// description: Name of one country.\n// params:\n"
            "//   iso: string = MYS — saved from the console\n// returns: iso3, name\n"
        )
    )
    with running_app(tmp_path / "second", env) as app:  # a restart: a new server process
        pg = chromium.new_page(viewport={"width": 1400, "height": 1000})
        open_page(pg, app.url, "Queries", "Queries")
        box = pg.locator('.st-key-query_name input[role="combobox"]')
        box.click()
        box.fill("country_by_code")
        pg.locator('[role="option"]', has_text="country_by_code").first.click()
        settle(pg)
        assert pg.locator(".st-key-param_country_by_code_iso input").input_value() == "MYS"
        pg.locator(".st-key-run_query button").click()
        settle(pg)
        assert pg.locator('[data-testid="stCaptionContainer"]').filter(has_text="1 row").count() >= 1
        pg.close()


def test_the_network_view_downloads_as_graphml_that_parses(tmp_path, tiny_app, chromium):
    import networkx as nx

    app = tiny_app  # the session's app on the tiny data (conftest)
    pg = chromium.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    open_page(pg, app.url, "Network", "Network")
    pg.locator('.st-key-net_mode label:has-text("Graph explorer")').click()
    settle(pg)
    with pg.expect_download() as got:
        pg.get_by_role("button", name="This view as GRAPHML").click()
    path = tmp_path / "view.graphml"
    got.value.save_as(path)
    view = nx.read_graphml(path)
    assert view.number_of_nodes() > 5 and view.number_of_edges() > 5
    assert "Country:MYS" in view
    pg.close()
