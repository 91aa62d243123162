"""Shared fixtures: the tiny hand-checkable dataset, the real data, and the CI rule that nothing may skip."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TINY = ROOT / "tests" / "fixtures" / "tiny"
REAL = ROOT / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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
