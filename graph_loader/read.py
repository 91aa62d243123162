"""Reading CSV files from data/ into column tables that remember each record's line number."""

from __future__ import annotations

import csv
import difflib
import errno
import io
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import grammar
from .errors import ConfigError, Problem

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


TIDY = "python -m graph_loader tidy removes"  # the remedy for what carries no data: BOMs, blank lines and rows
BOMS = (
    (b"\xff\xfe", "UTF-16 (byte-order mark FF FE, Excel's 'Unicode Text')"),
    (b"\xfe\xff", "UTF-16 (byte-order mark FE FF)"),
)


def _line_of(prefix: str) -> int:
    """The line on which the text after `prefix` starts, counted as the CSV reader counts (LF, CR LF and a lone
    CR each end a line), so these lines agree with every other problem's."""
    return prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n") + 1


def _first_field(text: str, bad) -> tuple[int, str] | None:
    """(line, column name) of the first CSV field for which bad(field) holds, or None if none or unparsable."""
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader)
        start = reader.line_num + 1
        for row in reader:
            for i, value in enumerate(row):
                if bad(value):
                    return start, header[i].strip() if i < len(header) else f"(field {i + 1})"
            start = reader.line_num + 1
    except (csv.Error, StopIteration):
        return None
    return None


def _encoding_problem(raw: bytes, name: str) -> Problem:
    """Where the first byte that is not UTF-8 sits, and which column it is in."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        byte, line = raw[e.start], _line_of(raw[: e.start].decode("utf-8", errors="replace"))
    guess = bytes([byte]).decode("cp1252", errors="replace")
    hint = f" — {guess!r} in Windows-1252 —" if guess.isprintable() and guess != "\ufffd" else ""
    where = _first_field(
        raw.decode("utf-8", errors="surrogateescape"), lambda v: any("\udc80" <= ch <= "\udcff" for ch in v)
    )
    line, field = where if where and where[0] <= line else (line, "(encoding)")
    more = raw.decode("utf-8", errors="replace").count("\ufffd") - 1
    return Problem(
        name,
        line,
        field,
        f"byte 0x{byte:02x}{hint} is not valid UTF-8 (expected UTF-8 text "
        "throughout: was the file, or a paste into it, saved as Windows-1252/Latin-1?)"
        + (f"; {more} more such byte(s) in the file" if more else ""),
    )


# ------------------------------------------------------------------------------------ what a data file may be
MAX_FILE_ENV = "OUTREACH_MAX_FILE_MB"
DEFAULT_MAX_FILE_MB = 512
MB = 1 << 20
HEAD = 4096  # bytes read to tell what a file is (magic numbers, the names in a ZIP's first entries)
CSV_EXPECTED = "expected a regular CSV file"
NOT_FOUND = "file not found (expected by the schema)"


def max_file_mb() -> tuple[float, str]:
    """The largest data file read, in MB (MiB), and how it was set: OUTREACH_MAX_FILE_MB (fractions allowed)
    or the default, 512. A bigger file is refused before a byte of it is read: a huge or endless file must not
    exhaust memory."""
    text = os.environ.get(MAX_FILE_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_FILE_MB, f"the default; set {MAX_FILE_ENV} to change it"
    mb = grammar.parse_float(text)
    if mb is None or not grammar.is_finite(mb) or mb <= 0:
        raise ConfigError(
            f"{MAX_FILE_ENV}={text!r} is not a number of megabytes above 0 (expected e.g. {DEFAULT_MAX_FILE_MB})"
        )
    return mb, f"{MAX_FILE_ENV}={text}"


def _size_problem(size: int) -> str | None:
    mb, source = max_file_mb()
    limit = int(mb * MB)
    if size <= limit:
        return None
    return (
        f"is {size:,} bytes, more than the limit of {limit:,} bytes ({source}; expected a smaller file, "
        "or a higher limit)"
    )


# mode test -> what the file is, for everything that is not a regular file
KINDS = (
    (stat.S_ISDIR, "is a directory, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)


def kind_problem(mode: int) -> str | None:
    """What a file of this mode is, when it is not a regular file (None: it is one). Decided from stat alone:
    a FIFO is never opened (an open would wait for a writer forever) nor a device read (/dev/zero never ends)."""
    if stat.S_ISREG(mode):
        return None
    why = next((what for test, what in KINDS if test(mode)), "is not a regular file")
    return f"{why} ({CSV_EXPECTED})"


def _link_problem(root: Path, path: Path) -> str | None:
    """A symbolic link may point only at a file inside the data folder: a link out (to /etc/passwd, a device,
    another user's files) would have its target read, and echoed in problem messages, as data."""
    try:
        target = path.resolve(strict=False)
        inside = target.is_relative_to(root.resolve(strict=False))
    except (OSError, RuntimeError):  # a loop of links (RuntimeError: Python 3.11's resolve)
        return f"cannot be read ({os.strerror(errno.ELOOP)})"
    if not inside:
        return f"is a symbolic link to a file outside the data folder (expected a regular file inside {root})"
    return None


def _stat_problem(root: Path, path: Path) -> tuple[str | None, os.stat_result | None]:
    """(what is wrong, None) or (None, the stat of the file a link leads to) — from lstat/stat, never open."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return NOT_FOUND, None
    except OSError as e:
        return f"cannot be read ({e.strerror})", None
    if stat.S_ISLNK(st.st_mode):
        why = _link_problem(root, path)
        if why:
            return why, None
        try:
            st = path.stat()
        except OSError as e:  # a dangling link, a loop
            return f"cannot be read ({e.strerror or e})", None
    return kind_problem(st.st_mode), st


def _head(path: Path) -> tuple[bytes | None, str | None]:
    """The first bytes of a regular file, or (None, why) when it cannot be opened or read."""
    try:
        with path.open("rb") as f:
            return f.read(HEAD), None
    except OSError as e:
        return None, f"cannot be read ({e.strerror or e})"


def _file_problem(root: Path, name: str) -> tuple[str | None, bytes | None]:
    """(what is wrong with the file as a file, None) or (None, its first bytes)."""
    path = root / name
    why, st = _stat_problem(root, path)
    if why is not None:
        return why, None
    why = _size_problem(st.st_size)
    if why is not None:
        return why, None
    head, why = _head(path)
    return why, head


def check_file(root: Path, name: str) -> Problem | None:
    """The file `name` in the data folder `root` as a file, before it is read: it must exist, be a regular
    file or a link to one inside the folder, be no larger than max_file_mb() and open for reading.
    Line 0: the problem is with the file, not with a line of it."""
    why, _ = _file_problem(root, name)
    return None if why is None else Problem(name, 0, "(file)", why)


def check_data_file(root: Path, name: str) -> Problem | None:
    """Everything that must hold before a data file's text is read: check_file, then that its first bytes are
    not a compressed file, an archive, a workbook or a PDF (format_problem, on line 1). The one check every
    reader of a data file in graph_loader calls first."""
    why, head = _file_problem(root, name)
    if why is not None:
        return Problem(name, 0, "(file)", why)
    why = format_problem(head, root / name)
    return None if why is None else Problem(name, 1, "(file)", why)


EXCEL_SAVE = "in Excel, Save As 'CSV UTF-8 (Comma delimited)'"
DECOMPRESS = "expected CSV text: decompress it first"
# magic number -> what the file is and what to do instead; checked before the bytes are taken as text
MAGIC = (
    (b"\x1f\x8b", f"is a gzip-compressed file (bytes 1F 8B), not CSV text ({DECOMPRESS}, e.g. with gunzip)"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        f"is an old Excel .xls workbook (an OLE2 compound file), not CSV text (expected CSV text: {EXCEL_SAVE})",
    ),
    (b"\xfd7zXZ\x00", f"is an xz-compressed file, not CSV text ({DECOMPRESS}, e.g. with unxz)"),
    (b"\x28\xb5\x2f\xfd", f"is a zstd-compressed file, not CSV text ({DECOMPRESS}, e.g. with unzstd)"),
    (b"7z\xbc\xaf\x27\x1c", "is a 7z archive, not CSV text (expected CSV text: extract the CSV file from it)"),
    (b"%PDF-", "is a PDF document, not CSV text (expected CSV text: export the table as CSV, not as PDF)"),
)
BZIP2 = re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)")  # stream header, then a block or the end-of-stream magic
XLSX = "is a ZIP archive — an Excel .xlsx workbook? (expected CSV text: " + EXCEL_SAVE + ")"


def format_problem(head: bytes, path: Path) -> str | None:
    """What the file is when its first bytes are the magic number of a format that is not text (None: they
    are not). Checked first: decoded as text, a gzip file reads as 'Windows-1252 bytes'."""
    if head.startswith(b"PK\x03\x04"):
        return (
            XLSX
            if _is_workbook(head, path)
            else ("is a ZIP archive, not CSV text (expected CSV text: extract the CSV file from the archive)")
        )
    if BZIP2.match(head):
        return f"is a bzip2-compressed file, not CSV text ({DECOMPRESS}, e.g. with bunzip2)"
    return next((what for magic, what in MAGIC if head.startswith(magic)), None)


def _is_workbook(head: bytes, path: Path) -> bool:
    """Does the ZIP archive hold an Office document ([Content_Types].xml) or an Excel workbook (xl/)? From its
    listing; from the names in its first bytes when the archive is cut short."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return b"[Content_Types].xml" in head or b"xl/" in head
    return any(n == "[Content_Types].xml" or n.startswith("xl/") for n in names)


def _decode(path: Path, name: str, problems: list[Problem]) -> str | None:
    """The file's text, or None with a problem when it is not one piece of UTF-8 CSV text (check_data_file
    has passed it: a regular file of sane size that is not a binary format)."""
    try:
        raw = path.read_bytes()
    except OSError as e:  # replaced or cut off since it was checked
        problems.append(Problem(name, 0, "(file)", f"cannot be read ({e.strerror or e})"))
        return None
    for bom, what in BOMS:
        if raw.startswith(bom):
            problems.append(
                Problem(
                    name,
                    1,
                    "(encoding)",
                    f"file is {what} (expected UTF-8 CSV: in Excel, Save As 'CSV UTF-8 (Comma delimited)')",
                )
            )
            return None
    if raw.startswith(b"\xef\xbb\xbf"):
        # Refused, not skipped: a file that went through Excel may also have had codes and dates reformatted
        problems.append(
            Problem(
                name,
                1,
                "(encoding)",
                f"file starts with a UTF-8 byte-order mark, as Excel's "
                f"'CSV UTF-8' writes (expected UTF-8 without one; {TIDY} it)",
            )
        )
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(_encoding_problem(raw, name))
        return None
    hit = ODD.search(text)
    if hit:
        char = hit.group()
        line, field = _first_field(text, lambda v: char in v) or (_line_of(text[: hit.start()]), "(encoding)")
        problems.append(Problem(name, line, field, _odd_character(char)))
        return None
    return text


# Characters that carry no text: a byte-order mark after the start, NUL, the C0 controls but TAB/LF/CR and the
# noncharacters U+FFFE/U+FFFF. XML (GraphML, GEXF) cannot hold them and terminals act on them.
# And the bidirectional controls (BIDI): invisible, they reorder how the text around them is shown, so a code
# or a name can display as another ("Trojan Source").
BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
ODD = re.compile(f"[\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff{BIDI}]")


def _odd_character(char: str) -> str:
    if char == "\ufeff":
        return (
            "a byte-order mark inside the file — two files pasted together? (expected one header and UTF-8 "
            "text without byte-order marks)"
        )
    if char == "\x00":
        return "a NUL byte — binary data pasted in? (expected text)"
    if re.fullmatch(f"[{BIDI}]", char):
        return (
            f"bidirectional control character U+{ord(char):04X} ({unicodedata.name(char)}), which is "
            "invisible and changes the order in which the text around it is displayed, so one key or name "
            "can display as another (expected text without direction controls)"
        )
    return (
        f"control character U+{ord(char):04X} — pasted from a PDF or a terminal? (expected printable text; "
        "tab and line breaks are fine)"
    )


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
    refused = check_data_file(path.parent, name)
    if refused is not None:
        problems.append(refused)
        return None
    text = _decode(path, name, problems)
    if text is None:
        return None
    if text.strip() == "":
        problems.append(
            Problem(name, 1, "(header)", "file is empty (expected a header row: " + ",".join(expected_columns) + ")")
        )
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
        problems.append(
            Problem(name, 1, col, "missing required column (expected header: " + ",".join(expected_columns) + ")")
        )
        ok = False
    for col in header:
        if col not in expected_columns:
            near = difflib.get_close_matches(col, [c for c in expected_columns if c not in header], n=1)
            problems.append(
                Problem(
                    name,
                    1,
                    col or "(blank)",
                    "unknown column "
                    + (f"— did you mean {near[0]!r}? " if near else "")
                    + "(expected one of: "
                    + ",".join(expected_columns)
                    + ")",
                )
            )
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
    error = None
    plain = _split_plain(text)
    if plain is not None:
        raw_rows, starts = plain
        ends = starts  # one line per record (ends is read only when csv.reader failed, which cannot happen here)
    else:
        raw_rows, ends = [], []
        add_row, add_end = raw_rows.append, ends.append
        try:
            for row in reader:
                add_row(row)
                add_end(reader.line_num)
        except csv.Error as e:
            error = e
        starts = [header_end + 1, *(e + 1 for e in ends[:-1])] if ends else []
    clean = all(len(r) == width for r in raw_rows) and all(map(str.strip, map("".join, raw_rows)))
    if clean:
        rows, lines = raw_rows, starts
    else:
        rows, lines = [], []
        for row, start in zip(raw_rows, starts):
            why = _row_problem(row, width)
            if why:
                problems.append(Problem(name, start, "(row)", why))
                ok = False
            else:
                rows.append(row)
                lines.append(start)
    if error is not None:
        start = (ends[-1] if ends else header_end) + 1
        problems.append(_unreadable(name, text, start, header, error))
        return None
    if not ok:
        return None
    strip = str.strip
    data = {c: list(map(strip, col)) for c, col in zip(header, zip(*rows))} if rows else {c: [] for c in header}
    for col in expected_columns:
        data.setdefault(col, [""] * len(rows))
    return Table(file=name, columns=header, data=data, lines=lines)


def _split_plain(text: str) -> tuple[list[list[str]], list[int]] | None:
    """The records after the header and the line of each, exactly as csv.reader reads them, ~2x faster — or
    None when the text has a quote, a CR or a line longer than csv's field limit (then csv.reader reads it).
    Without those, every record is one line and every field what lies between two commas. (A blank line is
    a record of one empty field here and of none in csv; both read as a blank line.)"""
    if '"' in text or "\r" in text:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final line break ends the last record; it does not start another
    if max(map(len, lines), default=0) > MAX_FIELD:
        return None
    return [line.split(",") for line in lines[1:]], list(range(2, len(lines) + 1))


def is_blank(row: list[str]) -> bool:
    """A record that carries no data: a blank line, or cells that are all empty or whitespace."""
    return all(v.strip() == "" for v in row)


def _row_problem(row: list[str], width: int) -> str | None:
    """Why a record cannot be used as it stands (blank lines and rows are refused: they carry no data, and a
    file that has them has usually been through a spreadsheet or been pasted together)."""
    if is_blank(row):
        if len(row) <= 1:
            return f"blank line (expected a record; {TIDY} blank lines)"
        return f"every field is empty — a blank spreadsheet row? (expected a record; {TIDY} such rows)"
    if len(row) != width:
        return f"row has {len(row)} fields, the header has {width}"
    return None


def _unreadable(name: str, text: str, start: int, header: list[str], error: csv.Error) -> Problem:
    """The record that starts on line `start` could not be parsed; name the field where a quote opened and
    never closed, which is by far the usual cause."""
    record = "".join(io.StringIO(text, newline="").readlines()[start - 1 :])
    field, quoted, opened = 0, False, None
    for ch in record:
        if ch == '"':
            if not quoted:
                opened = field
            quoted = not quoted
        elif ch == "," and not quoted:
            field += 1
        elif ch in "\r\n" and not quoted:
            break
    if quoted and opened is not None:
        col = header[opened] if opened < len(header) else f"(field {opened + 1})"
        return Problem(
            name,
            start,
            col,
            "a quote opens in this field and never closes, so the rest of the "
            'file was read into it (expected a closing " — or write "" for a quote inside a field)',
        )
    return Problem(name, start, "(row)", f"unreadable CSV: {error}")
