"""A planned activity recorded through the command line changes the coverage gaps as expected (embedded store)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT
from queries import Runner


def test_a_planned_activity_recorded_by_the_cli_closes_its_gap(tiny_copy, tmp_path):
    window = {"year_from": 2008, "year_to": 2008}
    before = {(r["iso3"], r["tool"]) for r in Runner("embedded", tiny_copy).run("coverage_gaps", window).rows}
    assert ("MYS", "legal_assistance") in before
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "activity_id,title,partner,targets,tool,status,year,month,confidence,note,source\n"
        "P1,Legal assistance Malaysia,USA,MYS,legal_assistance,planned,2008,9,0.9,,test\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "graph_loader", "record", "activities", str(plan), "--data", str(tiny_copy), "--force"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    after = {(r["iso3"], r["tool"]) for r in Runner("embedded", tiny_copy).run("coverage_gaps", window).rows}
    assert after == before - {("MYS", "legal_assistance")}
