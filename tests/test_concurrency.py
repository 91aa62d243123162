"""Twelve simultaneous browser sessions on ONE `streamlit run app.py`: each changes its own filters and runs its own
queries — a dossier country, a Queries-page year window, a Coverage year window, a what-if plan — and gets its
own correct result (the same numbers the query library gives in this process), with no exception shown; one
session's what-if plan never shows up in another; and the shared cached graph is byte-for-byte the same before
and after (its sha256 over every node and edge with attributes, shown on the overview page with
OUTREACH_DEBUG_CHECKSUM=1 and recomputed on each visit) — and equal to this process's own load of data/.
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from conftest import REAL, REPORT

pytestmark = pytest.mark.browser
WAIT_MS = 300_000  # generous: twelve sessions share two CPUs; nothing is asserted about time

# (first, second) inputs per session; every session differs from every other in what it asks
DOSSIERS = [("THA", "IDN"), ("VNM", "PHL"), ("SGP", "KHM"), ("MMR", "LAO")]
QUERY_WINDOWS = [
    ((2008, 2008), (2012, 2013)),
    ((2009, 2010), (2016, 2020)),
    ((2011, 2014), (2008, 2009)),
    ((2015, 2020), (2010, 2010)),
]
COVERAGE = [
    ("whatif", (2008, 2008), (2009, 2010)),
    ("plain", (2009, 2009), (2008, 2008)),
    ("plain", (2010, 2012), (2007, 2008)),
    ("plain", (2008, 2011), (2011, 2011)),
]
WHATIF = {"partner": "USA", "target": "MYS", "tool": "legal_assistance"}


# ------------------------------------------------------------------------------------------ expectations
def expectations(runner, graph) -> dict:
    """What each session must see, from the query library run here (not through the app)."""
    from graph_loader.stores.embedded import store_for_graph
    from graph_loader.whatif import with_planned
    from queries import Runner

    exp: dict = {"dossier": {}, "queries": {}, "coverage": {}}
    from graph_loader import risk

    inp = risk.risk_inputs(graph)
    ranked = {r["iso3"]: r for r in risk.rank_rows(inp, 2009)}  # the context's window ends in 2009
    tiers = risk.tiers_by_source(list(ranked.values()), "assessment")
    for iso3 in {i for pair in DOSSIERS for i in pair}:
        p = runner.run("country_profile", {"iso3": iso3}).rows[0]
        r = ranked[iso3]
        exp["dossier"][iso3] = {
            "header": f"{p['country']} ({iso3})",
            "Category": str(p["category"]),
            "Diversion risk": f"{r['score']:.3f}",
            "Risk tier": tiers[iso3][0] or "—",
        }
    for w in {w for pair in QUERY_WINDOWS for w in pair}:
        exp["queries"][w] = len(runner.run("coverage_gaps", {"year_from": w[0], "year_to": w[1]}).rows)
    plan = [{**WHATIF, "year": 2008, "month": 6}]
    variant = Runner("embedded", store=store_for_graph(with_planned(graph, plan), "concurrency-whatif"))
    exp["whatif"] = {}
    for mode, *windows in COVERAGE:
        for w in windows:
            exp["coverage"][w] = coverage_metrics(runner, w)
            if mode == "whatif":
                exp["whatif"][w] = coverage_metrics(variant, w)
    return exp


def coverage_metrics(runner, w: tuple[int, int]) -> dict[str, int]:
    """The Coverage page's four metrics for a year window, as the page asks the library for them."""
    p = {"year_from": w[0], "year_to": w[1]}
    return {
        "Coverage gaps": len(runner.run("coverage_gaps", {**p, "min_priority": 0.0}).rows),
        "Assignment gaps": len(runner.run("assignment_gaps", {**p, "needed_only": True}).rows),
        "Overlaps (flooding)": len(runner.run("partner_overlap", {**p, "max_activities": 2}).rows),
        "Schedule conflicts": len(runner.run("schedule_conflicts", p).rows),
    }


# ------------------------------------------------------------------------------------ async page helpers
async def settled(pg) -> None:
    """The session's script run has finished (Streamlit's own flag on stApp) and nothing on the page is stale."""
    await pg.wait_for_timeout(300)
    await pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=WAIT_MS)
    await pg.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=WAIT_MS)


async def open_page(pg, url: str, path: str, title: str) -> None:
    await pg.goto(f"{url}/{path}", wait_until="domcontentloaded")
    await pg.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=WAIT_MS)
    await settled(pg)


async def choose(pg, key: str, typed: str, option: str) -> None:
    box = pg.locator(f'.st-key-{key} input[role="combobox"]')
    await box.click()
    await box.fill(typed)
    await pg.locator('[role="option"]', has_text=option).first.click()
    await settled(pg)


async def number(pg, key: str, value: int) -> None:
    box = pg.locator(f".st-key-{key} input")
    await box.fill(str(value))
    await box.press("Enter")
    await settled(pg)


