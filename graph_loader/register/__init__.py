"""The shared register of planned activities and assessments (issue "Coordination among partners").

Python API (for the app pages and the command line):

- ``record(data_dir, kind, source, *, by=None, edit=False, force=False, check_only=False, window_months=None,
  input_name=None, partner=None) -> RecordResult`` — record ``kind`` "activities" or "assessments" into the
  data folder's CSV register. ``source``: a CSV file path or a list of row dicts (the columns of
  activities.csv / assessments.csv, plus an optional ``version``: the version an edit was based on). Validated
  with the schema and rules of data/ (problems on the input's lines), activities checked (a warning stops the
  save unless ``force``), then saved atomically with one change-log entry per row — or nothing is written.
- ``check(data_dir, rows, window_months=None, input_name="entries") -> CheckReport`` — the check alone (pure):
  overlap, clash, role, need warnings and the gaps each activity closes with the fall of the country's top gap
  priority (``report.ok``, ``report.lines()``, ``report.to_dict()``).
- ``Neo4jRegister(settings, data_dir)`` (register.neo4j): the same ``record(kind, source, ...)`` on the shared
  Neo4j server, one transaction per call, ``version``/``changed_by``/``changed_at`` on every node, stale edits
  refused; ``rows(kind, partner=None)`` reads the register back as CSV rows.
- ``template_rows()``, ``write_template(path)``, ``import_plan(data_dir, path, partner, **options)``,
  ``export_plan(data_dir, partner, out, statuses=None, store=None)``, ``register_rows(data_dir, kind)`` (register.plans).
- ``read_log(data_dir)``, ``replay(start_dir, entries, out_dir)``, ``versions(entries, filename)`` (register.log).
"""

from __future__ import annotations

from pathlib import Path

from .checks import CheckReport, EntryCheck, Finding, GapEffect, check_activities, gap_rows, register_of
from .entries import KINDS, EmbeddedRegister, Entry, RecordResult, record
from .log import ReplayError, read_log, replay, versions
from .plans import export_plan, import_plan, register_rows, template_rows, write_template


def check(
    data_dir: Path | str | None,
    rows: list[dict],
    window_months: int | None = None,
    input_name: str = "entries",
    tier_source: str = "assessment",
) -> CheckReport:
    """Check activity rows (dicts of CSV strings) against the data folder's register; nothing is written."""
    from ..pipeline import load

    g, _ = load(data_dir)
    return check_activities(g, rows, input_name=input_name, window_months=window_months, tier_source=tier_source)


__all__ = [
    "CheckReport",
    "EntryCheck",
    "Finding",
    "GapEffect",
    "check_activities",
    "gap_rows",
    "register_of",
    "KINDS",
    "EmbeddedRegister",
    "Entry",
    "RecordResult",
    "record",
    "ReplayError",
    "read_log",
    "replay",
    "versions",
    "export_plan",
    "import_plan",
    "register_rows",
    "template_rows",
    "write_template",
    "check",
]
