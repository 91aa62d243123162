"""Plain renderers shared by the CLIs: text tables and spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
import json

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A CSV cell a spreadsheet will not execute: text starting with = + - @ (or tab/CR) gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(rows: list[dict], columns: list[str]) -> str:
    """Rows as CSV with csv_safe cells. A row holding a carriage return is written fully quoted: with "\n" as
    line terminator the csv module leaves a lone "\r" unquoted, and readers (spreadsheets, csv.reader) end the
    row there — the rest of the cell would start a new row, "x\r=cmd()" a formula cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    w.writerow(columns)
    for r in rows:
        cells = [csv_safe(r.get(c)) for c in columns]
        (quoted if any("\r" in c for c in cells) else w).writerow(cells)
    return buf.getvalue()


def _cell(v, width: int = 60) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, (list, dict)):
        v = json.dumps(v, ensure_ascii=False)
    text = str(v).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(rows: list[dict], columns: list[str]) -> str:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()
    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])
