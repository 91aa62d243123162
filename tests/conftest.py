"""Shared fixtures: the tiny hand-checkable dataset, the real data, and the CI rule that nothing may skip; and what
the session shares to keep the suite fast: one store cache, one headless Chromium, one app server on the real data
and one on the tiny data (tests whose server needs an environment of its own start their own)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"
REAL = ROOT / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

REPORT: list[str] = []  # figures tests measure (sync throughput, render timings), printed at the end of the run


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("measured figures")
        for line in REPORT:
            terminalreporter.write_line(line)


def pytest_configure(config):
    """One embedded-store cache for the whole session, empty at its start: stores are keyed by a hash of what they
    hold, so every test, CLI and app server that does not test the cache itself builds each store once. Set in the
    environment before any store is opened, so subprocesses (CLIs, app servers) inherit it."""
    import tempfile

    folder = tempfile.mkdtemp(prefix="outreach-test-cache-")
    config._outreach_cache = (folder, os.environ.get("OUTREACH_CACHE"))
    os.environ["OUTREACH_CACHE"] = folder


def pytest_unconfigure(config):
    folder, before = getattr(config, "_outreach_cache", (None, None))
    if folder is None:
        return
    if before is None:
        os.environ.pop("OUTREACH_CACHE", None)
    else:
        os.environ["OUTREACH_CACHE"] = before
    shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Tests that drive the session's Chromium run last, together (in their usual order). Its Playwright (sync
    API) keeps an asyncio loop marked as running on the main thread from the first such test to the end of the
    session, and nothing else may run an asyncio loop there meanwhile."""
    uses = [i for i in items if "chromium" in getattr(i, "fixturenames", ())]
    if uses:
        items[:] = [i for i in items if "chromium" not in getattr(i, "fixturenames", ())] + uses


def need(condition: bool, why: str) -> None:
    """Skip when a real dependency (Neo4j, Chromium) is missing — but fail under CI, where it must be there."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI=true but {why}")
        pytest.skip(why)


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    return TINY


@pytest.fixture()
def tiny_copy(tmp_path) -> Path:
    """A writable copy of the tiny dataset, for tests that break it on purpose."""
    dst = tmp_path / "data"
    shutil.copytree(TINY, dst)
    return dst


@pytest.fixture(scope="session")
def tiny_graph():
    from graph_loader.pipeline import load

    g, _ = load(TINY, risk_year=2008)
    return g


@pytest.fixture(scope="session")
def real_graph():
    from graph_loader.pipeline import load

    g, _ = load(REAL)
    return g


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_local_neo4j(folder: Path, port: int, auth: bool = False, password: str | None = None) -> str:
    """Start a real Neo4j 5 with tools/neo4j-local; return its bolt URI."""
    import subprocess

    env = dict(os.environ)
    if password:
        env["NEO4J_LAUNCHER_PASSWORD"] = password
    cmd = [str(ROOT / "tools" / "neo4j-local"), "start", "--port", str(port), "--dir", str(folder), "--fresh"]
    out = subprocess.run(cmd + (["--auth"] if auth else []), capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"tools/neo4j-local start failed:\n{out.stderr[-3000:]}")
    return out.stdout.strip().splitlines()[-1]


def stop_local_neo4j(folder: Path, port: int) -> None:
    import subprocess

    subprocess.run(
        [str(ROOT / "tools" / "neo4j-local"), "stop", "--port", str(port), "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def java_available() -> bool:
    return bool(shutil.which("java") and shutil.which("mvn"))


# the password of auth_neo4j's server (random per run): tests check that it never shows in output or logs
AUTH_NEO4J_PASSWORD = f"server-{os.urandom(16).hex()}"


@pytest.fixture(scope="session")
def auth_neo4j(tmp_path_factory):
    """A second Neo4j 5 of the session's own, authentication on (user neo4j, AUTH_NEO4J_PASSWORD), never the
    NEO4J_URI one: for the tests that log in wrongly, stop it mid-sync and restart it (test_neo4j,
    test_secrets_offline). Started once; each test syncs what it needs into it first."""
    need(java_available(), "Java 17 and Maven are needed to start a Neo4j with authentication")
    folder, port = tmp_path_factory.mktemp("neo4j-auth"), free_port()
    uri = start_local_neo4j(folder, port, auth=True, password=AUTH_NEO4J_PASSWORD)
    yield {"uri": uri, "folder": folder, "port": port, "password": AUTH_NEO4J_PASSWORD}
    stop_local_neo4j(folder, port)


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory):
    """NEO4J_URI if set (CI starts one), else a local server from tools/neo4j-local when Java is present."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield uri
        return
    need(
        java_available(),
        "no NEO4J_URI and no Java 17 + Maven to start a local Neo4j "
        "(install openjdk-17-jdk and maven, or export NEO4J_URI=bolt://host:7687)",
    )
    folder, port = tmp_path_factory.mktemp("neo4j"), free_port()
    uri = start_local_neo4j(folder, port)
    yield uri
    stop_local_neo4j(folder, port)


# ------------------------------------------------------------------------ one browser and shared app servers
@pytest.fixture(scope="session")
def chromium():
    """The session's headless Chromium (Playwright, sync API); each test opens its own context or page in it and
    closes it. Tests using it run at the end of the session (pytest_collection_modifyitems)."""
    from app_server import need_browser

    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def real_app(tmp_path_factory):
    """The app (`streamlit run app.py`) on the real data/, embedded backend, started once for the session: for
    tests that only read pages (each browser session is Streamlit's own session)."""
    from app_server import need_browser, running_app

    need_browser()
    with running_app(tmp_path_factory.mktemp("app-real")) as app:
        yield app


@pytest.fixture(scope="session")
def tiny_app(tmp_path_factory):
    """The app on tests/fixtures/tiny, embedded backend, started once for the session (read-only use)."""
    from app_server import need_browser, running_app

    need_browser()
    with running_app(tmp_path_factory.mktemp("app-tiny"), {"OUTREACH_DATA": str(TINY)}) as app:
        yield app