async def slide(pg, key: str, window: tuple[int, int]) -> None:
    """Move a range slider's thumbs with the keyboard (start first when going down, end first when going up)."""
    thumbs = pg.locator(f'.st-key-{key} input[type="range"]')

    async def move(i: int, target: int) -> None:
        now = int(await thumbs.nth(i).get_attribute("value"))
        if now != target:
            await thumbs.nth(i).focus()
            for _ in range(abs(target - now)):
                await pg.keyboard.press("ArrowRight" if target > now else "ArrowLeft")

    start = int(await thumbs.nth(0).get_attribute("value"))
    for i, target in ((0, window[0]), (1, window[1])) if window[0] < start else ((1, window[1]), (0, window[0])):
        await move(i, target)
    await settled(pg)
    got = (int(await thumbs.nth(0).get_attribute("value")), int(await thumbs.nth(1).get_attribute("value")))
    assert got == window, (key, got, window)


async def metrics(pg) -> dict[str, str]:
    out = {}
    for m in await pg.locator('[data-testid="stMetric"]').all():
        label = (await m.locator('[data-testid="stMetricLabel"]').inner_text()).strip()
        out[label] = (await m.locator('[data-testid="stMetricValue"]').inner_text()).strip()
    return out


async def no_error(pg, who: str) -> None:
    for testid in ("stException", "stAlertContentError"):
        n = await pg.locator(f'[data-testid="{testid}"]').count()
        assert n == 0, f"{who}: {testid} shown: {await pg.locator(f'[data-testid={testid}]').first.inner_text()}"


async def checksum(browser, url: str) -> str:
    context = await browser.new_context()
    context.set_default_timeout(WAIT_MS)
    pg = await context.new_page()
    await open_page(pg, url, "", "Outreach Graph")
    text = await pg.locator('[data-testid="stCaptionContainer"]', has_text="graph checksum:").inner_text(
        timeout=WAIT_MS
    )
    await context.close()
    return re.search(r"graph checksum: ([0-9a-f]{64})", text).group(1)


# ------------------------------------------------------------------------------------------------ sessions
async def dossier(pg, url, exp, countries, gate, names) -> list:
    await open_page(pg, url, "Country_dossier", "Country dossier")
    seen = []
    for i, iso3 in enumerate(countries):
        await gate(i)
        await choose(pg, "dossier_country", names[iso3], f"({iso3})")
        want = exp["dossier"][iso3]
        await pg.wait_for_selector(f'[data-testid="stMain"] h2:has-text("({iso3})")', timeout=WAIT_MS)
        await settled(pg)  # the header shows the new run started; now wait for it to finish
        header = (await pg.locator('[data-testid="stMain"] h2').first.inner_text()).replace("\u2060", "").strip()
        got = await metrics(pg)
        await no_error(pg, f"dossier {iso3}")
        assert header == want["header"], (header, want)
        assert {k: got[k] for k in ("Category", "Diversion risk", "Risk tier")} == {
            k: want[k] for k in ("Category", "Diversion risk", "Risk tier")
        }
        seen.append(("dossier", iso3))
    return seen


async def queries(pg, url, exp, windows, gate) -> list:
    await open_page(pg, url, "Queries", "Queries")
    await choose(pg, "query_name", "coverage_gaps", "coverage_gaps")
    seen = []
    for i, (a, b) in enumerate(windows):
        await gate(i)
        await number(pg, "param_coverage_gaps_year_from", a)
        await number(pg, "param_coverage_gaps_year_to", b)
        await pg.locator(".st-key-run_query button").click()
        await settled(pg)
        caption = pg.locator('[data-testid="stCaptionContainer"]', has_text=f"parameters: year_from={a}, year_to={b},")
        text = await caption.first.inner_text(timeout=WAIT_MS)
        await no_error(pg, f"queries {a}-{b}")
        assert int(re.match(r"(\d+) rows", text).group(1)) == exp["queries"][(a, b)], (text, (a, b))
        seen.append(("coverage_gaps", (a, b)))
    return seen


async def coverage(pg, url, exp, mode, windows, gate) -> list:
    await open_page(pg, url, "Coverage", "Coverage")
    seen = []
    for i, w in enumerate(windows):
        await gate(i)
        await slide(pg, "ctx_years", w)  # the analysis context's window, in the sidebar
        await pg.wait_for_selector(f"text={w[0]}–{w[1]} · analysts", timeout=WAIT_MS)
        await settled(pg)
        got = await metrics(pg)
        await no_error(pg, f"coverage {w}")
        want = {k: str(v) for k, v in exp["coverage"][w].items()}
        if mode == "whatif" and i == 0:
            assert got == want, (w, got, want)
            await pg.locator('[data-testid="stExpander"] summary', has_text="What-if").click()
            await choose(pg, "wf_partner", "(USA)", "(USA)")
            await choose(pg, "wf_country", "(MYS)", "(MYS)")
            await choose(pg, "wf_tool", "legal_assistance", "legal_assistance")
            await pg.locator('[data-testid="stFormSubmitButton"] button', has_text="Add planned activity").click()
            await settled(pg)
            await pg.wait_for_selector("text=what-if: 1 planned", timeout=WAIT_MS)
            await settled(pg)
            got = await metrics(pg)
            await no_error(pg, "what-if")
            want = {k: str(v) for k, v in exp["whatif"][w].items()}
        elif mode == "whatif":
            want = {k: str(v) for k, v in exp["whatif"][w].items()}  # the plan stays applied in this session
        assert got == want, (mode, w, got, want)
        seen.append((mode, w))
    return seen


