"""The shared register (graph_loader.register) on the embedded store: the CSV files of a data folder.

Entries are validated by the schema and rules of data/ with messages on the INPUT's lines; a refused entry leaves
every file byte-identical; activities are checked (overlap, clash, role-sharing, needs, gaps closed and the fall
of the top gap priority); saves are atomic (a writer killed at any step leaves the old or the new file) and
logged so that replaying data/changes.jsonl onto the starting files gives the register.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from graph_loader.register import check, gap_rows, plans, read_log, record, register_of, replay
from graph_loader.validate import validate

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "register"
TINY = ROOT / "tests" / "fixtures" / "tiny"
HEAD = "activity_id,title,partner,targets,tool,status,year,month,date,confidence,source\n"
OK_ROW = "N0,Talks Thailand,JPN,THA,bilateral_discussion,planned,2009,1,,1,plan\n"


def folder_hash(folder: Path) -> str:
    """sha256 over every file's name and bytes (any file added, removed or changed shows)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- validation: the same schema and rules, the input's lines, nothing written ------------------------------

REFUSED = {
    "unknown partner": (
        "N1,t,XXX,THA,bilateral_discussion,planned,2009,5,,1,s\n",
        "in.csv:3: partner: unknown country code 'XXX' (expected an ISO 3166-1 alpha-3 code listed in countries.csv)",
    ),
    "month 13": (
        "N1,t,JPN,THA,bilateral_discussion,planned,2009,13,,1,s\n",
        "in.csv:3: month: 13 is out of range (expected a whole number from 1 to 12)",
    ),
    "date not in month": (
        "N1,t,JPN,THA,bilateral_discussion,planned,2009,5,2009-06-02,1,s\n",
        "in.csv:3: date: 2009-06-02 is not in month 5 (expected the same month)",
    ),
    "date not in year": (
        "N1,t,JPN,THA,bilateral_discussion,planned,2009,6,2010-06-02,1,s\n",
        "in.csv:3: date: 2010-06-02 is not in year 2009 (expected the same year)",
    ),
    "unknown tool": (
        "N1,t,JPN,THA,training,planned,2009,5,,1,s\n",
        "in.csv:3: tool: 'training' refers to a missing Tool (not in tools.csv)",
    ),
    "target not a recipient": (
        "N1,t,JPN,PRK;THA,bilateral_discussion,planned,2009,5,,1,s\n",
        "in.csv:3: targets: 'PRK' is not a recipient country (expected recipient=true in "
        "countries.csv: an activity reaches recipients, not partners or nations of concern)",
    ),
    "existing id without --edit": (
        "A1,t,JPN,THA,bilateral_discussion,planned,2009,5,,1,s\n",
        "in.csv:3: activity_id: duplicate key 'A1' (already on line 2 of activities.csv; "
        "to change that row record it with --edit)",
    ),
    "id twice in the input": (
        "N1,t,JPN,THA,bilateral_discussion,planned,2009,5,,1,s\n"
        "N1,t,JPN,THA,bilateral_discussion,planned,2009,6,,1,s\n",
        "in.csv:4: activity_id: duplicate key 'N1' (first on line 3)",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_invalid_entry_is_refused_on_its_input_line_and_changes_nothing(case, tiny_copy, tmp_path):
    row, message = REFUSED[case]
    before = folder_hash(tiny_copy)
    got = record(tiny_copy, "activities", write(tmp_path / "in.csv", HEAD + OK_ROW + row), by="alice", force=True)
    assert [str(p) for p in got.problems] == [message]
    assert not got.saved and got.lines()[-1].endswith("refused: invalid")
    assert folder_hash(tiny_copy) == before  # every file byte-identical, no log, no lock file


def test_tool_no_category_needs_is_a_warning_that_stops_the_save(tiny_copy, tmp_path):
    before = folder_hash(tiny_copy)
    src = write(tmp_path / "in.csv", HEAD + "N1,Equipment,USA,MYS,equipment,planned,2009,7,,1,s\n")
    got = record(tiny_copy, "activities", src, by="alice")
    assert not got.problems and not got.saved
    assert got.report.lines() == [
        "in.csv:2: role: the role-sharing does not assign equipment to USA for category 2 (MYS); it assigns USA: "
        "legal_assistance, officer_training",
        "in.csv:2: need: no category needs equipment (category 2 needs: legal_assistance, officer_training, "
        "industry_seminar)",
    ]
    assert folder_hash(tiny_copy) == before
    forced = record(tiny_copy, "activities", src, by="alice", force=True)
    assert forced.saved and "N1,Equipment,USA,MYS,equipment" in (tiny_copy / "activities.csv").read_text()
    (entry,) = read_log(tiny_copy)
    assert entry["forced"] is True and [f["kind"] for f in entry["check"]["findings"]] == ["role", "need"]


def test_a_blank_or_wrong_category_of_an_assessment(tiny_copy, tmp_path):
    head = "assessment_id,iso3,assessed_on,assessor,category,intention,laws,enforcement,industry_cooperation,confidence,source\n"
    before = folder_hash(tiny_copy)
    bad = record(
        tiny_copy,
        "assessments",
        write(
            tmp_path / "as.csv",
            head + "X-THA,THA,2010-01-01,,,yes,no,unknown,unknown,0.8,s\n"
            "X-MYS,MYS,2010-01-01,AUS,3,yes,no,unknown,unknown,0.8,s\n",
        ),
        by="alice",
    )
    assert [str(p) for p in bad.problems] == [
        "as.csv:3: category: 3 disagrees with the elements (intention=yes/laws=no/enforcement=unknown/"
        "industry_cooperation=unknown), which give category 2"
    ]
    assert folder_hash(tiny_copy) == before
    good = record(
        tiny_copy,
        "assessments",
        write(tmp_path / "as.csv", head + "X-THA,THA,2010-01-01,,,yes,no,unknown,unknown,0.8,s\n"),
        by="alice",
    )
    assert good.saved
    assert good.info == ["X-THA: THA assessed category 2 on 2010-01-01 (was category 1 (A-THA, 2008-06-20))"]
    # the category derived by the rule, the assessor from --by
    assert (
        (tiny_copy / "assessments.csv")
        .read_text()
        .endswith("X-THA,THA,2010-01-01,alice,2,yes,no,unknown,unknown,,0.8,,s\n")
    )
    validate(tiny_copy)


def test_edit_changes_the_row_in_place_and_keeps_the_other_bytes(tiny_copy, tmp_path):
    path = tiny_copy / "activities.csv"
    old = path.read_text().splitlines(keepends=True)
    src = write(
        tmp_path / "e.csv",
        "activity_id,title,partner,targets,tool,programme,status,year,month,confidence,"
        "note,source,kind\nA3,Officer training Malaysia (AU),AUS,MYS,officer_training,,held,2008,5,1,"
        "Held as planned; 24 officers.,fixture,outreach\n",
    )
    got = record(tiny_copy, "activities", src, by="bob", edit=True, force=True)
    assert got.saved and [e.action for e in got.entries] == ["edit"]
    new = path.read_text().splitlines(keepends=True)
    assert new[3] == (
        "A3,Officer training Malaysia (AU),AUS,MYS,officer_training,,,held,2008,5,,,1,"
        "Held as planned; 24 officers.,fixture,outreach\n"
    )
    assert new[:3] == old[:3] and new[4:] == old[4:]
    (entry,) = read_log(tiny_copy)
    assert entry["action"] == "edit" and entry["before"]["status"] == "planned" and entry["after"]["status"] == "held"
    assert entry["who"] == "bob" and entry["when"].endswith("Z") and entry["key"] == "A3"


def test_edit_on_a_stale_version_is_refused_with_who_and_when(tiny_copy, tmp_path):
    head = "activity_id,title,partner,targets,tool,status,year,month,confidence,source,version\n"
    first = record(
        tiny_copy,
        "activities",
        write(tmp_path / "a.csv", head + "A3,AU training,AUS,MYS,officer_training,held,2008,5,1,fixture,0\n"),
        by="alice",
        edit=True,
        force=True,
    )
    assert first.saved
    before = folder_hash(tiny_copy)
    second = record(
        tiny_copy,
        "activities",
        write(tmp_path / "b.csv", head + "A3,AU training,AUS,MYS,officer_training,cancelled,2008,5,1,fixture,0\n"),
        by="bob",
        edit=True,
        force=True,
    )
    when = read_log(tiny_copy)[0]["when"]
    assert [str(p) for p in second.problems] == [
        f"b.csv:2: version: A3 was changed since version 0: it is at version 1, changed by alice at {when} "
        "(expected the current version: read the row again and re-apply your edit)"
    ]
    assert folder_hash(tiny_copy) == before


# --- the check --------------------------------------------------------------------------------------------


def test_check_reports_overlap_clash_role_and_gap_fall(tiny_dir):
    rows = [
        {
            "activity_id": "N1",
            "title": "Talks Thailand",
            "partner": "JPN",
            "targets": "THA",
            "tool": "bilateral_discussion",
            "status": "planned",
            "year": "2009",
            "month": "5",
            "confidence": "1",
            "source": "plan",
        },
        {
            "activity_id": "N2",
            "title": "JPN officer training Malaysia",
            "partner": "JPN",
            "targets": "MYS",
            "tool": "officer_training",
            "status": "proposed",
            "year": "2008",
            "month": "3",
            "confidence": "1",
            "source": "plan",
        },
        {
            "activity_id": "N3",
            "title": "AU training Malaysia",
            "partner": "AUS",
            "targets": "MYS",
            "tool": "officer_training",
            "status": "planned",
            "year": "2009",
            "month": "6",
            "confidence": "1",
            "source": "plan",
        },
    ]
    report = check(tiny_dir, rows, input_name="plan.csv")
    assert report.lines() == [
        "plan.csv:2: gap: closes THA's gap bilateral_discussion (priority 215.22); THA's top gap priority in 2009 "
        "falls from 215.22 to 201.22 (−14.00)",
        "plan.csv:3: overlap: AUS, USA already offer officer_training to MYS within the same year of 2008-03: "
        "A2 (USA officer_training, held 2008-03); A3 (AUS officer_training, planned 2008-05); "
        "A7 (USA officer_training, held 2008-09)",
        "plan.csv:3: clash: MYS already has in 2008-03: A2 (USA officer_training, held 2008-03); "
        "A4 (JPN industry_seminar, held 2008-03)",
        "plan.csv:3: role: the role-sharing does not assign officer_training to JPN for category 2 (MYS); it "
        "assigns JPN: industry_seminar, multilateral_seminar",
    ]
    by_line = {e.line: e for e in report.entries}
    assert [f.kind for f in by_line[2].findings] == ["gap"]
    (gap,) = by_line[2].gaps
    assert (gap.iso3, gap.top_before, gap.top_after, gap.fall) == ("THA", 215.219154036, 201.219154036, 14.0)
    assert [r["tool"] for r in gap.closed] == ["bilateral_discussion"]
    assert [f.kind for f in by_line[3].warnings] == ["overlap", "clash", "role"]
    assert by_line[3].warnings[0].others == ["A2", "A3", "A7"]
    assert by_line[3].warnings[1].others == ["A2", "A4"]
    # AUS in 2009-06: A9 (2009-04) is AUS's own and N2 (2008) another year: no overlap, no clash, no gap closed
    assert by_line[4].findings == [] and by_line[4].gaps[0].fall == 0.0 and not report.ok
    # within ±2 months: N2 (2008-03) meets A2 (USA 2008-03) and A3 (AUS 2008-05), not A7 (USA 2008-09)
    narrow = check(tiny_dir, rows, input_name="plan.csv", window_months=2)
    overlap = next(f for e in narrow.entries if e.line == 3 for f in e.findings if f.kind == "overlap")
    assert overlap.others == ["A2", "A3"] and "within ±2 months of 2008-03" in overlap.message


def test_check_clash_with_a_meeting_and_a_skipped_cancellation(tiny_dir):
    report = check(
        tiny_dir,
        [
            {
                "activity_id": "N1",
                "partner": "USA",
                "targets": "THA",
                "tool": "legal_assistance",
                "status": "planned",
                "year": "2009",
                "month": "12",
            },
            {
                "activity_id": "N2",
                "partner": "JPN",
                "targets": "THA",
                "tool": "legal_assistance",
                "status": "cancelled",
                "year": "2009",
                "month": "12",
            },
        ],
        input_name="plan.csv",
    )
    # M1 is hosted by JPN, not THA: no clash; USA legal assistance to THA (category 1) is a role contradiction
    assert report.lines() == [
        "plan.csv:2: role: the role-sharing does not assign legal_assistance to USA for category 1 (THA); it "
        "assigns USA: bilateral_discussion",
        "plan.csv:2: need: category 1 (THA) does not need legal_assistance (category 1 needs: "
        "bilateral_discussion, industry_seminar)",
        "plan.csv:3: skipped: not checked: cancelled",
    ]
    hosted = check(
        tiny_dir,
        [
            {
                "activity_id": "N1",
                "partner": "JPN",
                "targets": "MYS",
                "tool": "industry_seminar",
                "status": "planned",
                "year": "2009",
                "month": "12",
            }
        ],
    )
    assert hosted.ok  # nothing in MYS in 2009-12


def test_gap_rows_are_those_of_the_coverage_gaps_query(tiny_graph):
    """gap_rows equals queries/coverage_gaps.cypher on the embedded store — on the register and on a what-if
    variant with planned activities (graph_loader.whatif)."""
    from graph_loader.stores.embedded import store_for_graph
    from graph_loader.whatif import graph_fingerprint, with_planned
    from queries.runner import Runner

    variant = with_planned(
        tiny_graph,
        [
            {"partner": "JPN", "target": "THA", "tool": "bilateral_discussion", "year": 2009, "month": 5},
            {"partner": "USA", "target": "CHN", "tool": "officer_training", "year": 2008},
        ],
    )
    for g in (tiny_graph, variant):
        runner = Runner("embedded", store=store_for_graph(g, "register-test-" + graph_fingerprint(g)))
        reg = register_of(g)
        for years in ((2008, 2008), (2009, 2009), (2008, 2010)):
            for tier_source in ("assessment", "model"):
                want = runner.run(
                    "coverage_gaps", {"year_from": years[0], "year_to": years[1], "tier_source": tier_source}
                ).rows
                got = [r for iso3 in sorted(reg.countries) for r in gap_rows(reg, iso3, *years, tier_source)]
                key = lambda r: (-r["priority"], r["iso3"], r["tool"])
                assert sorted(got, key=key) == sorted(want, key=key), (years, tier_source)


# --- atomic saves, the change log and its replay --------------------------------------------------------


def test_replaying_the_change_log_gives_the_register(tiny_copy, tmp_path):
    start = tmp_path / "start"
    shutil.copytree(tiny_copy, start)
    head = "activity_id,title,partner,targets,tool,status,year,month,confidence,note,source\n"
    assert record(
        tiny_copy,
        "activities",
        write(
            tmp_path / "1.csv",
            head + 'N1,"Talks, Thailand",JPN,THA,bilateral_discussion,planned,2009,5,1,"two\nlines",plan\n',
        ),
        by="alice",
    ).saved
    assert record(
        tiny_copy,
        "activities",
        write(
            tmp_path / "2.csv",
            head + "N1,Talks Thailand,JPN,THA,bilateral_discussion,held,2009,5,1,result: 30 officials,plan\n"
            "A3,Officer training Malaysia (AU),AUS,MYS,officer_training,cancelled,2008,5,1,,fixture\n",
        ),
        by="bob",
        edit=True,
    ).saved
    assert record(
        tiny_copy,
        "assessments",
        write(
            tmp_path / "3.csv",
            "assessment_id,iso3,assessed_on,assessor,intention,laws,enforcement,industry_cooperation,confidence,source\n"
            "X-THA,THA,2010-01-01,AUS,yes,no,unknown,unknown,0.8,review 2010\n",
        ),
        by="carol",
    ).saved
    assert not record(
        tiny_copy,
        "activities",
        write(tmp_path / "4.csv", head + "N1,dup,JPN,THA,bilateral_discussion,held,2009,5,1,,plan\n"),
        by="dave",
    ).saved
    entries = read_log(tiny_copy)
    assert [(e["who"], e["file"], e["key"], e["action"]) for e in entries] == [
        ("alice", "activities.csv", "N1", "add"),
        ("bob", "activities.csv", "N1", "edit"),
        ("bob", "activities.csv", "A3", "edit"),
        ("carol", "assessments.csv", "X-THA", "add"),
    ]
    out = replay(start, entries, tmp_path / "replayed")
    for name in ("activities.csv", "assessments.csv", "countries.csv"):
        assert (out / name).read_bytes() == (tiny_copy / name).read_bytes()
    validate(tiny_copy)


def _record_cmd(data: Path, src: Path, step: str | None = None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if step:
        env.update(OUTREACH_REGISTER_PAUSE=step, OUTREACH_REGISTER_PAUSE_S="60")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graph_loader",
            "record",
            "activities",
            str(src),
            "--data",
            str(data),
            "--by",
            "killed",
            "--force",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("step", ["log-written", "tmp-partial", "tmp-written", "replaced"])
def test_a_writer_killed_mid_save_leaves_the_old_or_the_new_file(step, tiny_copy, tmp_path):
    start = tmp_path / "start"
    shutil.copytree(tiny_copy, start)
    src = write(tmp_path / "in.csv", HEAD + OK_ROW)
    # the new file, as an uninterrupted save writes it
    clean = tmp_path / "clean"
    shutil.copytree(tiny_copy, clean)
    assert record(clean, "activities", src, by="killed", force=True).saved
    old, new = (tiny_copy / "activities.csv").read_bytes(), (clean / "activities.csv").read_bytes()

    proc = _record_cmd(tiny_copy, src, step)
    try:
        line = proc.stderr.readline()
        assert line.strip() == f"register: pause at {step}", line + proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    got = (tiny_copy / "activities.csv").read_bytes()
    assert got == (new if step == "replaced" else old)
    validate(tiny_copy)
    assert len(read_log(tiny_copy)) == 1  # the log is written before the file is replaced

    # the next save settles the interrupted one: an abort marker when its file never changed
    more = write(tmp_path / "more.csv", HEAD + "N9,More talks,JPN,THA,bilateral_discussion,planned,2010,2,,1,plan\n")
    assert record(tiny_copy, "activities", more, by="next", force=True).saved
    assert not list(tiny_copy.glob(".*.tmp"))
    actions = [e["action"] for e in read_log(tiny_copy)]
    assert actions == (["add", "add"] if step == "replaced" else ["add", "abort", "add"])
    out = replay(start, read_log(tiny_copy), tmp_path / "replayed")
    assert (out / "activities.csv").read_bytes() == (tiny_copy / "activities.csv").read_bytes()


# --- the command line: record, template, import, export ----------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graph_loader", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
    )


def test_cli_record_refuses_on_warnings_and_saves_with_force(tiny_copy):
    src = FIX / "overlapping_plan.csv"
    before = folder_hash(tiny_copy)
    out = run_cli("record", "activities", str(src), "--data", str(tiny_copy), "--by", "alice")
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == [
        "overlapping_plan.csv:2: overlap: AUS, USA already offer officer_training to MYS within the same year of "
        "2008-10: A2 (USA officer_training, held 2008-03); A3 (AUS officer_training, planned 2008-05); "
        "A7 (USA officer_training, held 2008-09)",
        "overlapping_plan.csv:2: role: the role-sharing does not assign officer_training to JPN for category 2 "
        "(MYS); it assigns JPN: industry_seminar, multilateral_seminar",
        "overlapping_plan.csv: 1 entry (1 new, 0 edited) for activities.csv: refused: the check found warnings "
        "(record again with --force to save anyway)",
    ]
    assert folder_hash(tiny_copy) == before
    checked = run_cli("record", "activities", str(src), "--data", str(tiny_copy), "--check-only", "--force")
    assert checked.returncode == 1 and checked.stdout.splitlines()[-1].endswith("checked only: nothing saved")
    assert folder_hash(tiny_copy) == before
    forced = run_cli(
        "record", "activities", str(src), "--data", str(tiny_copy), "--by", "alice", "--force", "--format", "json"
    )
    assert forced.returncode == 0, forced.stdout + forced.stderr
    got = json.loads(forced.stdout)
    assert got["saved"] and got["status"] == "saved (warnings overridden with --force)"
    assert read_log(tiny_copy)[0]["check"]["findings"][0]["kind"] == "overlap"


def test_template_import_and_export_of_a_partner_plan(tiny_copy, tmp_path):
    out = run_cli("register", "template", "--out", str(tmp_path / "t.csv"))
    assert out.returncode == 0, out.stderr
    cols, rows = plans.template_rows()
    text = (tmp_path / "t.csv").read_text()
    assert text.splitlines()[0] == ",".join(cols) and len(text.splitlines()) == 2
    assert cols == (TINY / "activities.csv").read_text().splitlines()[0].split(",")

    wrong = run_cli("register", "import", str(FIX / "aus_plan.csv"), "--partner", "JPN", "--data", str(tiny_copy))
    assert wrong.returncode == 1
    assert wrong.stdout.splitlines()[0] == (
        "aus_plan.csv:2: partner: 'AUS' is not the importing partner "
        "(expected JPN or blank: a plan holds one partner's rows)"
    )
    imported = run_cli("register", "import", str(FIX / "aus_plan.csv"), "--partner", "AUS", "--data", str(tiny_copy))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert imported.stdout.splitlines()[-1] == ("aus_plan.csv: 2 entries (2 new, 0 edited) for activities.csv: saved")
    assert {e["who"] for e in read_log(tiny_copy)} == {"AUS"}
    exported = run_cli(
        "register",
        "export",
        "--partner",
        "AUS",
        "--status",
        "planned,proposed",
        "--out",
        str(tmp_path / "aus.csv"),
        "--data",
        str(tiny_copy),
    )
    assert exported.returncode == 0, exported.stderr
    lines = (tmp_path / "aus.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["A3", "A9", "AUS-LA-2009-THA", "AUS-OT-2010-MYS"]
    # the exported plan reads back as edits of the same rows; checked again, A3 still overlaps USA's training
    before = folder_hash(tiny_copy)
    again = run_cli(
        "register",
        "import",
        str(tmp_path / "aus.csv"),
        "--partner",
        "AUS",
        "--data",
        str(tiny_copy),
        "--edit",
        "--check-only",
    )
    assert again.returncode == 1
    assert again.stdout.splitlines()[0].startswith("aus.csv:2: overlap: USA already offers officer_training to MYS")
    assert again.stdout.splitlines()[-1] == (
        "aus.csv: 4 entries (0 new, 4 edited) for activities.csv: checked only: nothing saved"
    )
    assert folder_hash(tiny_copy) == before
