"""Recording entries: read, validate (the same schema and rules as data/), check, save — on either store.

The flow of one `record` call, whatever the store:

1. the input (a CSV file with the columns of activities.csv / assessments.csv, or rows from the app) is read
   into entries, each with its input line;
2. each entry is an `add` (a new key) or an `edit` (an existing key; only with edit=True — without it an existing
   key is a duplicate and refused). An optional `version` column/field names the version the edit was based on:
   a different current version is a conflict naming who changed the row since and when;
3. the would-be data folder (the data folder's files, the register file with the entries applied) is written to
   a temporary folder and validated there; every problem on an entry's line is reported on the INPUT's line
   (`plan.csv:2: month: 13 is out of range (...)`), problems elsewhere as validate words them;
4. activities are checked against the register (checks.check_activities): overlap, clash, role-sharing, needs,
   gaps closed; a warning stops the save unless force=True;
5. the store saves the entries (embedded: change log then atomic file replace; Neo4j: one transaction with
   version checks) — or nothing at all.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError, Problem
from ..rules import ELEMENTS, category_from_elements
from ..schema import load_schema
from ..validate import file_columns, validate
from . import csvfile
from . import log as changelog
from .checks import CheckReport, check_activities

KINDS = {"activities": "activities.csv", "assessments": "assessments.csv"}
VERSION_COLUMN = "version"  # optional input column: the version an edit was based on (never written to data/)


class SaveConflict(Exception):
    """A store refused the save (a stale version, an id added meanwhile): nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


@dataclass
class Entry:
    """One row to record: its input line, the row as CSV cells keyed by the data file's columns, add or edit."""

    line: int
    row: dict[str, str]
    key: str
    action: str = "add"
    base_version: int | None = None
    before: dict | None = None

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "key": self.key,
            "action": self.action,
            "row": dict(self.row),
            "base_version": self.base_version,
            "before": self.before,
        }


