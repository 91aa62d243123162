"""CSV files of the register as records with their exact bytes, and the atomic write.

A data file is kept byte for byte except for the records a change touches: `parse` splits the text into the
header and records (each with its raw text and start line, as csv reads them — a quoted line break stays in
its record), `apply` appends or replaces records, `serialise` writes one row the way the register always
writes it (csv.writer, minimal quoting, "\\n"). The same functions build the would-be file that is validated,
write the register and replay the change log, so a replay gives the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"[^\n]*\n|[^\n]+$")

PAUSE_ENV = "OUTREACH_REGISTER_PAUSE"  # comma-separated steps at which a writer pauses (crash tests)
PAUSE_S_ENV = "OUTREACH_REGISTER_PAUSE_S"  # how long (default 30 s)
STEPS = ("log-written", "tmp-partial", "tmp-written", "replaced")


def pause(step: str) -> None:
    """The crash-test hook: when OUTREACH_REGISTER_PAUSE names `step`, say so on stderr and sleep, so that a
    test can kill the writer exactly there."""
    wanted = os.environ.get(PAUSE_ENV, "")
    if step in wanted.split(","):
        print(f"register: pause at {step}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get(PAUSE_S_ENV, "30")))


@dataclass
class Record:
    raw: str  # the record's text with its line end(s), exactly as in the file
    values: list  # the cells
    line: int  # the physical line it starts on (1 = header)


@dataclass
class CsvText:
    header_raw: str
    header: list[str]
    records: list[Record]

    def text(self) -> str:
        return self.header_raw + "".join(r.raw for r in self.records)

    def index(self, column: str) -> dict[str, int]:
        """key value → record position (the first one where a key repeats)."""
        i = self.header.index(column)
        out: dict[str, int] = {}
        for pos, r in enumerate(self.records):
            if i < len(r.values):
                out.setdefault(r.values[i], pos)
        return out

    def row(self, pos: int) -> dict[str, str]:
        values = self.records[pos].values
        return {c: (values[i] if i < len(values) else "") for i, c in enumerate(self.header)}

    def renumber(self) -> None:
        line = 1 + self.header_raw.count("\n")
        for r in self.records:
            r.line = line
            line += r.raw.count("\n")


def parse(text: str) -> CsvText:
    """Header and records of a CSV text; every byte is kept (blank lines stay inside the record after them)."""
    lines = _LINE.findall(text)
    if not lines:
        return CsvText("", [], [])
    reader = csv.reader(iter(lines))
    header = next(reader)
    header_raw = "".join(lines[: reader.line_num])
    records, start = [], reader.line_num
    for values in reader:
        end = reader.line_num
        records.append(Record("".join(lines[start:end]), values, start + 1))
        start = end
    if start < len(lines):  # trailing blank lines: kept with the last record (or the header)
        tail = "".join(lines[start:])
        if records:
            records[-1].raw += tail
        else:
            header_raw += tail
    return CsvText(header_raw, header, records)


def serialise(header: list[str], row: dict[str, str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row.get(c, "") or "" for c in header])
    return buf.getvalue()


def ensure_line_end(doc: CsvText) -> None:
    """A file whose last line has no line end gets one before a record is appended."""
    if doc.records and not doc.records[-1].raw.endswith("\n"):
        doc.records[-1].raw += "\n"
    elif not doc.records and doc.header_raw and not doc.header_raw.endswith("\n"):
        doc.header_raw += "\n"


def apply(doc: CsvText, key_column: str, action: str, row: dict[str, str]) -> int:
    """Append (action 'add') or replace the record with row's key ('edit'); the record's position."""
    raw = serialise(doc.header, row)
    values = next(csv.reader([raw]))
    if action == "edit":
        pos = doc.index(key_column)[row[key_column]]
        old = doc.records[pos].raw
        end = old[len(old.rstrip("\n")) :]  # keep blank lines that followed the record
        doc.records[pos] = Record(
            raw.rstrip("\n") + (end or "\n") if old.endswith("\n") else raw.rstrip("\n"), values, doc.records[pos].line
        )
    else:
        ensure_line_end(doc)
        doc.records.append(Record(raw, values, 0))
        pos = len(doc.records) - 1
    doc.renumber()
    return pos


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write a temporary file in the same folder, fsync it, os.replace it over `path`, fsync the folder: a crash
    at any point leaves the old file or the new one, never a torn one (a left-over temporary file is hidden —
    a leading dot and a .tmp suffix, which no reader takes for a data file — and removed by the next write)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            half = len(data) // 2
            f.write(data[:half])
            f.flush()
            pause("tmp-partial")
            f.write(data[half:])
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, Path(path).stat().st_mode & 0o777)
        except OSError:
            os.chmod(tmp, 0o644)
        pause("tmp-written")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    pause("replaced")
    fsync_dir(path.parent)


def remove_stale_temps(folder: Path) -> None:
    """Temporary files a killed writer left behind (never a data file: they start with a dot, end in .tmp)."""
    for p in Path(folder).glob(".*.csv.*.tmp"):
        try:
            p.unlink()
        except OSError:
            pass
