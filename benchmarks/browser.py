"""What an analyst waits for, in a real Chromium: first render of a page cold and warm, switching pages, and a
change of the analysis context — measured from the navigation (or the click, or the change) until Streamlit says
the script run has finished and nothing on the page is stale.

    python -m benchmarks.browser [--data DIR] [--repeat 3] [--out FILE]

cold      = a fresh `streamlit run` on an empty store cache (the store is built, the graph loaded and scored): the
            whole path a user takes after `tools/run-app` on a fresh clone, less the package install;
warm tab  = the same page opened again in a new tab of the same browser (the analyst's browser has Streamlit's
            scripts cached, the server its caches);
warm new browser = the same, in a fresh browser profile (nothing cached in the browser);
switch    = a click on a page in the sidebar, from the Overview, until that page has run;
interaction = in the graph explorer, an ego network chosen, then a tie path; on Coverage, a what-if activity added;
context   = moving the year window's end by one year on Coverage, until the page has run again;
floor     = benchmarks/floor_app.py (one title, one line) opened the same ways: what Streamlit alone takes now.
Each figure is repeated (cold runs each start their own server) and reported as min / median / max; runs of
different pages are interleaved so a busy core hurts them alike. Chromium is Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (name in the sidebar, URL path, title); the default page lives at "/" (Streamlit ignores its url_path)
PAGES = [
    ("Overview", "", "Outreach Graph"),
    ("Network", "Network", "Network"),
    ("Coverage", "Coverage", "Coverage"),
    ("Map", "Map", "Map"),
]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(data: Path, cache: Path, script: str = "app.py"):
    """`streamlit run <script>` on a free port with its own store cache; yields the URL once healthy."""
    port = _port()
    env = {**os.environ, "OUTREACH_DATA": str(data), "OUTREACH_CACHE": str(cache)}
    env.pop("NEO4J_URI", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(3000):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def settled(pg, timeout_ms: int = 600_000) -> None:
    pg.wait_for_timeout(50)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    pg.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout_ms)


def open_timed(pg, url: str, path: str, title: str) -> float:
    """Seconds from navigation to the page's title shown and its first run finished."""
    start = time.perf_counter()
    pg.goto(f"{url}/{path}", wait_until="domcontentloaded")
    pg.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=600_000)
    settled(pg)
    return time.perf_counter() - start


def stats(values: list[float]) -> dict:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
        "runs": [round(v, 3) for v in values],
    }


def switch_timed(pg, name: str, title: str) -> float:
    """Seconds from a click on `name` in the sidebar to that page's title shown and its run finished."""
    start = time.perf_counter()
    pg.locator(f'[data-testid="stSidebarNav"] a:has-text("{name}")').first.click()
    pg.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=600_000)
    settled(pg)
    return time.perf_counter() - start


def context_change(pg, url: str) -> float:
    """Seconds from moving the year window's end by one year on Coverage to the page run again."""
    open_timed(pg, url, "Coverage", "Coverage")
    thumb = pg.locator('.st-key-ctx_years input[type="range"]').nth(1)
    thumb.focus()
    start = time.perf_counter()
    pg.keyboard.press("ArrowLeft")
    settled(pg)
    return time.perf_counter() - start


VIEW = {"viewport": {"width": 1400, "height": 1000}}


def three_ways(browser, url: str, path: str, title: str, into: dict) -> None:
    """Open a page cold (a new profile), again in a new tab of that profile, and in another new profile."""
    profile = browser.new_context(**VIEW)
    for key in ("cold", "warm_tab"):
        pg = profile.new_page()
        into.setdefault(key, []).append(open_timed(pg, url, path, title))
        pg.close()
    pg = browser.new_page(**VIEW)
    into.setdefault("warm_new_browser", []).append(open_timed(pg, url, path, title))
    pg.close()
    profile.close()


def switches(browser, url: str, into: dict, context: list) -> None:
    """From the Overview, each other page by its sidebar link (and back); then a context change."""
    pg = browser.new_page(**VIEW)
    open_timed(pg, url, "", "Outreach Graph")
    for name, _, title in PAGES[1:]:
        into.setdefault(name, []).append(switch_timed(pg, name, title))
        switch_timed(pg, "Overview", "Outreach Graph")
    context.append(context_change(pg, url))
    pg.close()


