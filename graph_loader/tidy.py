"""`python -m graph_loader tidy`: remove what spreadsheets add to a CSV that carries no data — a leading UTF-8
byte-order mark, blank lines and rows of empty cells — so that the validator (which refuses them) accepts the
file. Nothing else is touched: the kept lines stay byte for byte as they were; each file is rewritten atomically.

Tidy reads only what validation reads (read.check_data_file): a link out of the data folder, a FIFO, a device,
a directory, a file too large or unreadable is refused before anything is rewritten, and a file that is not
text (an archive, a workbook) is left alone for the validator to name. A link inside the folder is tidied by
rewriting the file it points to; no write ever goes through a link.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError
from .export import atomic_path
from .read import NOT_FOUND, check_data_file, is_blank
from .schema import load_schema

BOM = b"\xef\xbb\xbf"


@dataclass
class Tidied:
    file: str
    bom: bool
    dropped_lines: list[int]  # 1-based lines of the original file

    def __str__(self) -> str:
        what = (["a byte-order mark"] if self.bom else []) + (
            [
                f"{len(self.dropped_lines)} blank line(s)/row(s) (line {', '.join(map(str, self.dropped_lines[:10]))}"
                + (", ..." if len(self.dropped_lines) > 10 else "")
                + ")"
            ]
            if self.dropped_lines
            else []
        )
        return f"{self.file}: removed " + " and ".join(what)


def _blank_record_lines(text: str) -> list[int] | None:
    """Lines of records that are blank or all empty cells (one physical line each); None if unparsable."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out, start = [], 1
    try:
        for row in reader:
            if is_blank(row) and reader.line_num == start:
                out.append(start)
            start = reader.line_num + 1
    except csv.Error:
        return None
    return out


def tidy_file(path: Path) -> Tidied | None:
    """Tidy one file in place; None when there was nothing to do or it is not UTF-8 CSV (the validator says why)."""
    raw = path.read_bytes()
    bom = raw.startswith(BOM)
    try:
        text = raw[len(BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError:
        return None
    drop = _blank_record_lines(text)
    if drop is None or (not bom and not drop):
        return None
    lines = text.split("\n")
    gone = set(drop)
    kept = "\n".join(line for i, line in enumerate(lines, 1) if i not in gone)
    with atomic_path(path) as tmp:
        tmp.write_bytes(kept.encode("utf-8"))
    return Tidied(path.name, bom, drop)


def _files_to_tidy(data_dir: Path) -> list[Path]:
    """The schema's files in `data_dir` that tidy may rewrite, each as the regular file inside the folder it
    is (a link's target). Raises DataError, before anything is written, when any file must not be read."""
    data_dir = Path(data_dir)
    paths, refused = [], []
    for name in load_schema().files():
        problem = check_data_file(data_dir, name)
        if problem is None:
            paths.append((data_dir / name).resolve())  # checked: inside the folder
        elif problem.line == 0 and problem.message != NOT_FOUND:
            refused.append(problem)  # the file as a file (a link out, a FIFO, ...): refuse the whole run
        # else missing, or not text (line 1): nothing to tidy; validate says why
    if refused:
        raise DataError(refused)
    return paths


def tidy(data_dir: Path) -> list[Tidied]:
    """Tidy every file the schema reads in `data_dir`; returns what changed."""
    done = []
    for path in _files_to_tidy(data_dir):
        t = tidy_file(path)
        if t:
            done.append(t)
    return done
