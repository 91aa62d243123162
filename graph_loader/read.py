"""Reading CSV files from data/ into column tables that remember each record's line number."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem

MAX_FIELD = 1_000_000  # characters; csv's default (131072) is too small for pasted cable text


@dataclass
class Table:
    """One CSV file: header, columns of raw strings and the line on which each record starts."""
    file: str
    columns: list[str]
    data: dict[str, list[str]]
    lines: list[int]

    def __len__(self) -> int:
        return len(self.lines)


def _decode(path: Path, name: str, problems: list[Problem]) -> str | None:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # Excel's "CSV UTF-8" writes a byte-order mark; it carries no data
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        problems.append(Problem(name, line, "(encoding)",
                                f"byte 0x{raw[e.start]:02x} is not valid UTF-8 (expected a UTF-8 text file)"))
        return None


def _header_problem(name: str, header: list[str], expected: list[str]) -> str | None:
    joined = ",".join(header)
    if len(header) == 1 and len(expected) > 1:
        for sep, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in joined:
                return f"columns are separated by {word} (expected commas)"
    return None


def read_table(path: Path, expected_columns: list[str], required: set[str], problems: list[Problem]) -> Table | None:
    """Read one CSV; append problems (missing file, encoding, header, ragged rows) and return None if unusable."""
    name = path.name
    if not path.exists():
        problems.append(Problem(name, 0, "(file)", "file not found (expected by the schema)"))
        return None
    text = _decode(path, name, problems)
    if text is None:
        return None
    if text.strip() == "":
        problems.append(Problem(name, 1, "(header)",
                                "file is empty (expected a header row: " + ",".join(expected_columns) + ")"))
        return None
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as e:
        problems.append(Problem(name, 1, "(header)", f"unreadable CSV header: {e}"))
        return None
    bad = _header_problem(name, header, expected_columns)
    if bad:
        problems.append(Problem(name, 1, "(header)", bad))
        return None
    ok = True
    for col in sorted(required - set(header)):
        problems.append(Problem(name, 1, col, "missing required column (expected header: "
                                + ",".join(expected_columns) + ")"))
        ok = False
    for col in header:
        if col not in expected_columns:
            problems.append(Problem(name, 1, col or "(blank)", "unknown column (expected one of: "
                                    + ",".join(expected_columns) + ")"))
            ok = False
    dupes = {c for c in header if header.count(c) > 1}
    for col in sorted(dupes):
        problems.append(Problem(name, 1, col, "column appears more than once in the header"))
        ok = False
    if not ok:
        return None
    width = len(header)
    # Tight loop first: every record and the line on which it ends (a quoted field may span lines). The
    # checks below run over the collected rows; they give exactly the problems a row-by-row check gives.
    header_end = reader.line_num
    raw_rows: list[list[str]] = []
    ends: list[int] = []
    add_row, add_end = raw_rows.append, ends.append
    error = None
    try:
        for row in reader:
            add_row(row)
            add_end(reader.line_num)
    except csv.Error as e:
        error = e
    starts = [header_end + 1, *(e + 1 for e in ends[:-1])] if ends else []
    clean = all(len(r) == width for r in raw_rows) and not (
        width == 1 and any(r[0].strip() == "" for r in raw_rows))
    if clean:
        rows, lines = raw_rows, starts
    else:
        rows, lines = [], []
        for row, start in zip(raw_rows, starts):
            if not row or (len(row) == 1 and row[0].strip() == ""):
                continue  # a blank line carries no record
            if len(row) != width:
                problems.append(Problem(name, start, "(row)",
                                        f"row has {len(row)} fields, the header has {width}"))
                ok = False
            else:
                rows.append(row)
                lines.append(start)
    if error is not None:
        start = (ends[-1] if ends else header_end) + 1
        problems.append(Problem(name, start, "(row)", f"unreadable CSV: {error}"))
        return None
    if not ok:
        return None
    strip = str.strip
    data = {c: list(map(strip, col)) for c, col in zip(header, zip(*rows))} if rows else {c: [] for c in header}
    for col in expected_columns:
        data.setdefault(col, [""] * len(rows))
    return Table(file=name, columns=header, data=data, lines=lines)
