"""A partner's plan in and out: the template, the import (checks, then record) and the export."""

from __future__ import annotations

from pathlib import Path

from ..schema import load_schema
from ..validate import file_columns
from . import csvfile
from .entries import KINDS, EmbeddedRegister, RecordResult, run_record

EXAMPLE = {
    "activity_id": "JPN-BC-2009-THA",
    "title": "Bilateral consultation, Thailand",
    "partner": "JPN",
    "targets": "THA",
    "tool": "bilateral_discussion",
    "programme": "",
    "meeting": "",
    "status": "planned",
    "year": "2009",
    "month": "10",
    "date": "",
    "venue": "Bangkok",
    "confidence": "0.8",
    "note": "Example row: replace it with your own (targets: ISO3 codes joined by ';').",
    "source": "JPN plan for 2009 (example)",
    "kind": "outreach",
}


def activity_columns() -> list[str]:
    return list(file_columns(load_schema(), KINDS["activities"]))


def template_rows() -> tuple[list[str], list[dict]]:
    """The columns of activities.csv and one filled example row."""
    cols = activity_columns()
    return cols, [{c: EXAMPLE.get(c, "") for c in cols}]


def write_template(path: Path | str) -> Path:
    cols, rows = template_rows()
    text = csvfile.serialise(cols, {c: c for c in cols}) + "".join(csvfile.serialise(cols, r) for r in rows)
    csvfile.atomic_write(Path(path), text.encode("utf-8"))
    return Path(path)


def import_plan(data_dir: Path | str | None, path: Path | str, partner: str, *, store=None, **options) -> RecordResult:
    """A partner's plan file: every row must be that partner's (a blank partner becomes it), the checks run
    for every row, then the rows are recorded (same options as record: by, edit, force, check_only, ...)."""
    options["by"] = options.get("by") or partner.upper()
    return run_record(store or EmbeddedRegister(data_dir), "activities", path, partner=partner.upper(), **options)


def register_rows(data_dir: Path | str | None, kind: str = "activities", store=None) -> tuple[list[str], list[dict]]:
    """(header, rows) of the register file as CSV cells, in file order."""
    store = store or EmbeddedRegister(data_dir)
    doc = csvfile.parse(store.current_text(KINDS[kind]))
    return doc.header, [doc.row(i) for i in range(len(doc.records))]


def export_plan(
    data_dir: Path | str | None, partner: str, out: Path | str, statuses: list[str] | None = None, store=None
) -> int:
    """Write the partner's activity rows (optionally only some statuses) to `out` (atomic); returns the count."""
    header, rows = register_rows(data_dir, "activities", store)
    mine = [r for r in rows if r.get("partner") == partner.upper() and (not statuses or r.get("status") in statuses)]
    text = csvfile.serialise(header, {c: c for c in header}) + "".join(csvfile.serialise(header, r) for r in mine)
    csvfile.atomic_write(Path(out), text.encode("utf-8"))
    return len(mine)
