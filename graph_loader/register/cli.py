"""`python -m graph_loader record …` and `python -m graph_loader register …` (wired in graph_loader/cli.py).

    record activities|assessments FILE.csv [--data DIR] [--by NAME] [--edit] [--check-only] [--force]
                                           [--window-months N] [--format text|json] [--backend embedded|neo4j]
    register template --out FILE.csv
    register import FILE.csv --partner ISO3 [--data DIR] [--by NAME] [--edit] [--check-only] [--force] ...
    register export --partner ISO3 --out FILE.csv [--status planned,proposed] [--data DIR] [--backend ...]
    register replay --from START_DIR --out DIR [--data DIR]     # the log replayed onto START_DIR's files

Exit codes: 0 saved (or, with --check-only, valid and no warning); 1 refused (problems, a conflict, or warnings
without --force: nothing written); 2 a configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _store(a):
    if getattr(a, "backend", "embedded") == "neo4j":
        from ..stores.neo4j_store import Neo4jSettings
        from .neo4j import Neo4jRegister

        password = sys.stdin.readline().rstrip("\n") if getattr(a, "password_stdin", False) else None
        settings = Neo4jSettings.from_env(uri=a.uri, user=a.user, database=a.database, password=password)
        return Neo4jRegister(settings, a.data)
    from .entries import EmbeddedRegister

    return EmbeddedRegister(a.data)


def _print(result, fmt: str) -> int:
    if fmt == "json":
        print(json.dumps(result.to_dict(), indent=1, ensure_ascii=False, default=str))
    else:
        for line in result.lines():
            print(line)
    if result.problems:
        return 1
    if result.check_only:
        return 0 if result.report is None or result.report.ok else 1
    return 0 if result.saved else 1


def _options(a) -> dict:
    return {"by": a.by, "edit": a.edit, "force": a.force, "check_only": a.check_only, "window_months": a.window_months}


def _run(fn):
    from ..stores.neo4j_store import Neo4jError

    try:
        return fn()
    except Neo4jError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def cmd_record(a) -> int:
    from .entries import run_record

    def go():
        store = _store(a)
        try:
            return _print(run_record(store, a.kind, a.file, **_options(a)), a.format)
        finally:
            getattr(store, "close", lambda: None)()

    return _run(go)


def cmd_register(a) -> int:
    from . import plans

    if a.action == "template":
        path = plans.write_template(a.out)
        print(f"wrote {path}: the columns of activities.csv with one example row")
        return 0
    if a.action == "replay":
        from ..errors import ConfigError
        from . import log

        entries = log.read_log(a.data or _default_data())
        try:
            out = log.replay(getattr(a, "from"), entries, a.out)
        except log.ReplayError as e:
            raise ConfigError(str(e)) from None
        print(f"replayed {len(log.applied(entries))} change(s) onto {getattr(a, 'from')} into {out}")
        return 0

    def go():
        store = _store(a)
        try:
            if a.action == "import":
                return _print(plans.import_plan(a.data, a.file, a.partner, store=store, **_options(a)), a.format)
            statuses = [s.strip() for s in a.status.split(",")] if a.status else None
            n = plans.export_plan(a.data, a.partner, a.out, statuses, store=store)
            print(f"wrote {a.out}: {n} activit{'y' if n == 1 else 'ies'} of {a.partner.upper()}")
            return 0
        finally:
            getattr(store, "close", lambda: None)()

    return _run(go)


def _default_data() -> Path:
    from ..pipeline import DEFAULT_DATA

    return DEFAULT_DATA


def _common(p: argparse.ArgumentParser, writes: bool = True) -> None:
    p.add_argument("--data", type=Path, default=None, help="data folder (default: data/ of this checkout)")
    p.add_argument(
        "--backend",
        choices=["embedded", "neo4j"],
        default="embedded",
        help="embedded (default): the data folder's CSV files; neo4j: the shared server (NEO4J_URI ...)",
    )
    p.add_argument("--uri")
    p.add_argument("--user")
    p.add_argument("--database")
    p.add_argument("--password-stdin", action="store_true", help="read the Neo4j password from standard input")
    if writes:
        p.add_argument("--by", default=None, help="who records it (written to the change log / changed_by)")
        p.add_argument(
            "--edit",
            action="store_true",
            help="a row whose id exists replaces that row (without --edit an existing id is refused as a duplicate)",
        )
        p.add_argument("--check-only", action="store_true", help="validate and check; save nothing")
        p.add_argument("--force", action="store_true", help="save despite check warnings (never despite problems)")
        p.add_argument(
            "--window-months", type=int, default=None, help="overlap window: ±N months (default: the same year)"
        )
        p.add_argument("--format", choices=["text", "json"], default="text")


def add_parsers(sub) -> None:
    p = sub.add_parser("record", help="record activities or assessments (validated, checked, saved atomically)")
    p.add_argument("kind", choices=["activities", "assessments"])
    p.add_argument("file", type=Path, help="CSV with the columns of data/activities.csv or data/assessments.csv")
    _common(p)
    p.set_defaults(func=cmd_record)
    p = sub.add_parser("register", help="a partner's plan: template, import, export; replay the change log")
    rs = p.add_subparsers(dest="action", required=True)
    t = rs.add_parser("template", help="the activities columns with one example row")
    t.add_argument("--out", type=Path, required=True)
    t.set_defaults(func=cmd_register)
    i = rs.add_parser("import", help="check every row of a partner's plan, then record it")
    i.add_argument("file", type=Path)
    i.add_argument("--partner", required=True)
    _common(i)
    i.set_defaults(func=cmd_register)
    e = rs.add_parser("export", help="a partner's activities, to share in advance")
    e.add_argument("--partner", required=True)
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--status", default=None, help="only these statuses, e.g. planned,proposed")
    _common(e, writes=False)
    e.set_defaults(func=cmd_register)
    r = rs.add_parser("replay", help="apply data/changes.jsonl to a copy of the starting files")
    r.add_argument("--from", required=True, type=Path, help="the data folder as it was before the first change")
    r.add_argument("--out", required=True, type=Path)
    r.add_argument("--data", type=Path, default=None, help="the data folder whose changes.jsonl is replayed")
    r.set_defaults(func=cmd_register)
