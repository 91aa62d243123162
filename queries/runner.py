"""Run library queries (or read-only free-form Cypher) on the embedded store or on Neo4j.

Results are lists of row dicts with the header's columns, values normalised so both engines compare equal:
integers as int, floats rounded to 9 decimals, lists sorted (never rely on collect() order).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graph_loader.stores.embedded import normalise, store_for_data

from .portable import write_clauses
from .registry import Query, QueryError, load_registry

BACKENDS = ("embedded", "neo4j")


@dataclass
class Result:
    columns: list[str]
    rows: list[dict]


def check_read_only(text: str) -> None:
    writes = write_clauses(text)
    if writes:
        raise QueryError(f"only read queries are accepted; refused before running: {', '.join(writes)}")


class Runner:
    """Holds one backend connection; runs named queries and free-form read-only Cypher on it."""

    def __init__(self, backend: str = "embedded", data_dir: Path | str | None = None, store=None,
                 registry: dict[str, Query] | None = None):
        if backend not in BACKENDS:
            raise QueryError(f"unknown backend {backend!r} (expected one of: {', '.join(BACKENDS)})")
        self.backend = backend
        self.registry = registry if registry is not None else load_registry()
        if store is not None:
            self.store = store
        elif backend == "embedded":
            self.store = store_for_data(data_dir)
        else:
            from graph_loader.stores.neo4j_store import Neo4jError, Neo4jStore
            try:
                self.store = Neo4jStore.from_env()
            except Neo4jError as e:  # not configured, unreachable, credentials refused: one line, no traceback
                raise QueryError(str(e)) from None

    def query(self, name: str) -> Query:
        if name not in self.registry:
            raise QueryError(f"unknown query {name!r} (try: python -m queries list)")
        return self.registry[name]

    def run(self, name: str, params: dict | None = None) -> Result:
        q = self.query(name)
        bound = q.bind(params or {})
        check_read_only(q.text)
        columns, rows = self._execute(q.text, bound)
        if tuple(columns) != q.returns:
            raise QueryError(f"{name}: returned columns {columns} but the header declares {list(q.returns)}")
        return Result(list(q.returns), rows)

    def run_text(self, text: str, params: dict | None = None) -> Result:
        """Free-form Cypher: refused if it writes (and Neo4j runs it in a read-only transaction too)."""
        check_read_only(text)
        columns, rows = self._execute(text, params or {})
        return Result(columns, rows)

    def _execute(self, text: str, params: dict) -> tuple[list[str], list[dict]]:
        try:
            columns, rows = self.store.query(text, params)
        except Exception as e:  # each backend raises its own types; the user gets one line
            raise QueryError(f"engine error: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}") from None
        if not getattr(self.store, "rows_normalised", False):  # the embedded store normalises as it reads
            rows = [{c: normalise(r[c]) for c in columns} for r in rows]
        return columns, sort_union(text, rows)


_FINAL_ORDER = re.compile(r"ORDER\s+BY\s+((?:[A-Za-z_]\w*(?:\s+(?:ASC|DESC))?\s*,\s*)*[A-Za-z_]\w*(?:\s+(?:ASC|DESC))?)\s*$", re.I)


def sort_union(text: str, rows: list[dict]) -> list[dict]:
    """Apply a UNION query's final ORDER BY to the whole result.

    Both Neo4j and Ladybug apply an ORDER BY after UNION to the last branch only; library UNION queries
    end with ORDER BY over output column names, which the runner applies to all rows (nulls last).
    """
    if not re.search(r"\bUNION\b", text, re.I):
        return rows
    m = _FINAL_ORDER.search(text.strip())
    if not m:
        return rows
    for part in reversed([p.strip() for p in m.group(1).split(",")]):
        col, *direction = part.split()
        desc = bool(direction) and direction[0].upper() == "DESC"
        present = [r for r in rows if r.get(col) is not None]
        absent = [r for r in rows if r.get(col) is None]
        present.sort(key=lambda r: r[col], reverse=desc)
        rows = present + absent
    return rows