def pick(pg, key: str, text: str) -> float:
    """Seconds from choosing `text` in the select box `key` to the page run again."""
    start = time.perf_counter()
    pg.locator(f".st-key-{key}").click()
    pg.keyboard.type(text)
    pg.keyboard.press("Enter")
    settled(pg)
    return time.perf_counter() - start


EGO = ["Malaysia", "Thailand", "Viet Nam"]  # a different choice each repeat: no result cached from the last
PATH = [("Thailand", "China"), ("Malaysia", "China"), ("India", "China")]
WHATIF = ["Cambodia", "Lao", "Myanmar"]


def interactions(browser, url: str, i: int, into: dict) -> None:
    """In the graph explorer an ego network, then a tie path; on Coverage a what-if planned activity added."""
    pg = browser.new_page(**VIEW)
    open_timed(pg, url, "Network", "Network")
    pg.locator('label:has-text("Graph explorer")').click()
    settled(pg)
    into.setdefault("ego network", []).append(pick(pg, "net_focus", EGO[i % 3]))
    pick(pg, "net_path_from", PATH[i % 3][0])
    into.setdefault("tie path", []).append(pick(pg, "net_path_to", PATH[i % 3][1]))
    open_timed(pg, url, "Coverage", "Coverage")
    pg.locator('summary:has-text("What-if")').click()
    pick(pg, "wf_country", WHATIF[i % 3])
    start = time.perf_counter()
    pg.get_by_role("button", name="Add planned activity").click()
    settled(pg)
    into.setdefault("what-if (add a planned activity)", []).append(time.perf_counter() - start)
    pg.close()


def measure(data: Path, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    kinds = ("cold", "warm_tab", "warm_new_browser", "switch", "interaction")
    figures: dict[str, dict[str, list]] = {k: {} for k in kinds}
    floor: dict[str, list] = {}
    context: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        for i in range(repeat):
            for k, (name, path, title) in enumerate(PAGES[i % len(PAGES) :] + PAGES[: i % len(PAGES)]):  # interleaved
                with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache, server(data, Path(cache)) as url:
                    runs: dict[str, list] = {}
                    three_ways(browser, url, path, title, runs)
                    for key, values in runs.items():
                        figures[key].setdefault(name, []).extend(values)
                    if k == 0:
                        switches(browser, url, figures["switch"], context)
                        interactions(browser, url, i, figures["interaction"])
            with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
                with server(data, Path(cache), "benchmarks/floor_app.py") as url:
                    three_ways(browser, url, "", "Floor", floor)
        browser.close()
    return {
        "data": str(data),
        "repeat": repeat,
        **{f"{key}_s": {p: stats(v) for p, v in per_page.items()} for key, per_page in figures.items()},
        "floor_s": {key: stats(v) for key, v in floor.items()},
        "context_change_s": stats(context),
        "load_average": os.getloadavg(),
    }


NAMES = {
    "cold_s": "first render, cold",
    "warm_tab_s": "first render, warm (new tab)",
    "warm_new_browser_s": "first render, warm (new browser profile)",
    "switch_s": "switch from the Overview (sidebar click)",
    "interaction_s": "interaction, warm server",
}
FLOOR_OF = {"cold_s": "cold", "warm_tab_s": "warm_tab", "warm_new_browser_s": "warm_new_browser"}


def table(r: dict) -> str:
    """The report as a Markdown table; each first render also as a ratio to the floor measured the same way."""
    lines = ["| figure | page | min | median | max | median ÷ floor |", "|---|---|---|---|---|---|"]
    for key, name in NAMES.items():
        floor = r["floor_s"].get(FLOOR_OF.get(key, ""), {}).get("median")
        for page, s in r[key].items():
            ratio = f"{s['median'] / floor:.1f}×" if floor else ""
            lines.append(f"| {name} | {page} | {s['min']:.2f} | {s['median']:.2f} | {s['max']:.2f} | {ratio} |")
    for key, s in r["floor_s"].items():
        name = f"floor: one-line Streamlit page, {key.replace('_', ' ')}"
        lines.append(f"| {name} | — | {s['min']:.2f} | {s['median']:.2f} | {s['max']:.2f} | 1.0× |")
    s = r["context_change_s"]
    lines.append(f"| context change (year) | Coverage | {s['min']:.2f} | {s['median']:.2f} | {s['max']:.2f} | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.browser", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    r = measure(a.data.resolve(), a.repeat)
    print(table(r))
    if a.out:
        a.out.write_text(json.dumps(r, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