@dataclass
class RecordResult:
    """What record() did. `saved` is True only when every entry was written; otherwise nothing was.

    problems: validation problems and conflicts (file:line: field: what (expected)); report: the check report
    of activities (None for assessments, or when validation failed first); change: the change id written to
    the log (embedded) or the transaction's id (Neo4j)."""

    kind: str
    file: str
    input_name: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    report: CheckReport | None = None
    saved: bool = False
    check_only: bool = False
    forced: bool = False
    change: str | None = None
    info: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Valid and without warnings (or warnings overridden with force)."""
        return not self.problems and (self.report is None or self.report.ok or self.forced)

    def status(self) -> str:
        if self.problems:
            return "refused: invalid"
        if self.saved:
            return "saved" + (" (warnings overridden with --force)" if self.report and not self.report.ok else "")
        if self.check_only:
            return "checked only: nothing saved"
        return "refused: the check found warnings (record again with --force to save anyway)"

    def lines(self) -> list[str]:
        """The text the command line prints (and the app may show)."""
        out = [str(p) for p in self.problems]
        if self.report is not None:
            out += self.report.lines()
        out += self.info
        n = len(self.entries)
        adds = sum(e.action == "add" for e in self.entries)
        out.append(
            f"{self.input_name}: {n} entr{'y' if n == 1 else 'ies'} ({adds} new, {n - adds} edited) for "
            f"{self.file}: {self.status()}"
        )
        return out

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.file,
            "input": self.input_name,
            "saved": self.saved,
            "ok": self.ok,
            "status": self.status(),
            "change": self.change,
            "problems": [str(p) for p in self.problems],
            "entries": [e.to_dict() for e in self.entries],
            "report": self.report.to_dict() if self.report else None,
            "info": list(self.info),
        }


# --- input --------------------------------------------------------------------------------------------------


def read_input(
    source, filename: str, input_name: str | None = None, schema=None
) -> tuple[list[tuple[int, dict]], list[Problem], str]:
    """(line, raw row) pairs, problems of the input itself (columns), and its name for messages.

    `source`: a path to a CSV file, or a list of dicts (the app's form rows; line = position + 2, as if the
    rows were a CSV file under a header)."""
    schema = schema or load_schema()
    columns = list(file_columns(schema, filename))
    allowed = set(columns) | {VERSION_COLUMN}
    problems: list[Problem] = []
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = input_name or path.name
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as e:
            return [], [Problem(name, 0, "(file)", f"cannot read the file ({e.strerror or e})")], name
        except UnicodeDecodeError as e:
            return (
                [],
                [
                    Problem(
                        name,
                        1 + path.read_bytes()[: e.start].count(b"\n"),
                        "(file)",
                        "not UTF-8 text (expected CSV text in UTF-8, as data/ files are)",
                    )
                ],
                name,
            )
        lines = csvfile._LINE.findall(text)
        reader = csv.reader(iter(lines))
        header = next(reader, None)
        if header is None:
            return [], [Problem(name, 1, "(file)", "the file is empty (expected a header and at least one row)")], name
        header = [h.strip() for h in header]
        rows, start = [], reader.line_num
        for values in reader:
            line, start = start + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue  # a blank line or a row of empty cells (spreadsheet leftovers): no entry
            if len(values) > len(header):
                problems.append(
                    Problem(
                        name,
                        line,
                        "(row)",
                        f"{len(values)} cells but the header has {len(header)} columns (expected one cell per column)",
                    )
                )
                continue
            rows.append((line, {h: (values[i] if i < len(values) else "") for i, h in enumerate(header)}))
    else:
        name = input_name or "entries"
        header = list(dict.fromkeys(k for r in source for k in r))
        rows = [(i + 2, {k: "" if v is None else str(v) for k, v in r.items()}) for i, r in enumerate(source)]
    for h in header:
        if h not in allowed:
            problems.append(
                Problem(
                    name,
                    1,
                    h,
                    f"unknown column (expected the columns of {filename}: "
                    f"{', '.join(columns)}; and optionally {VERSION_COLUMN})",
                )
            )
    if not rows and not problems:
        problems.append(Problem(name, 1, "(file)", "no entries (expected at least one row under the header)"))
    return rows, problems, name


def make_entries(
    rows: list[tuple[int, dict]],
    filename: str,
    data_header: list[str],
    by: str | None,
    partner: str | None,
    input_name: str,
    schema,
) -> tuple[list[Entry], list[Problem]]:
    key_col = schema.node_for_file(filename).key
    entries, problems = [], []
    for line, raw in rows:
        row = {c: raw.get(c, "").strip() if c != "note" and c != "title" else raw.get(c, "") for c in data_header}
        extra = [c for c, v in raw.items() if v.strip() and c not in data_header and c != VERSION_COLUMN]
        for c in extra:
            problems.append(
                Problem(
                    input_name,
                    line,
                    c,
                    f"{filename} has no column {c!r} (expected a column of its header: {', '.join(data_header)})",
                )
            )
        if filename == "activities.csv" and partner:
            if not row.get("partner"):
                row["partner"] = partner
            elif row["partner"] != partner:
                problems.append(
                    Problem(
                        input_name,
                        line,
                        "partner",
                        f"{row['partner']!r} is not the importing "
                        f"partner (expected {partner} or blank: a plan holds one partner's rows)",
                    )
                )
        if filename == "assessments.csv":
            if not row.get("assessor") and by:
                row["assessor"] = by
            values = tuple(row.get(e, "") for e in ELEMENTS)
            if not row.get("category") and all(values):
                derived = category_from_elements(values)
                if isinstance(derived, int):
                    row["category"] = str(derived)  # the category follows from the elements (rules.py)
        version = raw.get(VERSION_COLUMN, "").strip()
        base = None
        if version:
            if not version.isdigit():
                problems.append(
                    Problem(
                        input_name,
                        line,
                        VERSION_COLUMN,
                        f"{version!r} is not a whole number (expected the version the edit is based on, or blank)",
                    )
                )
            else:
                base = int(version)
        entries.append(Entry(line=line, row=row, key=row.get(key_col, ""), base_version=base))
    return entries, problems


# --- validation ---------------------------------------------------------------------------------------------

_FIRST_ON = re.compile(r"\(first on line (\d+)\)")


def build_candidate(doc: csvfile.CsvText, entries: list[Entry], key_col: str) -> tuple[csvfile.CsvText, dict]:
    """A copy of doc with the entries applied, and {candidate line: input line} for the entries' records."""
    cand = csvfile.CsvText(
        doc.header_raw, list(doc.header), [csvfile.Record(r.raw, list(r.values), r.line) for r in doc.records]
    )
    positions = []
    for e in entries:
        if e.action == "edit":
            pos = cand.index(key_col)[e.key]
            positions.append((pos, e.line))
            csvfile.apply(cand, key_col, "edit", e.row)
        else:
            positions.append((csvfile.apply(cand, key_col, "add", e.row), e.line))
    return cand, {cand.records[pos].line: line for pos, line in positions}


