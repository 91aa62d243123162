"""python -m queries list|run|show — the Cypher library from the command line."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph_loader.errors import DataError
from graph_loader.tables import render_table, to_csv

from .registry import QueryError, load_registry


def _describe(q) -> dict:
    return {"name": q.name, "title": q.title, "description": q.description,
            "params": [{"name": p.name, "type": p.type, "default": p.default, "required": p.required,
                        "help": p.help} for p in q.params],
            "returns": list(q.returns), "file": q.path.name}


def _params(pairs: list[str]) -> dict:
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise QueryError(f"--param {p!r}: expected key=value")
        k, v = p.split("=", 1)
        out[k.strip()] = v
    return out


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
    a = ap.parse_args(argv)
    try:
        if a.command == "list":
            qs = [_describe(q) for q in load_registry().values()]
            if a.format == "json":
                print(json.dumps(qs, indent=1))
            else:
                print(render_table([{"name": q["name"], "params": ", ".join(x["name"] for x in q["params"]),
                                     "title": q["title"]} for q in qs], ["name", "params", "title"]))
            return 0
        if a.command == "show":
            reg = load_registry()
            if a.name not in reg:
                raise QueryError(f"unknown query {a.name!r} (try: python -m queries list)")
            print(reg[a.name].path.read_text(encoding="utf-8"))
            return 0
        from .runner import Runner
        registry = load_registry()
        if a.name not in registry:
            raise QueryError(f"unknown query {a.name!r} (try: python -m queries list)")
        params = registry[a.name].bind(_params(a.param))  # parameter errors before any store is opened
        res = Runner(a.backend, a.data, registry=registry).run(a.name, params)
        if a.format == "json":
            print(json.dumps(res.rows, indent=1, ensure_ascii=False, default=str))
        elif a.format == "csv":
            print(to_csv(res.rows, res.columns), end="")
        else:
            print(render_table(res.rows, res.columns))
        return 0
    except QueryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except DataError as e:
        print(e.summary(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
