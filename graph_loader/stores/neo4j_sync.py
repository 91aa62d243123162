"""Sync the built graph to Neo4j: constraints from the schema, a read of what the server holds, batched writes of
what differs (nodes MERGEd; new relationships CREATEd in batches folded by end node on `workers` sessions at
once; changed ones MERGEd), then removal of what the data no longer has — so a re-run changes nothing and a sync
after any failure converges to exactly the graph of the data.

Identity: a node by its schema key; a relationship by a deterministic `_key` property
("from|to|identity values", e.g. "THA|CHN|2008|IMF_DOTS" for TRADES_WITH), indexed per type. Every
write sets the complete property map (`SET x = $props`), so properties that left the data leave Neo4j.
Only labels and types of the schema are touched.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from functools import cache
from operator import itemgetter

from ..graph import iter_edges  # one fast edge walk for both stores
from ..schema import Schema, load_schema
from . import DEFAULT_BATCH, DEFAULT_WORKERS  # rows per transaction, parallel writers; the command line's defaults
from .neo4j_store import Neo4jError, Neo4jSettings, describe_error, open_driver


@dataclass
class SyncReport:
    nodes: int
    relationships: int
    written_nodes: int
    written_relationships: int
    deleted_nodes: int
    deleted_relationships: int
    seconds: float
    rel_seconds: float

    @property
    def rels_per_second(self) -> float | None:
        """Relationships written per second of the relationship phase (None when nothing was written)."""
        return (
            self.written_relationships / self.rel_seconds if self.written_relationships and self.rel_seconds else None
        )

    def line(self) -> str:
        rate = f"{self.rels_per_second:,.0f} relationships/s" if self.rels_per_second else "nothing to write"
        return (
            f"synced {self.nodes} nodes and {self.relationships} relationships in {self.seconds:.1f} s: wrote "
            f"{self.written_nodes} nodes and {self.written_relationships} relationships ({rate}); removed "
            f"{self.deleted_nodes} nodes and {self.deleted_relationships} relationships the data no longer has"
        )


# The shared register's bookkeeping on nodes it wrote (graph_loader.register.neo4j): not data, so a sync neither
# compares nor wipes them; a sync that changes such a node's data counts as a version by "sync".
BOOKKEEPING = ("version", "changed_by", "changed_at")


def _data_props(props):
    return {k: v for k, v in props.items() if k not in BOOKKEEPING} if props is not None else None


DEADLOCK_ATTEMPTS = 10  # times a relationship batch aborted as a deadlock is written (each after a longer pause)


def q(name: str) -> str:
    """Backtick-quote a schema name (labels/types come from the schema, never from data)."""
    return "`" + name.replace("`", "``") + "`"


def constraint_statements(schema: Schema) -> list[str]:
    out = []
    for spec in schema.nodes.values():
        out.append(
            f"CREATE CONSTRAINT {q(f'{spec.label}_{spec.key}_unique')} IF NOT EXISTS "
            f"FOR (n:{q(spec.label)}) REQUIRE n.{q(spec.key)} IS UNIQUE"
        )
    for rel in schema.rels.values():
        out.append(f"CREATE INDEX {q(f'{rel.type}_key')} IF NOT EXISTS FOR ()-[r:{q(rel.type)}]-() ON (r._key)")
    return out


def node_rows(g, schema: Schema) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {label: [] for label in schema.nodes}
    keys = {label: spec.key for label, spec in schema.nodes.items()}
    for _, d in g.nodes(data=True):
        label = d["label"]
        props = {k: v for k, v in d.items() if k != "label" and v is not None}
        out[label].append({"k": d[keys[label]], "p": props})
    return out


def rel_key(schema: Schema, rtype: str, ku, kv, d: dict) -> str:
    rel = schema.rels[rtype]
    return "|".join(str(x) for x in (ku, kv, *(d.get(i) for i in rel.identity)))


def rel_rows(g, schema: Schema) -> dict[tuple[str, str, str], list[dict]]:
    out: dict[tuple, list[dict]] = {}
    ends = {n: (d["label"], d[schema.nodes[d["label"]].key]) for n, d in g.nodes(data=True)}
    identity = {rtype: rel.identity for rtype, rel in schema.rels.items()}
    for u, v, d in iter_edges(g):
        rtype = d["type"]
        (lu, ku), (lv, kv) = ends[u], ends[v]
        key = "|".join(map(str, (ku, kv, *map(d.get, identity[rtype]))))  # = rel_key(schema, rtype, ku, kv, d)
        props = {k: x for k, x in d.items() if k != "type" and x is not None}
        props["_key"] = key
        group = out.get((rtype, lu, lv))
        if group is None:
            group = out[(rtype, lu, lv)] = []
        group.append({"f": ku, "t": kv, "k": key, "p": props})
    for group in out.values():
        # one node pair's relationships side by side, so that nested() folds them into one entry (a trade
        # pair has ~50); edge tables list rows in file order (year by year). Stable: a repeated _key keeps
        # its first copy first.
        group.sort(key=_pair)
    return out


_pair = itemgetter("f", "t")


def _batches(rows: list, size: int):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def nested(rows: list[dict]) -> list[dict]:
    """Relationship rows folded by consecutive from-node, then to-node:
    [{f, ts: [{t, ps: [props, ...]}, ...]}, ...] — one index seek per node instead of two per relationship
    (a trade pair has ~50 relationships: years x sources). Order and content are kept; rows of one
    node pair that are not consecutive simply make a second entry."""
    out: list[dict] = []
    last_f = last_t = object()
    for r in rows:
        f, t = r["f"], r["t"]
        if f != last_f:
            ts = []
            out.append({"f": f, "ts": ts})
            last_f, last_t = f, object()
        if t != last_t:
            ps = []
            ts.append({"t": t, "ps": ps})
            last_t = t
        ps.append(r["p"])
    return out


class Held:
    """What the server holds for one relationship: its number of properties and the values of the schema's
    properties (None = absent; Neo4j stores no nulls).

    same(p) is exactly properties(r) == p for a wanted map p with `_key` (the relationship was found by its
    `_key`, so that value is equal) and otherwise only schema properties: equal values on every schema
    property means the same schema keys, and then an equal count means the server has no other key.
    A p with any other key is reported as different (it is then written, which is always correct)."""

    __slots__ = ("n", "names", "values", "allowed")

    def __init__(self, n: int, names: tuple, values: tuple):
        self.n, self.names, self.values = n, names, values
        self.allowed = _allowed(names)

    def same(self, p: dict) -> bool:
        if self.n != len(p) or "_key" not in p or not p.keys() <= self.allowed:
            return False
        get = p.get
        return all(get(k) == v for k, v in zip(self.names, self.values))


@cache
def _allowed(names: tuple) -> frozenset:
    return frozenset(names) | {"_key"}


def _held_reader(tx, text: str, names: tuple) -> dict:
    """{_key: Held} of one relationship type (a transaction function: the driver may run it again)."""
    return {r[0]: Held(r[1], names, tuple(r[2])) for r in tx.run(text)}


class Syncer:
    """One sync: read what the server holds, write only what differs, delete what the data no longer has."""

    def __init__(
        self,
        driver,
        database: str | None,
        schema: Schema,
        batch_size: int = DEFAULT_BATCH,
        progress=None,
        workers: int = DEFAULT_WORKERS,
    ):
        self.driver, self.database, self.schema = driver, database, schema
        self.batch_size = batch_size
        self.workers = max(1, workers)
        self.progress = progress or (lambda n: None)

    def _write(self, text: str, params: dict | None = None) -> None:
        with self.driver.session(database=self.database) as s:
            s.execute_write(lambda tx: tx.run(text, params or {}).consume())

    def _read(self, text: str) -> dict:
        with self.driver.session(database=self.database) as s:
            return s.execute_read(lambda tx: {r[0]: r[1] for r in tx.run(text)})

    def constraints(self) -> None:
        for stmt in constraint_statements(self.schema):
            with self.driver.session(database=self.database) as s:
                s.run(stmt).consume()

    def existing(self) -> tuple[dict, dict]:
        """{label: {key: props}} and {type: {_key: Held}} as the server holds them now.

        Relationships are read as (number of properties, values of the schema's properties in order) rather
        than as property maps: half the values to decode, which is most of a re-sync of a million trade
        relationships. Held.same(p) is exactly `properties(r) == p` (see Held)."""
        nodes = {
            label: self._read(f"MATCH (n:{q(label)}) RETURN n.{q(spec.key)}, properties(n)")
            for label, spec in self.schema.nodes.items()
        }
        rels = {}
        for rtype, rel in self.schema.rels.items():
            names = tuple(rel.props)
            values = ", ".join(f"r.{q(n)}" for n in names)
            text = f"MATCH ()-[r:{q(rtype)}]->() RETURN r._key, size(keys(r)), [{values}]"
            with self.driver.session(database=self.database) as s:
                rels[rtype] = s.execute_read(_held_reader, text, names)
        return nodes, rels

    def _batched(self, text: str, rows: list[dict]) -> None:
        for batch in _batches(rows, self.batch_size):
            self._write(text, {"rows": batch})
            self.progress(len(batch))

    def _created(self, work: list[tuple[str, list[dict]]]) -> None:
        """Write (CREATE statement, rows) work in nested() batches on `workers` sessions at once.

        Safe in parallel because every row is a relationship the server does not hold and no _key repeats
        (relationships() sends repeats to the MERGE that runs after): batches are independent. Two batches
        that lock the same nodes may deadlock: the server aborts one, and it is written again (_deadlock_safe).
        The first failure — or Ctrl-C — stops every worker before its next batch, the others' batches in
        flight end (committed or not: the next sync repairs either), and that first failure is raised."""
        import threading
        from concurrent.futures import ThreadPoolExecutor, wait

        todo = iter([(text, b) for text, rows in work for b in _batches(rows, self.batch_size)])
        lock, failures = threading.Lock(), []

        def worker():
            while True:
                with lock:  # failures are recorded under the same lock: no batch is taken after one
                    item = None if failures else next(todo, None)
                if item is None:
                    return
                try:
                    self._deadlock_safe(item[0], {"rows": nested(item[1])})
                    self.progress(len(item[1]))
                except BaseException as e:
                    with lock:
                        failures.append(e)
                    return

        if self.workers == 1:
            worker()
        else:
            pool = ThreadPoolExecutor(self.workers, thread_name_prefix="sync")
            try:
                wait([pool.submit(worker) for _ in range(self.workers)])
            except BaseException as e:  # Ctrl-C while waiting: no new batch starts; wait for those in flight
                with lock:
                    failures.append(e)
                raise
            finally:
                pool.shutdown(wait=True)
        if failures:
            raise failures[0]

    def _deadlock_safe(self, text: str, params: dict, attempts: int = DEADLOCK_ATTEMPTS) -> None:
        """_write, again after a short random pause when the server aborted it as a deadlock (the driver retries
        such a transaction too, but only within its own few seconds); any other error at once."""
        import random

        from neo4j.exceptions import TransientError

        for attempt in range(1, attempts + 1):
            try:
                return self._write(text, params)
            except TransientError as e:
                if "DeadlockDetected" not in (e.code or "") or attempt == attempts:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * attempt)

    def nodes(self, rows: dict[str, list[dict]], have: dict[str, dict]) -> int:
        written = 0
        for label, items in rows.items():
            key = self.schema.nodes[label].key
            todo = [r for r in items if _data_props(have.get(label, {}).get(r["k"])) != r["p"]]
            self.progress(len(items) - len(todo))
            self._batched(
                f"UNWIND $rows AS row MERGE (n:{q(label)} {{{q(key)}: row.k}}) "
                "WITH n, row, n.version AS v, n.changed_by AS cb, n.changed_at AS ca SET n = row.p "
                "SET n.version = v + 1, n.changed_by = CASE WHEN v IS NULL THEN cb ELSE 'sync' END, "
                "n.changed_at = CASE WHEN v IS NULL THEN ca "
                "ELSE toString(datetime.truncate('second', datetime())) END",
                todo,
            )
            written += len(todo)
        return written

    def relationships(self, rows: dict[tuple, list[dict]], have: dict[str, dict]) -> int:
        """Write what differs. A relationship whose _key the server does not hold (per existing(), read at the
        start of this sync) is CREATEd — no MERGE lookup, which matters on countries with thousands of
        relationships — in batches folded by node (nested()) on `workers` sessions at once; one it holds with other
        properties is MERGEd, one batch at a time (so is a _key repeated in the data)."""
        written, creates, merges = 0, [], []
        seen: dict[str, set] = {}
        for (rtype, lu, lv), items in rows.items():
            ku, kv = self.schema.nodes[lu].key, self.schema.nodes[lv].key
            held, mine = have.get(rtype, {}), seen.setdefault(rtype, set())
            new, changed = [], []
            for r in items:
                k = r["k"]
                h = held.get(k)
                if h is None and k not in mine:
                    new.append(r)
                    mine.add(k)
                elif h is None or not (h.same(r["p"]) if isinstance(h, Held) else h == r["p"]):
                    changed.append(r)
            self.progress(len(items) - len(new) - len(changed))
            creates.append(
                (
                    f"UNWIND $rows AS row MATCH (a:{q(lu)} {{{q(ku)}: row.f}}) UNWIND row.ts AS t "
                    f"MATCH (b:{q(lv)} {{{q(kv)}: t.t}}) UNWIND t.ps AS p CREATE (a)-[r:{q(rtype)}]->(b) "
                    "SET r = p",
                    new,
                )
            )
            match = f"UNWIND $rows AS row MATCH (a:{q(lu)} {{{q(ku)}: row.f}}) MATCH (b:{q(lv)} {{{q(kv)}: row.t}}) "
            merges.append((match + f"MERGE (a)-[r:{q(rtype)} {{_key: row.k}}]->(b) SET r = row.p", changed))
            written += len(new) + len(changed)
        self._created(creates)
        for text, changed in merges:  # after every CREATE: a _key repeated in the data merges onto its first
            self._batched(text, changed)
        return written

    def prune(
        self, nodes: dict[str, list[dict]], rels: dict[tuple, list[dict]], have_nodes: dict, have_rels: dict
    ) -> tuple[int, int]:
        """Delete relationships and nodes of schema labels/types that the data no longer has."""
        wanted: dict[str, set] = {}
        for (rtype, _, _), items in rels.items():
            wanted.setdefault(rtype, set()).update(r["k"] for r in items)
        gone_rels = 0
        for rtype, existing in have_rels.items():
            stale = [k for k in existing if k is not None and k not in wanted.get(rtype, set())]
            for batch in _batches(stale, self.batch_size):
                self._write(f"UNWIND $keys AS k MATCH ()-[r:{q(rtype)} {{_key: k}}]->() DELETE r", {"keys": batch})
            if None in existing:  # relationships of our types not written by a sync
                self._write(f"MATCH ()-[r:{q(rtype)}]->() WHERE r._key IS NULL DELETE r")
            gone_rels += len(stale) + (None in existing)
        gone_nodes = 0
        for label, existing in have_nodes.items():
            key = self.schema.nodes[label].key
            want = {r["k"] for r in nodes.get(label, [])}
            stale = [k for k in existing if k not in want]
            for batch in _batches(stale, self.batch_size):
                self._write(f"UNWIND $keys AS k MATCH (n:{q(label)} {{{q(key)}: k}}) DETACH DELETE n", {"keys": batch})
            gone_nodes += len(stale)
        return gone_nodes, gone_rels


def sync_graph(
    g,
    settings: Neo4jSettings,
    schema: Schema | None = None,
    batch_size: int = DEFAULT_BATCH,
    show_progress: bool = True,
    workers: int = DEFAULT_WORKERS,
) -> SyncReport:
    """Sync the graph; raises Neo4jError with one line (and the hint to re-run) on any failure."""
    schema = schema or load_schema()
    nodes, rels = node_rows(g, schema), rel_rows(g, schema)
    total = sum(map(len, nodes.values())) + sum(map(len, rels.values()))
    driver = open_driver(settings)  # fails fast, before any progress is drawn
    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="row", desc="sync", file=sys.stderr, leave=False)
    try:
        s = Syncer(driver, settings.database, schema, batch_size, bar.update if bar else None, workers)
        t0 = time.perf_counter()
        s.constraints()
        have_nodes, have_rels = s.existing()
        n_written = s.nodes(nodes, have_nodes)
        t1 = time.perf_counter()
        r_written = s.relationships(rels, have_rels)
        t2 = time.perf_counter()
        gone_nodes, gone_rels = s.prune(nodes, rels, have_nodes, have_rels)
        t3 = time.perf_counter()
    except Neo4jError:
        raise
    except Exception as e:  # noqa: BLE001 — a server that went away mid-sync, bad credentials, ...
        raise Neo4jError(
            describe_error(e, settings) + " — sync interrupted; the next successful sync repairs it"
        ) from None
    finally:
        if bar:
            bar.close()
        driver.close()
    return SyncReport(
        nodes=sum(map(len, nodes.values())),
        relationships=sum(map(len, rels.values())),
        written_nodes=n_written,
        written_relationships=r_written,
        deleted_nodes=gone_nodes,
        deleted_relationships=gone_rels,
        seconds=t3 - t0,
        rel_seconds=t2 - t1,
    )


def cli_sync(a) -> int:
    """`python -m graph_loader sync`: flags override the NEO4J_* environment variables."""
    from ..pipeline import load

    password = sys.stdin.readline().rstrip("\n") if getattr(a, "password_stdin", False) else None
    try:
        settings = Neo4jSettings.from_env(uri=a.uri, user=a.user, database=a.database, password=password)
        g, _ = load(a.data)
        report = sync_graph(g, settings, batch_size=a.batch_size, show_progress=sys.stderr.isatty(), workers=a.workers)
    except Neo4jError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(report.line())
    return 0
