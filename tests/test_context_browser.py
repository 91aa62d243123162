"""The analysis context in a real Chromium: a change of the year window on one page is in the URL, is seen on
another page, survives a reload, and Reset returns to the defaults."""

from __future__ import annotations

import pytest

from app_server import open_page, settle

pytestmark = pytest.mark.browser


def test_a_context_change_travels_to_the_url_another_page_and_a_reload(tiny_app, chromium):
    app = tiny_app  # the session's app on the tiny data (conftest)
    pg = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_page(pg, app.url, "Coverage", "Coverage")
        end = pg.locator('.st-key-ctx_years input[type="range"]').nth(1)
        end.focus()
        pg.keyboard.press("ArrowLeft")  # 2008–2009 → 2008–2008
        settle(pg)
        pg.locator(".st-key-ctx_tier_source label").filter(has_text="Model").last.click()  # "Model", not "… model)"
        settle(pg)
        assert "from=2008" not in pg.url and "to=2008" in pg.url and "tiers=model" in pg.url

        pg.locator('[data-testid="stSidebarNav"] a', has_text="Network").first.click()
        pg.wait_for_selector('[data-testid="stMain"] h1:has-text("Network")', timeout=120_000)
        settle(pg)
        caption = " ".join(pg.locator('[data-testid="stCaptionContainer"]').all_inner_texts())
        assert "2008–2008" in caption and "the model's tiers" in caption
        assert "to=2008" in pg.url and "tiers=model" in pg.url

        pg.reload()
        pg.wait_for_selector('[data-testid="stMain"] h1:has-text("Network")', timeout=120_000)
        settle(pg)
        assert "2008–2008" in " ".join(pg.locator('[data-testid="stCaptionContainer"]').all_inner_texts())

        pg.locator(".st-key-ctx_reset button").click()
        settle(pg)
        assert "to=" not in pg.url and "tiers=" not in pg.url
        assert "2008–2009" in " ".join(pg.locator('[data-testid="stCaptionContainer"]').all_inner_texts())
    finally:
        pg.close()