# -------------------------------------------------------------------------------------------------- the test
def test_twelve_sessions_get_their_own_correct_results_and_never_change_the_shared_graph(tmp_path, real_graph):
    from app_server import CHROMIUM, need_browser, running_app

    need_browser()
    from graph_loader.whatif import graph_checksum
    from queries import Runner
    from test_browser import CHROMIUM_FLAGS

    exp = expectations(Runner("embedded", REAL), real_graph)
    assert (
        exp["whatif"][(2008, 2008)]["Coverage gaps"] == exp["coverage"][(2008, 2008)]["Coverage gaps"] - 1
    )  # closes one
    names = {d["iso3"]: d["name"] for _, d in real_graph.nodes(data=True) if d["label"] == "Country"}
    changed = real_graph.copy()
    changed.nodes["Country:MYS"]["risk_score"] += 1e-12  # the smallest change a session could make shows
    own = graph_checksum(real_graph)
    assert graph_checksum(changed) != own == graph_checksum(real_graph.copy())
    # a server of its own (it shows the graph's checksum); the store the Runner above built is in the session's
    # cache, which the app opens
    with running_app(tmp_path, {"OUTREACH_DEBUG_CHECKSUM": "1"}) as app:
        stats = in_a_thread(drive(app.url, exp, names, CHROMIUM, CHROMIUM_FLAGS))
        log = app.log_text()
    REPORT.append(
        f"concurrency: {stats['sessions']} sessions held at once, {stats['checks']} results checked, "
        f"{stats['requests']} HTTP requests, {stats['ws_sent']} websocket messages sent, "
        f"{stats['ws_received']} received, wall time {stats['wall']:.1f} s"
    )
    assert stats["sessions"] == 12 and stats["open_sockets"] == 12
    assert stats["checks"] == 24
    assert stats["before"] == stats["after"] == own, (stats["before"], stats["after"], own)
    assert stats["outside"] == [], stats["outside"][:5]
    assert "Traceback" not in log, log[-3000:]


def in_a_thread(coroutine):
    """asyncio.run(coroutine) on a thread of its own: on the main thread, the session's Chromium (conftest, sync
    Playwright) may hold an event loop marked as running."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def drive(url: str, exp: dict, names: dict, chromium: str, flags: list) -> dict:
    from playwright.async_api import async_playwright

    from app_server import local

    stats = {"requests": 0, "ws_sent": 0, "ws_received": 0, "outside": [], "open_sockets": 0}
    t0 = time.perf_counter()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, headless=True, args=flags)
        stats["before"] = await checksum(browser, url)
        contexts, pages, sockets = [], [], []

        def count(r):
            stats["requests"] += 1
            if not local(r.url):
                stats["outside"].append(r.url)

        def on_ws(ws):
            sockets.append(ws)
            ws.on("framesent", lambda _: stats.__setitem__("ws_sent", stats["ws_sent"] + 1))
            ws.on("framereceived", lambda _: stats.__setitem__("ws_received", stats["ws_received"] + 1))

        for _ in range(12):
            c = await browser.new_context(viewport={"width": 1400, "height": 1000})
            c.set_default_timeout(WAIT_MS)
            c.on("request", count)
            pg = await c.new_page()
            pg.on("websocket", on_ws)
            contexts.append(c)
            pages.append(pg)
        # every session opens its page first; each round starts when all sessions are there (held at once)
        rounds = [asyncio.Barrier(12), asyncio.Barrier(12)]

        async def gate(i: int) -> None:
            await rounds[i].wait()
            if i == 0:
                stats["open_sockets"] = max(stats["open_sockets"], sum(not ws.is_closed() for ws in sockets))

        async def guarded(job):
            try:
                return await job
            except BaseException:
                for b in rounds:  # the other sessions stop waiting for this one
                    await b.abort()
                raise

        jobs = [dossier(pages[i], url, exp, DOSSIERS[i], gate, names) for i in range(4)]
        jobs += [queries(pages[4 + i], url, exp, QUERY_WINDOWS[i], gate) for i in range(4)]
        jobs += [coverage(pages[8 + i], url, exp, COVERAGE[i][0], COVERAGE[i][1:], gate) for i in range(4)]
        results = await asyncio.gather(*map(guarded, jobs), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException) and not isinstance(r, asyncio.BrokenBarrierError)]
        if errors or any(isinstance(r, BaseException) for r in results):
            raise (errors or [r for r in results if isinstance(r, BaseException)])[0]
        stats["sessions"] = len(contexts)
        stats["checks"] = sum(len(r) for r in results)
        for c in contexts:
            await c.close()
        stats["after"] = await checksum(browser, url)
        await browser.close()
    stats["wall"] = time.perf_counter() - t0
    return stats
