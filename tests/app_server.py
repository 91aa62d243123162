"""`streamlit run app.py` on 127.0.0.1 for the browser-level tests (hostile text, concurrency, offline checks).

Not a test module: the browser tests and conftest's shared app servers (real_app, tiny_app) use it. It does NOT
pass --browser.gatherUsageStats on the command line, so what turns usage statistics off is the app's own
.streamlit/config.toml (run from the checkout, which holds it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from conftest import CHROMIUM, ROOT, free_port, need

NEO4J_KEYS = ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE")


@dataclass
class App:
    url: str
    port: int
    log: Path
    proc: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def need_browser() -> None:
    """Skip (fail under CI=true) without Debian's chromium or Playwright."""
    need(Path(CHROMIUM).exists(), "headless Chromium is needed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need(False, "playwright (Python) is needed: tools/setup-env tools/requirements-dev.txt")


@contextmanager
def running_app(folder: Path, env: dict | None = None, timeout: float = 120):
    """The app on a free 127.0.0.1 port, its log in `folder`; NEO4J_* and OUTREACH_DATA come only from `env`. Its
    store cache is the session's (OUTREACH_CACHE, set by conftest; stores are keyed by content), unless `env`
    gives another."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if k not in NEO4J_KEYS and k != "OUTREACH_DATA"}
    full.update(env or {})
    log = folder / f"streamlit-{port}.log"
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
        env=full,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    app = App(f"http://127.0.0.1:{port}", port, log, proc)
    deadline = time.time() + timeout
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("streamlit did not start:\n" + app.log_text()[-3000:]) from None
                time.sleep(0.3)
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def settle(pg, timeout_ms: int = 180_000) -> None:
    """Wait until the session's script run has finished (Streamlit's own flag on stApp) and nothing shown is
    stale. An interaction marks the run as requested at once, so this never returns before its rerun ends."""
    pg.wait_for_timeout(300)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    pg.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout_ms)


def open_page(pg, url: str, path: str, title: str, timeout_ms: int = 180_000) -> None:
    """Open one of the app's pages and wait for its title and the end of its first run."""
    pg.goto(f"{url}/{path}", wait_until="domcontentloaded")
    pg.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=timeout_ms)
    settle(pg, timeout_ms)


def local(url: str) -> bool:
    """A URL the browser may fetch: this machine's 127.0.0.1, or an in-page scheme."""
    u = urlparse(url)
    return u.scheme in ("data", "blob", "about", "file", "chrome-error") or u.hostname == "127.0.0.1"