def copy_data(data_dir: Path, dst: Path, schema) -> None:
    for name in schema.files():
        src = data_dir / name
        if src.exists():
            shutil.copyfile(src, dst / name)


def validate_candidate(
    data_dir: Path, filename: str, text: str, line_map: dict, input_name: str, schema
) -> tuple[list[Problem], object | None]:
    """Validate the data folder with `filename` replaced by `text` (in a temporary folder; data_dir untouched).
    Problems on an entry's line are mapped to the input's line."""
    with tempfile.TemporaryDirectory(prefix="outreach-register-") as tmp:
        copy_data(Path(data_dir), Path(tmp), schema)
        (Path(tmp) / filename).write_bytes(text.encode("utf-8"))
        try:
            ds = validate(tmp, schema)
        except DataError as e:
            return [_mapped(p, filename, line_map, input_name) for p in e.problems], None
    return [], ds


def _mapped(p: Problem, filename: str, line_map: dict, input_name: str) -> Problem:
    if p.file != filename or p.line not in line_map:
        return p
    msg = _FIRST_ON.sub(
        lambda m: (
            f"(first on line {line_map[int(m.group(1))]})"
            if int(m.group(1)) in line_map
            else f"(first on line {m.group(1)} of {filename})"
        ),
        p.message,
    )
    return Problem(input_name, line_map[p.line], p.field, msg)


# --- the common flow ----------------------------------------------------------------------------------------


class Store:
    """What a register store provides to record(): the register file's current text and row versions, the
    folder whose other files complete the data, and the save (all or nothing)."""

    data_dir: Path
    name: str

    def current_text(self, filename: str) -> str: ...
    def versions(self, filename: str) -> dict[str, dict]: ...
    def base_dir(self, filename: str, text: str) -> Path: ...
    def save(self, result: RecordResult, doc_before: csvfile.CsvText, doc_after: csvfile.CsvText, by: str) -> str: ...
    @contextmanager
    def locked(self):
        yield


def run_record(
    store: Store,
    kind: str,
    source,
    *,
    by: str | None = None,
    edit: bool = False,
    force: bool = False,
    check_only: bool = False,
    window_months: int | None = None,
    input_name: str | None = None,
    partner: str | None = None,
) -> RecordResult:
    schema = load_schema()
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (expected one of: {', '.join(KINDS)})")
    filename = KINDS[kind]
    key_col = schema.node_for_file(filename).key
    rows, problems, name = read_input(source, filename, input_name, schema)
    result = RecordResult(kind=kind, file=filename, input_name=name, check_only=check_only, forced=force)
    if problems:
        result.problems = problems
        return result
    by = by or "unknown"
    with store.locked():
        text = store.current_text(filename)
        doc = csvfile.parse(text)
        entries, problems = make_entries(rows, filename, doc.header, by, partner, name, schema)
        result.entries = entries
        index = doc.index(key_col)
        versions = store.versions(filename)
        seen: dict[str, int] = {}
        for e in entries:
            if not e.key:
                continue  # validation reports the missing key
            if e.key in seen:
                problems.append(
                    Problem(name, e.line, key_col, f"duplicate key {e.key!r} (first on line {seen[e.key]})")
                )
                continue
            seen[e.key] = e.line
            if e.key in index:
                if not edit:
                    problems.append(
                        Problem(
                            name,
                            e.line,
                            key_col,
                            f"duplicate key {e.key!r} (already on line "
                            f"{doc.records[index[e.key]].line} of {filename}; to change that row "
                            "record it with --edit)",
                        )
                    )
                    continue
                e.action, e.before = "edit", doc.row(index[e.key])
                held = versions.get(e.key, {"version": 0})
                if e.base_version is not None and e.base_version != held["version"]:
                    problems.append(
                        Problem(name, e.line, VERSION_COLUMN, conflict_message(e.key, e.base_version, held))
                    )
        if problems:
            result.problems = problems
            return result
        todo = [e for e in entries if e.action == "edit" or e.key not in index]
        cand, line_map = build_candidate(doc, todo, key_col)
        problems, _ = validate_candidate(store.data_dir, filename, cand.text(), line_map, name, schema)
        if problems:
            result.problems = problems
            return result
        if kind == "activities":
            from ..pipeline import load

            g, _ = load(store.base_dir(filename, text))
            result.report = check_activities(
                g,
                [e.row for e in entries],
                lines=[e.line for e in entries],
                input_name=name,
                window_months=window_months,
            )
        else:
            result.info += assessment_info(store, filename, text, entries)
        if check_only or (result.report is not None and not result.report.ok and not force):
            return result
        try:
            result.change = store.save(result, doc, cand, by)
        except SaveConflict as e:
            result.problems = e.problems
            return result
        result.saved = True
    return result


