"""The shared register from the app, in a real Chromium, on a copy of the real data: an analyst proposes Australian
officer training for Malaysia in January 2010, sees that the USA already offers it (and the same-month clash),
moves it to March, saves it anyway, and sees the gap close on the Coverage page and on the map."""

from __future__ import annotations

import re
import shutil

import pytest

from app_server import open_page, running_app, settle
from conftest import REAL
from test_map_browser import click_mark

pytestmark = pytest.mark.browser


def choose(pg, key: str, text: str) -> None:
    box = pg.locator(f'.st-key-{key} input[role="combobox"]')
    box.click()
    box.fill(text)
    pg.locator('[role="option"]', has_text=text).first.click()
    settle(pg)


def fill(pg, key: str, value: str, tag: str = "input") -> None:
    box = pg.locator(f".st-key-{key} {tag}").first
    box.fill(value)
    box.press("Tab")
    settle(pg)


def gaps(pg) -> int:
    label = pg.locator('[data-testid="stMetric"]', has_text="Coverage gaps")
    return int(re.search(r"(\d+)", label.locator('[data-testid="stMetricValue"]').inner_text()).group(1))


def test_a_proposal_is_checked_moved_saved_and_closes_the_gap(tmp_path, chromium):
    data = tmp_path / "data"
    shutil.copytree(REAL, data)
    (tmp_path / "app").mkdir()
    with running_app(tmp_path / "app", {"OUTREACH_DATA": str(data)}) as app:  # its own: the plan is saved in data
        pg = chromium.new_page(viewport={"width": 1400, "height": 1100})
        context = "?from=2010&to=2010"
        open_page(pg, app.url, f"Coverage{context}", "Coverage")
        before = gaps(pg)

        open_page(pg, app.url, f"Plans{context}", "Plans")
        choose(pg, "plan_partner", "(AUS)")
        choose(pg, "plan_tool", "officer_training")
        choose(pg, "plan_targets", "(MYS)")
        choose(pg, "plan_status", "planned")
        fill(pg, "plan_month", "1")
        fill(pg, "plan_title", "Commodity identification training, Malaysia (AUS)")
        fill(pg, "plan_source", "browser test")
        pg.locator(".st-key-plan_check button").click()
        settle(pg)
        warned = " ".join(pg.locator('[data-testid="stAlert"]').all_inner_texts())
        assert "overlap: USA already offers officer_training to MYS" in warned
        assert "clash: MYS already has in 2010-01" in warned

        fill(pg, "plan_month", "3")  # March, as Malaysia's point of contact asked
        pg.locator(".st-key-plan_check button").click()
        settle(pg)
        warned = " ".join(pg.locator('[data-testid="stAlert"]').all_inner_texts())
        assert "clash:" not in warned and "overlap:" in warned and "closes MYS's gap officer_training" in warned
        pg.locator(".st-key-plan_force button").click()
        settle(pg)
        assert "Saved AUS-2010-MYS-OFFICER_TRAINING" in " ".join(
            pg.locator('[data-testid="stAlert"]').all_inner_texts()
        )
        assert "AUS-2010-MYS-OFFICER_TRAINING" in (data / "activities.csv").read_text(encoding="utf-8")

        open_page(pg, app.url, f"Coverage{context}", "Coverage")
        assert gaps(pg) == before - 1

        open_page(pg, app.url, f"Map{context}", "Map")
        pg.locator('.st-key-map_colour label:has-text("Coverage gaps")').click()
        settle(pg)
        click_mark(pg, "Malaysia (MYS)", hover_only=True)
        tip = pg.locator("#vg-tooltip-element")
        tip.wait_for(state="visible", timeout=10_000)
        assert "officer_training" not in tip.inner_text().split("coverage gaps")[1].split("\n")[1]
        pg.close()
