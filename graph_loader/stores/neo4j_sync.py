"""Sync the built graph to Neo4j so that, after any sync, the database holds exactly the graph of the data.

A sync compares content hashes, not rows (neo4j_state): the server keeps, per label and per relationship type, one
hash per bucket of ~16 items and each item's hash. Unchanged data reads one list of bucket hashes per kind and
writes nothing; a change reads and rewrites only the buckets it touches and writes only the items that differ.
A kind without valid hashes (first sync, a sync that stopped midway, a register edit) is compared row by row with
what the server holds, as before; on an empty database that means plain CREATEs in large batches.

Order of the writes: nodes (CREATE where the label is empty, else MERGE by key), relationships (CREATE in
batches folded by node on `workers` sessions at once; changed ones updated in place by `_key`), deletions of what
the data no longer has, the relationship `_key` indexes, and the hashes last — a kind's hashes are marked dirty
before its data is written, so a sync stopped midway is repaired by the next one.

Identity: a node by its schema key; a relationship by a deterministic `_key` property
("from|to|identity values", e.g. "THA|CHN|2008|IMF_DOTS" for TRADES_WITH), indexed per type. Every
write sets the complete property map (`SET x = $props`), so properties that left the data leave Neo4j.
Only labels and types of the schema (and the sync's own `_SyncState` nodes) are touched; values reach Cypher
only as parameters.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter

from ..graph import iter_edges  # one fast edge walk for both stores
from ..schema import Schema, load_schema
from . import DEFAULT_BATCH, DEFAULT_WORKERS  # rows per transaction, parallel writers; the command line's defaults
from . import neo4j_state as state
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
    compared_kinds: int = 0  # labels and types compared row by row (no valid hashes on the server)
    buckets_read: int = 0  # hash buckets read because their hash differed
    phases: dict = field(default_factory=dict)  # seconds: constraints + plan (the compare), nodes, relationships, ...

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


@dataclass
class Plan:
    """What one sync writes, phase by phase (rows as node_rows()/rel_rows() make them)."""

    node_creates: dict[str, list[dict]] = field(default_factory=dict)  # labels the server holds none of
    node_upserts: dict[str, list[dict]] = field(default_factory=dict)
    rel_creates: dict[tuple, list[dict]] = field(default_factory=dict)  # (type, from label, to label)
    rel_updates: dict[tuple, list[dict]] = field(default_factory=dict)  # same _key (so same ends), other props
    rel_deletes: dict[str, list] = field(default_factory=dict)  # _keys the data no longer has
    unkeyed: set = field(default_factory=set)  # types holding relationships without _key (not written by a sync)
    node_deletes: dict[str, list] = field(default_factory=dict)
    # (kind id, Digest or its Future, buckets to write or None = all of a new state)
    states: list = field(default_factory=list)

    def counts(self) -> tuple[int, int, int, int]:
        """(nodes written, relationships written, nodes deleted, relationships deleted)."""

        def n(d):
            return sum(map(len, d.values()))

        return (
            n(self.node_creates) + n(self.node_upserts),
            n(self.rel_creates) + n(self.rel_updates),
            n(self.node_deletes),
            n(self.rel_deletes) + len(self.unkeyed),
        )


def _by_type(rels: dict[tuple, list[dict]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for (rtype, _, _), items in rels.items():
        out.setdefault(rtype, []).extend(items)
    return out


def _keep(rows: list[dict], chosen: dict, every: bool = False) -> list[dict]:
    """The rows that are chosen[k] itself (one row per key: the last, as a Digest keeps), in their order;
    every=True: the caller knows that is all of them (a first load), so no copy."""
    return rows if every else [r for r in rows if chosen.get(r["k"]) is r]


class Syncer:
    """One sync: compare the data's hashes with those the server keeps (row by row where it keeps none), then
    write only what differs, delete what the data no longer has, and keep the new hashes."""

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
        self.buckets_read = 0
        self._hasher = None  # a thread computing the Digests of kinds compared row by row

    def _write(self, text: str, params: dict | None = None) -> None:
        """The one place a data batch reaches the server (the fault tests count and cut these)."""
        with self.driver.session(database=self.database) as s:
            s.execute_write(lambda tx: tx.run(text, params or {}).consume())

    def _state(self, work, *args) -> None:
        """A write of sync state (hashes), not data: work(tx, *args) in one transaction."""
        with self.driver.session(database=self.database) as s:
            s.execute_write(work, *args)

    def _read(self, text: str) -> dict:
        with self.driver.session(database=self.database) as s:
            return s.execute_read(lambda tx: {r[0]: r[1] for r in tx.run(text)})

    def _missing(self, texts: list[str], show: str) -> list[str]:
        """The CREATE statements whose (backtick-quoted) name `show` does not list: one query, not one per name,
        on a re-sync where all exist."""
        with self.driver.session(database=self.database) as s:
            names = {r[0] for r in s.run(show)}
        return [t for t in texts if t.split("`")[1] not in names]

    def _statements(self, texts) -> None:
        for stmt in texts:
            with self.driver.session(database=self.database) as s:
                s.run(stmt).consume()

    def constraints(self) -> None:
        """Node uniqueness constraints and the state's: before any write, as every write looks nodes up by key."""
        wanted = [t for t in constraint_statements(self.schema) if "CONSTRAINT" in t] + [state.constraint_statement()]
        self._statements(self._missing(wanted, "SHOW CONSTRAINTS YIELD name RETURN name"))

    def rel_indexes(self, timeout_s: float = 600.0) -> None:
        """The relationship `_key` indexes, created after the writes (on a first load, one bulk population beats
        updating the index per relationship), then waited for: the next sync finds changed relationships by them."""
        wanted = [t for t in constraint_statements(self.schema) if "CONSTRAINT" not in t]
        self._statements(self._missing(wanted, "SHOW INDEXES YIELD name RETURN name"))
        deadline = time.monotonic() + timeout_s
        text = "SHOW INDEXES YIELD state WHERE state <> 'ONLINE' RETURN count(*)"
        while time.monotonic() < deadline:
            with self.driver.session(database=self.database) as s:
                if s.run(text).single()[0] == 0:
                    return
            time.sleep(0.2)

    # ------------------------------------------------------------------------------------------ the plan
    def plan(self, nodes: dict[str, list[dict]], rels: dict[tuple, list[dict]]) -> Plan:
        """Compare each label and type with the server: by hashes where it keeps valid ones, else row by row."""
        with self.driver.session(database=self.database) as s:
            roots = state.read_roots(s)
        plan = Plan()
        for label, rows in nodes.items():
            kid = state.kind_id("node", label)
            if roots.get(kid) is not None:
                self._hashed_nodes(plan, label, rows, roots[kid])
            else:
                self._compared_nodes(plan, label, rows)
        by_type = _by_type(rels)
        for rtype in self.schema.rels:
            kid = state.kind_id("rel", rtype)
            rows = by_type.get(rtype, [])
            if roots.get(kid) is not None:
                self._hashed_rels(plan, rtype, rows, rels, roots[kid])
            else:
                self._compared_rels(plan, rtype, rows, rels)
        for label in self.schema.nodes.keys() - nodes.keys():  # a label without a row: all of it goes
            self._compared_nodes(plan, label, [])
        return plan

    def _diff(self, kid: str, dig: state.Digest, held_root: list[int]) -> tuple[dict, list, list[int], set]:
        """Of one kind: ({key: row} to write, [keys] the server holds and the data has not, the differing
        buckets, the keys those buckets hold on the server)."""
        buckets = dig.differing(held_root)
        self.buckets_read += len(buckets)
        with self.driver.session(database=self.database) as s:
            held = state.read_buckets(s, [f"{kid}:{b}" for b in buckets])
        write, gone = {}, []
        for b in buckets:
            mine, theirs = dig.items[b], held.get(f"{kid}:{b}", {})
            write.update((k, row) for k, (h, row) in mine.items() if theirs.get(k) != h)
            gone.extend(k for k in theirs if k not in mine)
            self.progress(sum(1 for k in mine if k not in write))
        self.progress(sum(map(len, dig.items)) - sum(len(dig.items[b]) for b in buckets))
        return write, gone, buckets, {k for b in held.values() for k in b}

    def _digest(self, rows: list[dict], root: tuple[int, list[int]]) -> state.Digest | None:
        """The Digest of a kind the server keeps hashes of; None when its kind hash W is the same (unchanged)."""
        whole = state.whole_hash(rows)
        return None if whole == root[0] else state.Digest.of(rows, len(root[1]), whole)

    def _new_state(self, kid: str, rows: list[dict], dig: state.Digest, buckets: list[int]) -> tuple:
        """What to keep of a kind whose W differs: its differing buckets, or — when the kind grew or shrank 8-fold
        since its B was chosen — all of it in B buckets fit for its size now."""
        b = state.bucket_count(len(rows))
        if b >= 8 * dig.buckets or 8 * b <= dig.buckets:
            return kid, self._digest_later(rows), None
        return kid, dig, buckets

    def _hashed(self, plan: Plan, kind: str, name: str, rows: list[dict], root: tuple):
        """(items to write, keys gone, keys the server holds) of one label or type whose hashes differ, with its
        new state queued on the plan; None when its kind hash matches (nothing to do)."""
        kid = state.kind_id(kind, name)
        dig = self._digest(rows, root)
        if dig is None:
            self.progress(len(rows))
            return None
        write, gone, buckets, known = self._diff(kid, dig, root[1])
        plan.states.append(self._new_state(kid, rows, dig, buckets))
        return write, gone, known

    def _hashed_nodes(self, plan: Plan, label: str, rows: list[dict], root: tuple) -> None:
        found = self._hashed(plan, "node", label, rows, root)
        if found is None:
            return
        write, gone, _ = found
        if write:
            plan.node_upserts[label] = _keep(rows, write)
        if gone:
            plan.node_deletes[label] = gone

    def _hashed_rels(self, plan: Plan, rtype: str, rows: list[dict], rels: dict, root: tuple) -> None:
        found = self._hashed(plan, "rel", rtype, rows, root)
        if found is None:
            return
        write, gone, known = found
        if write:
            self._split_rels(plan, rtype, rels, {k: r for k, r in write.items() if k not in known}, write, known)
        if gone:
            plan.rel_deletes[rtype] = gone

    def _split_rels(self, plan: Plan, rtype: str, rels: dict, new: dict, write: dict, known, every=False) -> None:
        """Rows of `write` to CREATE (in `new`) or to update in place (their _key is on the server); every=True:
        all rows of the type are new and their keys distinct."""
        changed = {k: r for k, r in write.items() if k in known} if known else {}
        for triple, items in rels.items():
            if triple[0] != rtype:
                continue
            if new:
                plan.rel_creates[triple] = _keep(items, new, every)
            if changed:
                plan.rel_updates[triple] = _keep(items, changed)

    def _digest_later(self, rows: list[dict]):
        """The Digest of a kind compared row by row, computed on a thread of its own while the writes wait on the
        server (it is needed only when the hashes are saved, at the end)."""
        if self._hasher is None:
            from concurrent.futures import ThreadPoolExecutor

            self._hasher = ThreadPoolExecutor(1, thread_name_prefix="sync-hash")
        return self._hasher.submit(state.Digest.of, rows, state.bucket_count(len(rows)))

    def close(self) -> None:
        if self._hasher is not None:
            self._hasher.shutdown(wait=False, cancel_futures=True)
            self._hasher = None

    def _compared_nodes(self, plan: Plan, label: str, rows: list[dict]) -> None:
        """Without hashes: read the label's nodes and compare their properties (as `properties(n) = p`)."""
        key = self.schema.nodes[label].key
        have = self._read(f"MATCH (n:{q(label)}) RETURN n.{q(key)}, properties(n)")
        dig = self._digest_later(rows)
        chosen = {r["k"]: r for r in rows}
        if not have:
            plan.node_creates[label] = _keep(rows, chosen, len(chosen) == len(rows))
        else:
            todo = {k: r for k, r in chosen.items() if _data_props(have.get(k)) != r["p"]}
            self.progress(len(chosen) - len(todo))
            if todo:
                plan.node_upserts[label] = _keep(rows, todo)
            gone = [k for k in have if k not in chosen]
            if gone:
                plan.node_deletes[label] = gone
        plan.states.append((state.kind_id("node", label), dig, None))

    def _compared_rels(self, plan: Plan, rtype: str, rows: list[dict], rels: dict) -> None:
        """Without hashes: read the type's relationships as Held and compare (see Held)."""
        names = tuple(self.schema.rels[rtype].props)
        values = ", ".join(f"r.{q(n)}" for n in names)
        text = f"MATCH ()-[r:{q(rtype)}]->() RETURN r._key, size(keys(r)), [{values}]"
        with self.driver.session(database=self.database) as s:
            held = s.execute_read(_held_reader, text, names)
        dig = self._digest_later(rows)
        chosen = {r["k"]: r for r in rows}
        write = {k: r for k, r in chosen.items() if k not in held or not held[k].same(r["p"])} if held else chosen
        self.progress(len(chosen) - len(write))
        new = {k: r for k, r in write.items() if k not in held} if held else write
        self._split_rels(plan, rtype, rels, new, write, held, not held and len(chosen) == len(rows))
        gone = [k for k in held if k is not None and k not in chosen]
        if gone:
            plan.rel_deletes[rtype] = gone
        if None in held:
            plan.unkeyed.add(rtype)
        plan.states.append((state.kind_id("rel", rtype), dig, None))

    # ------------------------------------------------------------------------------------------ the writes
    def apply(self, plan: Plan) -> dict[str, float]:
        """Write the plan: nodes, relationships, then deletions; the hashes last. Returns the seconds of each
        phase: {"nodes", "relationships", "prune", "indexes", "state"}."""
        self._mark_dirty(plan)
        t0 = time.perf_counter()
        self._created(
            [
                (f"UNWIND $rows AS row CREATE (n:{q(label)}) SET n = row.p", rows)
                for label, rows in plan.node_creates.items()
            ],
            fold=None,
        )
        for label, rows in plan.node_upserts.items():
            self._batched(_upsert(label, self.schema.nodes[label].key), rows)
        t1 = time.perf_counter()
        self._created([(_create(self.schema, t), rows) for t, rows in plan.rel_creates.items()])
        for (rtype, _, _), rows in plan.rel_updates.items():
            self._batched(f"UNWIND $rows AS row MATCH ()-[r:{q(rtype)} {{_key: row.k}}]->() SET r = row.p", rows)
        t2 = time.perf_counter()
        self.prune(plan)
        t3 = time.perf_counter()
        self.rel_indexes()
        t4 = time.perf_counter()
        self._save_state(plan)
        t5 = time.perf_counter()
        return {"nodes": t1 - t0, "relationships": t2 - t1, "prune": t3 - t2, "indexes": t4 - t3, "state": t5 - t4}

    def _mark_dirty(self, plan: Plan) -> None:
        kids = [kid for kid, _, _ in plan.states]
        if kids:
            self._state(state.mark_dirty, kids)

    def prune(self, plan: Plan) -> None:
        """Delete relationships and nodes of schema labels/types that the data no longer has."""
        for rtype, keys in plan.rel_deletes.items():
            for batch in _batches(keys, self.batch_size):
                self._write(f"UNWIND $keys AS k MATCH ()-[r:{q(rtype)} {{_key: k}}]->() DELETE r", {"keys": batch})
        for rtype in sorted(plan.unkeyed):
            self._write(f"MATCH ()-[r:{q(rtype)}]->() WHERE r._key IS NULL DELETE r")
        for label, keys in plan.node_deletes.items():
            key = self.schema.nodes[label].key
            for batch in _batches(keys, self.batch_size):
                self._write(f"UNWIND $keys AS k MATCH (n:{q(label)} {{{q(key)}: k}}) DETACH DELETE n", {"keys": batch})

    def _save_state(self, plan: Plan) -> None:
        """The buckets of every changed kind (in transactions of about batch_size items), then all roots in one
        transaction — so a root that is clean always describes buckets that are written."""
        plan.states = [(kid, d if isinstance(d, state.Digest) else d.result(), b) for kid, d, b in plan.states]
        fresh = [kid for kid, _, buckets in plan.states if buckets is None]
        if fresh:
            self._state(state.drop_buckets, fresh)
        per = max(1, self.batch_size // state.BUCKET_ITEMS)
        for new in (True, False):
            rows = [
                dig.bucket_row(kid, b)
                for kid, dig, buckets in plan.states
                if (buckets is None) == new
                for b in (range(dig.buckets) if new else buckets)
            ]
            for batch in _batches(rows, per):
                self._state(state.write_buckets, batch, new)
        if plan.states:
            roots = [{"id": kid, "w": dig.whole, "h": dig.sums} for kid, dig, _ in plan.states]
            self._state(state.write_roots, roots)

    def _batched(self, text: str, rows: list[dict]) -> None:
        for batch in _batches(rows, self.batch_size):
            self._write(text, {"rows": batch})
            self.progress(len(batch))

    def _created(self, work: list[tuple[str, list[dict]]], fold=nested) -> None:
        """Write (statement, rows) work in batches (folded by fold(), e.g. nested(); None = as they are) on
        `workers` sessions at once.

        Safe in parallel because every row is a node or relationship the server does not hold and no key
        repeats: batches are independent. Two batches that lock the same nodes may deadlock: the server aborts
        one, and it is written again (_deadlock_safe). The first failure — or Ctrl-C — stops every worker
        before its next batch, the others' batches in flight end (committed or not: the next sync repairs
        either), and that first failure is raised."""
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
                    self._deadlock_safe(item[0], {"rows": fold(item[1]) if fold else item[1]})
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


def _upsert(label: str, key: str) -> str:
    """MERGE by key with the register's bookkeeping: a changed node it versioned gets a version by "sync"."""
    return (
        f"UNWIND $rows AS row MERGE (n:{q(label)} {{{q(key)}: row.k}}) "
        "WITH n, row, n.version AS v, n.changed_by AS cb, n.changed_at AS ca SET n = row.p "
        "SET n.version = v + 1, n.changed_by = CASE WHEN v IS NULL THEN cb ELSE 'sync' END, "
        "n.changed_at = CASE WHEN v IS NULL THEN ca "
        "ELSE toString(datetime.truncate('second', datetime())) END"
    )


def _create(schema: Schema, triple: tuple) -> str:
    """CREATE of nested() rows: one index seek per from-node and per node pair, not two per relationship."""
    rtype, lu, lv = triple
    ku, kv = schema.nodes[lu].key, schema.nodes[lv].key
    return (
        f"UNWIND $rows AS row MATCH (a:{q(lu)} {{{q(ku)}: row.f}}) UNWIND row.ts AS t "
        f"MATCH (b:{q(lv)} {{{q(kv)}: t.t}}) UNWIND t.ps AS p CREATE (a)-[r:{q(rtype)}]->(b) SET r = p"
    )


def sync_rows(
    driver,
    database: str | None,
    schema: Schema,
    nodes: dict[str, list[dict]],
    rels: dict[tuple, list[dict]],
    batch_size: int = DEFAULT_BATCH,
    progress=None,
    workers: int = DEFAULT_WORKERS,
) -> SyncReport:
    """Sync rows as node_rows() and rel_rows() make them ({label: [{k, p}]}, {(type, from label, to label):
    [{f, t, k, p}]}) through an open driver; server errors are raised as the driver raises them."""
    s = Syncer(driver, database, schema, batch_size, progress, workers)
    t0 = time.perf_counter()
    try:
        s.constraints()
        plan = s.plan(nodes, rels)
        t1 = time.perf_counter()
        phases = {"plan": t1 - t0, **s.apply(plan)}
    finally:
        s.close()
    written_n, written_r, gone_n, gone_r = plan.counts()
    return SyncReport(
        nodes=sum(map(len, nodes.values())),
        relationships=sum(map(len, rels.values())),
        written_nodes=written_n,
        written_relationships=written_r,
        deleted_nodes=gone_n,
        deleted_relationships=gone_r,
        seconds=time.perf_counter() - t0,
        rel_seconds=phases["relationships"],
        phases=phases,
        compared_kinds=sum(1 for _, _, buckets in plan.states if buckets is None),
        buckets_read=s.buckets_read,
    )


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
        return sync_rows(
            driver, settings.database, schema, nodes, rels, batch_size, bar.update if bar else None, workers
        )
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
