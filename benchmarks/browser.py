"""What an analyst waits for, in a real Chromium: first render of a page cold and warm, and a change
of the analysis context — measured from the navigation (or the change) until Streamlit says the script run has
finished and nothing on the page is stale.

    python -m benchmarks.browser [--data DIR] [--repeat 3] [--out FILE]

cold  = a fresh `streamlit run` on an empty store cache (the store is built, the graph loaded and scored): the
        whole path a user takes after `tools/run-app` on a fresh clone, less the package install;
warm  = the same page opened again in a new tab of the same server (caches filled);
context = moving the year window's end by one year on Coverage, until the page has run again.
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
PAGES = [("overview", "Outreach Graph"), ("Network", "Network"), ("Coverage", "Coverage"), ("Map", "Map")]
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
def server(data: Path, cache: Path):
    """`streamlit run app.py` on a free port with its own store cache; yields the URL once healthy."""
    port = _port()
    env = {**os.environ, "OUTREACH_DATA": str(data), "OUTREACH_CACHE": str(cache)}
    env.pop("NEO4J_URI", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
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
        for _ in range(600):
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


def measure(data: Path, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    cold: dict[str, list] = {p: [] for p, _ in PAGES}
    warm: dict[str, list] = {p: [] for p, _ in PAGES}
    context = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        for i in range(repeat):
            for k, (path, title) in enumerate(PAGES[i % len(PAGES) :] + PAGES[: i % len(PAGES)]):  # interleaved
                with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache, server(data, Path(cache)) as url:
                    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
                    cold[path].append(open_timed(pg, url, path, title))
                    pg.close()
                    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
                    warm[path].append(open_timed(pg, url, path, title))
                    if k == 0:  # a context change, on the warm server
                        open_timed(pg, url, "Coverage", "Coverage")
                        thumb = pg.locator('.st-key-ctx_years input[type="range"]').nth(1)
                        thumb.focus()
                        start = time.perf_counter()
                        pg.keyboard.press("ArrowLeft")
                        settled(pg)
                        context.append(time.perf_counter() - start)
                    pg.close()
        browser.close()
    return {
        "data": str(data),
        "repeat": repeat,
        "cold_first_render_s": {p: stats(v) for p, v in cold.items()},
        "warm_first_render_s": {p: stats(v) for p, v in warm.items()},
        "context_change_s": stats(context),
        "load_average": os.getloadavg(),
    }


def table(r: dict) -> str:
    lines = ["| figure | page | min | median | max |", "|---|---|---|---|---|"]
    for key, name in (("cold_first_render_s", "first render, cold"), ("warm_first_render_s", "first render, warm")):
        for page, s in r[key].items():
            lines.append(f"| {name} | {page} | {s['min']:.2f} | {s['median']:.2f} | {s['max']:.2f} |")
    for key, name in (("context_change_s", "context change (year), Coverage"),):
        s = r[key]
        lines.append(f"| {name} | — | {s['min']:.2f} | {s['median']:.2f} | {s['max']:.2f} |")
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
