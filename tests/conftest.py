"""Shared fixtures: the tiny hand-checkable dataset, the real data, and the CI rule that nothing may skip."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"
REAL = ROOT / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


REPORT: list[str] = []  # figures tests measure (sync throughput, render timings), printed at the end of the run


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("measured figures")
        for line in REPORT:
            terminalreporter.write_line(line)


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
