"""The register on the shared Neo4j server: the same record() behaviour, one transaction per call, versions.

The register's rows are the server's Activity / Assessment nodes; the other files (countries, tools, role
sharing, ...) come from the local data folder. An entry is validated and checked exactly as on the embedded
store, on the would-be data folder made of the data folder's files and the server's rows with the entries
applied. The graph of that folder (pipeline.load) gives the node and relationship properties a
`graph_loader sync` would write, so a row recorded here and the same row recorded in the CSV and synced are
the same node.

Every node the register writes carries `version` (1 on creation, +1 per change), `changed_by` and `changed_at`
(UTC ISO). The transaction first write-locks each edited node, then compares its version with the version the
editor based the edit on (the `version` column, else the version read when the entry was validated): a
different version refuses the whole entry with who changed it and when; an id another editor added meanwhile
is refused likewise (and the uniqueness constraint backs this up) — no lost update. `graph_loader sync` keeps
these properties (neo4j_sync.BOOKKEEPING) and counts its own change of such a node as a version by "sync".
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import Problem
from ..schema import load_schema
from ..stores.neo4j_state import invalidate
from ..stores.neo4j_store import Neo4jError, Neo4jSettings, describe_error, open_driver
from ..stores.neo4j_sync import BOOKKEEPING, constraint_statements, node_rows, q, rel_rows
from . import csvfile
from .entries import KINDS, VERSION_COLUMN, RecordResult, SaveConflict, Store, conflict_message, copy_data, run_record
from .log import now_utc


def _cell(value) -> str:
    """A property as its CSV cell (the inverse of the loader's typing: bools true/false, numbers as Python
    writes them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


class Neo4jRegister(Store):
    """record(kind, source, ...) and rows(kind) on a Neo4j server (NEO4J_URI ...); close() when done."""

    def __init__(self, settings: Neo4jSettings | None = None, data_dir: Path | str | None = None):
        from ..pipeline import DEFAULT_DATA

        self.settings = settings or Neo4jSettings.from_env()
        self.data_dir = Path(data_dir) if data_dir else DEFAULT_DATA
        self.name = "neo4j"
        self.schema = load_schema()
        self.driver = open_driver(self.settings)
        self._held: dict[str, dict] = {}
        self._tmp: list[str] = []

    def close(self) -> None:
        self.driver.close()
        for t in self._tmp:
            shutil.rmtree(t, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- reading ---------------------------------------------------------------------------------------

    def _spec(self, filename: str):
        return self.schema.node_for_file(filename)

    def nodes(self, filename: str) -> list[dict]:
        spec = self._spec(filename)
        with self.driver.session(database=self.settings.database) as s:
            return s.execute_read(
                lambda tx: [
                    r[0] for r in tx.run(f"MATCH (n:{q(spec.label)}) RETURN properties(n) ORDER BY n.{q(spec.key)}")
                ]
            )

    def header(self, filename: str) -> list[str]:
        path = self.data_dir / filename
        if path.exists():
            return csvfile.parse(path.read_text(encoding="utf-8")).header
        from ..validate import file_columns

        return list(file_columns(self.schema, filename))

    def current_text(self, filename: str) -> str:
        """The server's rows as the CSV file the CSV path would hold (in key order); remembers the versions."""
        header = self.header(filename)
        key = self._spec(filename).key
        props = self.nodes(filename)
        self._held = {
            p[key]: {
                "version": p.get("version", 0),
                "changed_by": p.get("changed_by"),
                "changed_at": p.get("changed_at"),
            }
            for p in props
        }
        return csvfile.serialise(header, {c: c for c in header}) + "".join(
            csvfile.serialise(header, {c: _cell(p.get(c)) for c in header}) for p in props
        )

    def rows(self, kind: str = "activities", partner: str | None = None) -> tuple[list[str], list[dict]]:
        """(header, rows as CSV cells) of the server's register, with version/changed_by/changed_at per row."""
        filename = KINDS[kind]
        header = self.header(filename)
        out = []
        for p in self.nodes(filename):
            if partner and p.get("partner") != partner:
                continue
            out.append({**{c: _cell(p.get(c)) for c in header}, **{b: p.get(b) for b in BOOKKEEPING}})
        return header, out

    def versions(self, filename: str) -> dict[str, dict]:
        return self._held

    def base_dir(self, filename: str, text: str) -> Path:
        tmp = tempfile.mkdtemp(prefix="outreach-register-neo4j-")
        self._tmp.append(tmp)
        copy_data(self.data_dir, Path(tmp), self.schema)
        (Path(tmp) / filename).write_bytes(text.encode("utf-8"))
        return Path(tmp)

    # --- writing -----------------------------------------------------------------------------------------

    def save(self, result: RecordResult, doc_before, doc_after, by: str) -> str:
        from ..pipeline import load

        folder = self.base_dir(result.file, doc_after.text())
        g, _ = load(folder)
        spec = self._spec(result.file)
        label, key = spec.label, spec.key
        wanted = {r["k"]: r["p"] for r in node_rows(g, self.schema)[label]}
        types = {r.type for r in self.schema.rels_in_file(result.file)}
        rels = [
            (rtype, lu, lv, r)
            for (rtype, lu, lv), rows in rel_rows(g, self.schema).items()
            if rtype in types
            for r in rows
        ]
        when = now_utc()
        refresh = {}
        if result.kind == "assessments":  # the latest assessment sets Country.category ...; risk follows it
            refresh = {lb: node_rows(g, self.schema)[lb] for lb in ("Country", "RiskScore")}

        def work(tx):
            problems = []
            for e in result.entries:
                if e.action == "edit":
                    tx.run(f"MATCH (n:{q(label)} {{{q(key)}: $k}}) SET n._register_lock = true", k=e.key).consume()
                rec = tx.run(
                    f"MATCH (n:{q(label)} {{{q(key)}: $k}}) RETURN n.version, n.changed_by, n.changed_at", k=e.key
                ).single()
                if e.action == "add":
                    if rec is not None:
                        problems.append(
                            Problem(
                                result.input_name,
                                e.line,
                                key,
                                (
                                    f"duplicate key {e.key!r} (added by {rec[1] or 'unknown'} at {rec[2] or 'an unknown time'}"
                                    " since the register was read; to change that row record it with --edit)"
                                ),
                            )
                        )
                    continue
                base = e.base_version if e.base_version is not None else self._held.get(e.key, {}).get("version", 0)
                held = (
                    {"version": 0, "changed_by": None, "changed_at": None}
                    if rec is None
                    else {"version": rec[0] or 0, "changed_by": rec[1], "changed_at": rec[2]}
                )
                if rec is None:
                    problems.append(
                        Problem(
                            result.input_name,
                            e.line,
                            key,
                            f"{e.key!r} was deleted from the register "
                            "since it was read (expected an existing row for --edit)",
                        )
                    )
                elif held["version"] != base:
                    problems.append(
                        Problem(result.input_name, e.line, VERSION_COLUMN, conflict_message(e.key, base, held))
                    )
            if problems:
                raise SaveConflict(problems)
            for e in result.entries:
                version = (
                    (self._held.get(e.key, {}).get("version", 0) if e.base_version is None else e.base_version)
                    if e.action == "edit"
                    else 0
                )
                props = {**wanted[e.key], "version": version + 1, "changed_by": by, "changed_at": when}
                tx.run(f"MERGE (n:{q(label)} {{{q(key)}: $k}}) SET n = $p", k=e.key, p=props).consume()
                tx.run(
                    f"MATCH (n:{q(label)} {{{q(key)}: $k}})-[r]-() WHERE type(r) IN $types DELETE r",
                    k=e.key,
                    types=sorted(types),
                ).consume()
                for rtype, lu, lv, r in rels:
                    if (lu == label and r["f"] == e.key) or (lv == label and r["t"] == e.key):
                        ku, kv = self.schema.nodes[lu].key, self.schema.nodes[lv].key
                        tx.run(
                            f"MATCH (a:{q(lu)} {{{q(ku)}: $f}}) MATCH (b:{q(lv)} {{{q(kv)}: $t}}) "
                            f"CREATE (a)-[r:{q(rtype)}]->(b) SET r = $p",
                            f=r["f"],
                            t=r["t"],
                            p=r["p"],
                        ).consume()
            # the sync's hashes no longer describe these nodes and relationships: it compares them row by row
            invalidate(tx, labels={label, *refresh}, types=types)
            for lb, rows in refresh.items():
                k = self.schema.nodes[lb].key
                tx.run(
                    f"UNWIND $rows AS row MATCH (n:{q(lb)} {{{q(k)}: row.k}}) "
                    "WITH n, row, n.version AS v, n.changed_by AS cb, n.changed_at AS ca SET n = row.p "
                    "SET n.version = v, n.changed_by = cb, n.changed_at = ca",
                    rows=rows,
                ).consume()
            return when

        try:
            with self.driver.session(database=self.settings.database) as s:
                for stmt in constraint_statements(self.schema):
                    if f"{label}_" in stmt:
                        s.run(stmt).consume()
                s.execute_write(work)
        except SaveConflict:
            raise
        except Exception as e:  # noqa: BLE001
            from neo4j.exceptions import ConstraintError

            if isinstance(e, ConstraintError):  # an id added by another editor between our check and commit
                raise SaveConflict(
                    [
                        Problem(
                            result.input_name,
                            result.entries[0].line,
                            key,
                            "another editor added the same id at the same time (expected a new id; "
                            "read the register again)",
                        )
                    ]
                ) from None
            raise Neo4jError(describe_error(e, self.settings)) from None
        return f"neo4j {when}"

    @contextmanager
    def locked(self):
        yield

    def record(self, kind: str, source, **options) -> RecordResult:
        """Record on the server (options as graph_loader.register.record)."""
        return run_record(self, kind, source, **options)
