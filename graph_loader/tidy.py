"""`python -m graph_loader tidy`: remove what spreadsheets add to a CSV that carries no data — a leading UTF-8
byte-order mark, blank lines and rows of empty cells — so that the validator (which refuses them) accepts the
file. Nothing else is touched: the kept lines stay byte for byte as they were; each file is rewritten atomically.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .export import atomic_path
from .read import is_blank
from .schema import load_schema

BOM = b"\xef\xbb\xbf"


@dataclass
class Tidied:
    file: str
    bom: bool
    dropped_lines: list[int]  # 1-based lines of the original file

    def __str__(self) -> str:
        what = (["a byte-order mark"] if self.bom else []) + (
            [f"{len(self.dropped_lines)} blank line(s)/row(s) (line {', '.join(map(str, self.dropped_lines[:10]))}"
             + (", ..." if len(self.dropped_lines) > 10 else "") + ")"] if self.dropped_lines else [])
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
        text = raw[len(BOM) if bom else 0:].decode("utf-8")
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


def tidy(data_dir: Path) -> list[Tidied]:
    """Tidy every file the schema reads in `data_dir`; returns what changed."""
    done = []
    for name in load_schema().files():
        if (data_dir / name).exists():
            t = tidy_file(data_dir / name)
            if t:
                done.append(t)
    return done
