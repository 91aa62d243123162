"""python -m queries list|run|show — the Cypher library from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph_loader.errors import DataError, one_line
from graph_loader.tables import render_table, to_csv

from .guard import check_read_only
from .registry import QueryError, load_registry, typed_value


def _describe(q) -> dict:
    return {
        "name": q.name,
        "title": q.title,
        "description": q.description,
        "params": [
            {"name": p.name, "type": p.type, "default": p.default, "required": p.required, "help": p.help}
            for p in q.params
        ],
        "returns": list(q.returns),
        "file": q.path.name,
    }


def _params(pairs: list[str]) -> dict:
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise QueryError(f"--param {p!r}: expected key=value")
        k, v = p.split("=", 1)
        out[k.strip()] = v
    return out


def _typed_params(pairs: list[str]) -> dict:
    """Free-form parameters typed by their text: key=2008 an int, key=0.5 a float, key=true a bool, anything
    else a string; key:string=2008 (or :int, :float, :bool, :list) says the type."""
    out = {}
    for key, value in _params(pairs).items():
        name, _, declared = key.partition(":")
        out[name] = typed_value(name, value, declared)
    return out


def _print_rows(res, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(res.rows, indent=1, ensure_ascii=False, default=str))
    elif fmt == "csv":
        print(to_csv(res.rows, res.columns), end="")
    else:
        print(render_table(res.rows, res.columns))
    if res.more:
        print(
            f"note: the first {len(res.rows):,} rows of more than {len(res.rows):,} (the row cap, "
            "OUTREACH_QUERY_MAX_ROWS)",
            file=sys.stderr,
        )


def _query_file(path: Path) -> str:
    """The text of a query file: a regular file of at most the query length limit, UTF-8."""
    from .guard import MAX_TEXT

    try:
        if not path.is_file():
            raise QueryError(f"{path}: not a regular file")
        if path.stat().st_size > 4 * MAX_TEXT:
            raise QueryError(f"{path}: larger than a query may be ({MAX_TEXT:,} characters)")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise QueryError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise QueryError(f"{path}: cannot be read ({e.strerror})") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m queries", description="Run the Outreach Graph Cypher library.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="list the queries")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p = sub.add_parser("show", help="show one query's header and text")
    p.add_argument("name")
    p = sub.add_parser("run", help="run a query")
    p.add_argument("name")
    p.add_argument("--param", action="append", metavar="KEY=VALUE")
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--backend", choices=["embedded", "neo4j"], default="embedded")
    p.add_argument("--format", choices=["json", "csv", "table"], default="table")
    p = sub.add_parser("run-text", help="run free-form read-only Cypher through the console's checks and worker")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="the query")
    text.add_argument("--file", type=Path, help="a file holding the query")
    p.add_argument("--param", action="append", metavar="KEY[:TYPE]=VALUE")
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--backend", choices=["embedded", "neo4j"], default="embedded")
    p.add_argument("--format", choices=["json", "csv", "table"], default="table")
    a = ap.parse_args(argv)
    try:
        if a.command == "list":
            qs = [_describe(q) for q in load_registry().values()]
            if a.format == "json":
                print(json.dumps(qs, indent=1))
            else:
                print(
                    render_table(
                        [
                            {
                                "name": q["name"],
                                "params": ", ".join(x["name"] for x in q["params"]),
                                "title": q["title"],
                            }
                            for q in qs
                        ],
                        ["name", "params", "title"],
                    )
                )
            return 0
        if a.command == "show":
            reg = load_registry()
            if a.name not in reg:
                raise QueryError(f"unknown query {a.name!r} (try: python -m queries list)")
            print(reg[a.name].path.read_text(encoding="utf-8"))
            return 0
        from .runner import Runner

        registry = load_registry()
        if a.command == "run-text":
            query = a.text if a.text is not None else _query_file(a.file)
            params = _typed_params(a.param)
            check_read_only(query)  # refusals before any store is opened
            _print_rows(Runner(a.backend, a.data, registry=registry).run_text(query, params), a.format)
            return 0
        if a.name not in registry:
            raise QueryError(f"unknown query {a.name!r} (try: python -m queries list)")
        params = registry[a.name].bind(_params(a.param))  # parameter errors before any store is opened
        _print_rows(Runner(a.backend, a.data, registry=registry).run(a.name, params), a.format)
        return 0
    except QueryError as e:
        print(f"error: {one_line(str(e))}", file=sys.stderr)
        return 1 if a.command == "run-text" else 2
    except DataError as e:
        print(e.summary(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
