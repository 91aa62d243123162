"""Smoke tests of the synthetic generator (tools/synth.py) and the benchmark runner (python -m benchmarks).

No timing is asserted: figures depend on the machine. What is checked: a generated folder is complete and
valid, the same seed gives the same bytes, a library query runs on it, and the runner's JSON report has the
keys benchmarks/README.md documents.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY_ARGS = ["--countries", "12", "--years", "3", "--activities", "50"]


def synth(out: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "synth.py"), "--out", str(out), *TINY_ARGS, *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.glob("*.csv")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def test_a_tiny_synthetic_folder_is_complete_valid_deterministic_and_queryable(tmp_path, monkeypatch):
    from graph_loader.schema import load_schema
    from graph_loader.validate import validate
    from queries import Runner

    data = tmp_path / "data"
    synth(data)
    schema = load_schema()
    assert sorted(p.name for p in data.glob("*.csv")) == sorted(schema.files())
    ds = validate(data, schema)  # raises DataError on any problem
    countries = ds.tables["countries.csv"]
    assert len(countries) == 12
    assert {"CHN", "PRK", "IRN"} <= {c for c, f in zip(countries.data["iso3"], countries.data["concern"]) if f}
    assert {"JPN", "USA", "AUS"} <= {c for c, f in zip(countries.data["iso3"], countries.data["partner"]) if f}
    assert len(ds.tables["activities.csv"]) == 50
    manifest = json.loads((data / "synth_manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["activities.csv"] == 50 and manifest["seconds"] >= 0

    again = tmp_path / "again"
    synth(again)
    assert digest(again) == digest(data)
    other = tmp_path / "other"
    synth(other, "--seed", "2")
    assert digest(other) != digest(data)

    monkeypatch.setenv("OUTREACH_CACHE", str(tmp_path / "cache"))
    res = Runner("embedded", data_dir=data).run("risk_ranking")
    assert res.rows and set(res.rows[0]) == set(res.columns)


@pytest.mark.slow
def test_the_benchmark_runner_prints_a_json_report_with_the_documented_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}  # no Neo4j: its figures are skipped
    env["OUTREACH_BENCH_DIR"] = str(tmp_path / "work")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "small", "--repeat", "1", "--format", "json", "--skip-app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout)
    from benchmarks.run import TOP_KEYS

    assert set(TOP_KEYS) <= set(r)
    assert r["errors"] == [] and r["scale"] == "small" and r["repeat"] == 1
    for k in ("cpu_count", "cpu_model", "memory_gb", "python", "load_average_start", "load_average_end", "git_commit"):
        assert k in r["machine"]
    assert r["data"]["synthetic"] and r["data"]["rows"] > 0 and "generation_s" in r["data"]
    for k in ("read_validate_build_s", "validate_s", "build_s", "full_load_s", "ready_s", "peak_rss_mb", "runs"):
        assert k in r["load"]
    for k in ("reader", "parse_s", "ratio", "python_csv_s", "ratio_to_python_csv"):
        assert k in r["parse_floor"]
    assert 0 < r["parse_floor"]["parse_s"] and 0 < r["parse_floor"]["python_csv_s"]
    floor, load = r["parse_floor"], r["load"]  # load and floor ran in turn: one ratio per pair of runs
    assert floor["paired_ratios"] == [load["runs"][0]["read_validate_build_s"] / floor["runs_s"][0]]
    assert floor["ratio_paired"] == floor["ratio_best"] == pytest.approx(floor["ratio"])
    for k in ("inputs_s", "one_year_s", "all_years_s", "write_scores_s"):
        assert k in r["risk"]
    from queries import load_registry

    assert set(r["embedded"]["queries"]) == set(load_registry())
    for name, sets in r["embedded"]["queries"].items():
        assert "ms" in sets["default"] and "rows" in sets["default"], name
    assert "build_s" in r["embedded"]
    for view in ("default", "everything"):
        assert {"filtered_nodes", "shown_nodes", "aggregated", "within_limits"} <= set(r["network_view"][view])
    assert "skipped" in r["neo4j"] and "skipped" in r["app"]
    names = [t["name"] for t in r["targets"]]
    assert len(names) == len(set(names))
    for t in r["targets"]:
        assert {"name", "target", "value", "unit", "pass", "status"} <= set(t)
        assert t["status"] in ("pass", "miss", "not measured")
