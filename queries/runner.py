"""Run library queries (or read-only free-form Cypher) on the embedded store or on Neo4j.

Every text passes the read-only guard (queries/guard.py) and then runs in a worker process
(queries/sandbox.py) with memory, time and row limits. Results are lists of row dicts with the header's
columns, values normalised so both engines compare equal: integers as int, floats rounded to 9 decimals,
lists sorted (never rely on collect() order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graph_loader.stores.embedded import normalise, store_for_data

from . import sandbox
from .guard import check_read_only
from .registry import Query, QueryError, load_registry, parameters_used

BACKENDS = ("embedded", "neo4j")


@dataclass
class Result:
    """Rows of a query; `more` is True when fetching stopped at the row cap (`rows` holds the first ones)."""

    columns: list[str]
    rows: list[dict]
    more: bool = False


class Runner:
    """Holds one backend connection; runs named queries and free-form read-only Cypher on it."""

    def __init__(
        self,
        backend: str = "embedded",
        data_dir: Path | str | None = None,
        store=None,
        registry: dict[str, Query] | None = None,
    ):
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

    def run(self, name: str, params: dict | None = None, max_rows: int | None = None) -> Result:
        q = self.query(name)
        bound = q.bind(params or {})
        res = self._execute(q.text, bound, max_rows)
        if tuple(res.columns) != q.returns:
            raise QueryError(f"{name}: returned columns {res.columns} but the header declares {list(q.returns)}")
        return res

    def run_text(self, text: str, params: dict | None = None, max_rows: int | None = None) -> Result:
        """Free-form Cypher: refused unless it is one read-only query within the limits (queries/guard.py),
        or when a $parameter it uses has no value; Neo4j also checks the plan and runs it read-only."""
        params = params or {}
        check_read_only(text)
        used = parameters_used(text)
        missing = [p for p in used if p not in params]
        if missing:
            raise QueryError(
                "no value for "
                + ", ".join(f"${p}" for p in missing)
                + " (give each parameter a value: the query would otherwise match nothing)"
            )
        unused = [p for p in params if p not in used]
        if unused:
            raise QueryError("the query does not use " + ", ".join(f"${p}" for p in unused))
        return self._execute(text, params, max_rows)

    def _execute(self, text: str, params: dict, max_rows: int | None) -> Result:
        check_read_only(text)
        spec = getattr(self.store, "spec", None)
        if spec is not None:  # the real stores: in a worker process, with limits
            got = sandbox.pool().run(spec(), text, params, max_rows)
            if got["reconnected"] and hasattr(self.store, "reconnected"):
                self.store.reconnected += got["reconnected"]
            columns, rows, more = got["columns"], got["rows"], got["more"]
        else:  # an in-memory store (tests): in this process
            try:
                columns, rows = self.store.query(text, params)
            except Exception as e:  # each backend raises its own types; the user gets one line
                raise QueryError(
                    f"engine error: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"
                ) from None
            if not getattr(self.store, "rows_normalised", False):
                rows = [{c: normalise(r[c]) for c in columns} for r in rows]
            more = max_rows is not None and len(rows) > max_rows
            rows = rows[:max_rows] if more else rows
        return Result(list(columns), sort_union(text, rows), more)


_FINAL_ORDER = re.compile(
    r"ORDER\s+BY\s+((?:[A-Za-z_]\w*(?:\s+(?:ASC|DESC))?\s*,\s*)*[A-Za-z_]\w*(?:\s+(?:ASC|DESC))?)\s*$", re.I
)


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
