"""The malformed-data corpus (tests/fixtures/malformed, one folder per broken input, written by its
make_corpus.py): every broken input — put into a copy of the tiny fixture — makes `export` and `briefing` exit
1 with exactly the reviewed `file:line: field: reason` lines of its expected.txt, print nothing on stdout, write
no output file (not even a temporary one) and leave the data folder byte for byte as it was. A 50 MB trade.csv
with one bad value near its end is generated here (too big to keep in git) and gets the same treatment.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPORT, ROOT, TINY
from graph_loader.cli import main

CORPUS = ROOT / "tests" / "fixtures" / "malformed"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir() and p.name[:2].isdigit())
COMMANDS = {"export": ["export", "--format", "json", "--out"], "briefing": ["briefing", "--out"]}


def _corpus_module():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def refused(data: Path, command: str, capsys) -> tuple[int, str, str, Path]:
    out = data.parent / "out" / ("graph.json" if command == "export" else "briefing.html")
    rc = main([*COMMANDS[command][:-1], "--data", str(data), COMMANDS[command][-1], str(out)])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err, out


def test_the_corpus_holds_at_least_thirty_distinct_broken_inputs_across_every_kind_of_file():
    made = _corpus_module()
    assert [c.name for c in CASES] == [f.name for f, _, _ in made.folders()]  # the folders are what the script writes
    touched = {f.name for c in CASES for f in c.iterdir() if f.suffix == ".csv"}
    touched |= {n for c in CASES if (c / "remove.txt").exists() for n in (c / "remove.txt").read_text().split()}
    assert len(CASES) >= 30 and all((c / "expected.txt").exists() and (c / "case.txt").exists() for c in CASES)
    node_files = {
        "countries.csv",
        "activities.csv",
        "contacts.csv",
        "meetings.csv",
        "requests.csv",
        "assessments.csv",
        "tools.csv",
        "programmes.csv",
        "country_years.csv",
    }
    rel_files = {
        "trade.csv",
        "contiguity.csv",
        "distances.csv",
        "alliances.csv",
        "role_sharing.csv",
        "meeting_participants.csv",
    }
    assert node_files <= touched and rel_files <= touched
    REPORT.append(f"malformed corpus: {len(CASES)} broken inputs in {len(touched)} different files + one 50 MB file")


SECURITY = {
    "fullwidth-digits",
    "arabic-indic-digits",
    "underscore-digit-grouping",
    "iso-week-date",
    "gzip-file",
    "old-excel-workbook",
    "zip-archive",
    "excel-workbook",
    "pdf-document",
    "bidi-override",
    "bidi-isolate-in-key",
    "activity-targets-a-partner",
    "activity-targets-a-nation-of-concern",
}


def test_the_corpus_holds_the_inputs_the_loader_once_read_wrongly():
    """Text Python reads as a number or a date that a reader does not see as one, binary files described as
    'Windows-1252' text, direction controls that make one key display as another, activities aimed at a
    partner (the filesystem cases — links out, FIFOs, devices — are built in tmp_path by test_validation)."""
    assert SECURITY <= {c.name[3:] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_broken_input_is_refused_with_its_exact_lines_and_nothing_is_written(case, command, tmp_path, capsys):
    data = _corpus_module().data_for(case, tmp_path / "data")
    before = fingerprint(data)
    rc, out, err, target = refused(data, command, capsys)
    expected = (case / "expected.txt").read_text(encoding="utf-8")
    assert rc == 1 and out == ""
    assert err == expected, f"{case.name}: {(case / 'case.txt').read_text().strip()}"
    assert "Traceback" not in err and all(line.count(": ") >= 2 for line in err.splitlines()[1:])
    assert not target.parent.exists()  # no output, no temporary file beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert fingerprint(data) == before


def test_every_expected_message_names_file_line_and_field():
    shape = re.compile(r"[a-z_]+\.csv:\d+: (\([a-z]+\)|[a-z0-9_]+(\+[a-z0-9_]+)*): \S.*")
    for case in CASES:
        lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
        assert re.fullmatch(r"\d+ problems? in data:", lines[0]), case.name
        assert len(lines) == 1 + int(lines[0].split()[0]) and len(lines) <= 4, case.name  # the cause, not a cascade
        for line in lines[1:]:
            assert shape.fullmatch(line), (case.name, line)


def test_a_broken_input_in_a_real_process_exits_1_with_the_same_message(tmp_path):
    case = next(c for c in CASES if c.name.endswith("latin1-in-utf8"))
    data = _corpus_module().data_for(case, tmp_path / "data")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "graph_loader",
            "export",
            "--data",
            str(data),
            "--format",
            "graphml",
            "--out",
            str(tmp_path / "out" / "g.graphml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (case / "expected.txt").read_text(encoding="utf-8")
    assert not (tmp_path / "out").exists()


def test_tidy_repairs_exactly_the_inputs_that_carry_no_data_and_nothing_else(tmp_path, capsys):
    """The byte-order mark, blank-line and empty-row inputs become the original file again; the others are
    left alone (tidy does not guess)."""
    made = _corpus_module()
    fixable = {"utf8-byte-order-mark", "blank-line", "blank-spreadsheet-row", "trailing-blank-lines"}
    for case in CASES:
        data = made.data_for(case, tmp_path / case.name)
        before = fingerprint(data)
        assert main(["tidy", "--data", str(data)]) == 0
        said = capsys.readouterr().out
        if case.name[3:] in fixable:
            assert fingerprint(data) == fingerprint(TINY), case.name
            assert said.endswith("1 file(s) tidied\n"), said
        else:
            assert fingerprint(data) == before, case.name
            assert said == "nothing to tidy\n", (case.name, said)


# ------------------------------------------------------------------------------------------ the 50 MB file
COUNTRIES = ("AUS", "CHN", "JPN", "LAO", "MYS", "PRK", "SGP", "THA", "USA")


def write_big_trade(path: Path, target_mb: int = 50) -> tuple[int, int]:
    """A valid trade.csv of about `target_mb` MB (every pair, year and dataset once; long sources), except one
    negative value on a line near the end. Returns (records, the bad line)."""
    pairs = [(a, b) for a in COUNTRIES for b in COUNTRIES if a != b]
    rows = [(a, b, y, d) for y in range(1980, 2101) for d in ("IMF_DOTS", "COW") for a, b in pairs]
    pad = max(0, target_mb * 1_000_000 // len(rows) - 40)
    bad_line = len(rows) - 7 + 1  # +1: the header is line 1
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("exporter,importer,year,value_usd_mn,dataset,estimate,source\n")
        for i, (a, b, y, d) in enumerate(rows, 2):
            value = "-12.5" if i == bad_line else f"{(i * 7919) % 100000 / 10}"
            f.write(f"{a},{b},{y},{value},{d},false,generated {'x' * pad} {i}\n")
    return len(rows), bad_line


def test_a_50_mb_file_with_one_bad_value_near_its_end_is_refused_at_that_line(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for f in TINY.iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    n, bad = write_big_trade(data / "trade.csv")
    size = (data / "trade.csv").stat().st_size
    assert size >= 50_000_000
    before = fingerprint(data)
    t0 = time.perf_counter()
    rc, out, err, target = refused(data, "export", capsys)
    seconds = time.perf_counter() - t0
    assert (rc, out) == (1, "")
    assert err == f"1 problem in data:\ntrade.csv:{bad}: value_usd_mn: -12.5 is out of range (expected a number >= 0)\n"
    assert not target.parent.exists() and fingerprint(data) == before
    REPORT.append(f"50 MB input: trade.csv {size / 1e6:.1f} MB, {n} records, refused at line {bad} in {seconds:.1f} s")