def conflict_message(key: str, base: int, held: dict) -> str:
    return (
        f"{key} was changed since version {base}: it is at version {held['version']}, changed by "
        f"{held.get('changed_by') or 'unknown'} at {held.get('changed_at') or 'an unknown time'} "
        "(expected the current version: read the row again and re-apply your edit)"
    )


def assessment_info(store: Store, filename: str, text: str, entries: list[Entry]) -> list[str]:
    """For each assessment: the category it gives and the country's latest category before it."""
    doc = csvfile.parse(text)
    latest: dict[str, tuple] = {}
    for i in range(len(doc.records)):
        r = doc.row(i)
        if r.get("iso3") and (r["iso3"] not in latest or r["assessed_on"] > latest[r["iso3"]][0]):
            latest[r["iso3"]] = (r["assessed_on"], r["category"], r["assessment_id"])
    out = []
    for e in entries:
        prev = latest.get(e.row["iso3"])
        was = f"category {prev[1]} ({prev[2]}, {prev[0]})" if prev else "no assessment"
        out.append(
            f"{e.key}: {e.row['iso3']} assessed category {e.row['category']} on {e.row['assessed_on']} (was {was})"
        )
    return out


# --- the embedded store: the CSV files of the data folder ----------------------------------------------------


class EmbeddedRegister(Store):
    """The register IS the data folder's CSV files; every save also appends to data/changes.jsonl."""

    def __init__(self, data_dir: Path | str | None = None):
        from ..pipeline import DEFAULT_DATA

        self.data_dir = Path(data_dir) if data_dir else DEFAULT_DATA
        self.name = "embedded"

    @contextmanager
    def locked(self):
        """One writer at a time per data folder: an advisory lock on the folder itself (no lock file, so a
        refused entry leaves the folder exactly as it was). A save a killed writer left half done is settled
        first (log.recover), and its hidden temporary file removed."""
        import fcntl
        import os

        fd = os.open(self.data_dir, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            changelog.recover(self.data_dir)
            csvfile.remove_stale_temps(self.data_dir)
            yield
        finally:
            os.close(fd)  # releases the lock

    def current_text(self, filename: str) -> str:
        return (self.data_dir / filename).read_bytes().decode("utf-8")

    def versions(self, filename: str) -> dict[str, dict]:
        return changelog.versions(changelog.read_log(self.data_dir), filename)

    def base_dir(self, filename: str, text: str) -> Path:
        return self.data_dir

    def save(self, result: RecordResult, doc_before, doc_after, by: str) -> str:
        path = self.data_dir / result.file
        before_bytes = doc_before.text().encode("utf-8")
        after_bytes = doc_after.text().encode("utf-8")
        change = uuid.uuid4().hex[:12]
        when = changelog.now_utc()
        checks = {c.line: c.to_dict() for c in result.report.entries} if result.report else {}
        entries = [
            {
                "change": change,
                "when": when,
                "who": by,
                "file": result.file,
                "key": e.key,
                "action": e.action,
                "before": e.before,
                "after": e.row,
                "check": checks.get(e.line),
                "forced": bool(result.forced and result.report is not None and not result.report.ok),
                "sha256_before": csvfile.sha256(before_bytes),
                "sha256_after": csvfile.sha256(after_bytes),
            }
            for e in result.entries
        ]
        changelog.append(self.data_dir, entries)
        csvfile.pause("log-written")
        csvfile.atomic_write(path, after_bytes)
        return change


def record(data_dir: Path | str | None, kind: str, source, **options) -> RecordResult:
    """Record activities or assessments into the data folder's CSV register (see run_record's options)."""
    return run_record(EmbeddedRegister(data_dir), kind, source, **options)
