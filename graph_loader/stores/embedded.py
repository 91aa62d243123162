"""The embedded store: the built graph written into an in-process Ladybug database (zero set-up).

Node and relationship tables are generated from the one schema. A store is built once per version of the
data (fingerprint of data files, schema, weights and code), in a cache folder, into a temporary folder that
is renamed into place when complete — so a reader never sees a half-built store. Queries run on a
read-only database with a query timeout and a bounded buffer pool, so a runaway query fails fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import TYPE_CHECKING

from ..graph import iter_edges
from ..schema import Schema, load_schema

if TYPE_CHECKING:  # pandas and networkx load lazily: a cached store answers without them
    import networkx as nx
    import pandas as pd

STORE_VERSION = "1"
LB_TYPES = {
    "string": "STRING",
    "int": "INT64",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "STRING",
    "enum": "STRING",
    "list": "STRING",
}
DEFAULT_TIMEOUT_MS = int(os.environ.get("OUTREACH_QUERY_TIMEOUT_MS", "10000"))
DEFAULT_BUFFER_POOL_MB = int(os.environ.get("OUTREACH_BUFFER_POOL_MB", "512"))
CHECKPOINT_ROWS = 200_000  # write_store checkpoints before a COPY would leave more rows than this dirty
COPY_ROWS = 200_000  # and copies a larger relationship table in parts of this many rows
CODE_DIR = Path(__file__).resolve().parents[1]


class StoreError(Exception):
    """A query or build failure on the embedded store, with a one-line message."""


def cache_root() -> Path:
    base = os.environ.get("OUTREACH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "outreach-graph"
    )
    return Path(base) / "embedded"


def ddl(schema: Schema) -> list[str]:
    """CREATE statements for every node label and relationship type of the schema."""
    out = []
    for spec in schema.nodes.values():
        cols = ", ".join(f"{n} {LB_TYPES[p.type]}" for n, p in spec.props.items())
        out.append(f"CREATE NODE TABLE {spec.label}({cols}, PRIMARY KEY({spec.key}))")
    for rel in schema.rels.values():
        pairs = ", ".join(f"FROM {a} TO {b}" for a in rel.from_labels for b in rel.to_labels)
        cols = "".join(f", {n} {LB_TYPES[p.type]}" for n, p in rel.props.items())
        out.append(f"CREATE REL TABLE {rel.type}({pairs}{cols})")
    return out


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """A frame of row tuples; object columns keep None as NULL (Ladybug rejects pandas' nullable Int64).
    (Native numpy dtypes for null-free columns, or an Arrow table, were measured: COPY gains less than
    building them costs.)"""
    import pandas as pd

    cols = list(zip(*rows)) if rows else [() for _ in columns]
    return pd.DataFrame({c: pd.Series(col, dtype=object) for c, col in zip(columns, cols)})


def node_frames(g: nx.MultiDiGraph, schema: Schema) -> dict[str, pd.DataFrame]:
    rows: dict[str, list] = {label: [] for label in schema.nodes}
    getters = {label: list(spec.props) for label, spec in schema.nodes.items()}
    for _, d in g.nodes(data=True):
        rows[d["label"]].append(tuple(map(d.get, getters[d["label"]])))
    return {label: _frame(r, getters[label]) for label, r in rows.items() if r}


def _end(d: dict, schema: Schema) -> tuple[str, object]:
    """(label, key value) of a node's attributes: how a relationship names its end in the store."""
    return d["label"], d[schema.nodes[d["label"]].key]


def rel_frames(g: nx.MultiDiGraph, schema: Schema) -> dict[tuple[str, str, str], pd.DataFrame]:
    """One frame per (type, from label, to label): from key, to key, then the relationship's properties."""
    ends = {n: _end(d, schema) for n, d in g.nodes(data=True)}
    props = {rtype: list(rel.props) for rtype, rel in schema.rels.items()}
    rows: dict[tuple, list] = {}
    for u, v, d in iter_edges(g):  # the bulk tables read in place (a million rows)
        rtype = d["type"]
        (lu, ku), (lv, kv) = ends[u], ends[v]
        group = rows.get((rtype, lu, lv))
        if group is None:
            group = rows[(rtype, lu, lv)] = []
        group.append((ku, kv, *map(d.get, props[rtype])))
    return {k: _frame(r, ["from", "to", *props[k[0]]]) for k, r in rows.items()}


def write_store(g: nx.MultiDiGraph, path: Path, schema: Schema | None = None) -> Path:
    """Write the graph into a new Ladybug database at `path` (which must not exist yet)."""
    import ladybug

    schema = schema or load_schema()
    # one checkpoint at the end instead of one per statement: ~3x faster for a cache we can always rebuild
    db = ladybug.Database(
        str(path), buffer_pool_size=DEFAULT_BUFFER_POOL_MB * 1024**2, auto_checkpoint=False, enable_checksums=False
    )
    try:
        conn = ladybug.Connection(db)
        conn.execute("BEGIN TRANSACTION")
        for stmt in ddl(schema):
            conn.execute(stmt)
        conn.execute("COMMIT")
        # Without auto-checkpoints every copied page stays dirty in the buffer pool until a CHECKPOINT: at
        # world scale (a million trade relationships) the 512 MB pool fills and COPY fails. So a large table is
        # copied in parts of COPY_ROWS and a checkpoint follows whenever CHECKPOINT_ROWS rows are dirty; the real
        # data (26,000 relationships) needs only the one at the end, each checkpoint costing ~0.2–0.6 s.
        dirty = 0
        for label, df in node_frames(g, schema).items():  # noqa: B007 (COPY ... FROM df reads the local by name)
            conn.execute(f"COPY {label} FROM df")
            dirty += len(df)
        for (rtype, lu, lv), frame in rel_frames(g, schema).items():
            multi = len(schema.rels[rtype].from_labels) * len(schema.rels[rtype].to_labels) > 1
            for start in range(0, len(frame), COPY_ROWS):
                df = frame.iloc[start : start + COPY_ROWS]  # noqa: F841 (COPY ... FROM df reads the local by name)
                if dirty + len(df) > CHECKPOINT_ROWS:
                    conn.execute("CHECKPOINT")
                    dirty = 0
                conn.execute(f"COPY {rtype} FROM df" + (f" (from='{lu}', to='{lv}')" if multi else ""))
                dirty += len(df)
        conn.execute("CHECKPOINT")
        conn.close()
    finally:
        db.close()
    return path


# The code whose output a store holds: a change to any of these rebuilds the stores; any other code edit (the
# app, the queries, the views) does not.
CONTENT_CODE = ("schema.yaml", "risk_weights.yaml", "build.py", "risk.py", "stores/embedded.py")
KEEP_STORES = int(os.environ.get("OUTREACH_CACHE_KEEP", "8"))  # stores kept in the cache (least recently used go)
RECENT_S = 3600  # a store opened this recently is never pruned (another process may still be using it)


def fingerprint(data_dir: Path, extra: dict | None = None) -> str:
    """A hash of what a store holds: the content of every data file, the schema, the weights and the code that
    turns them into nodes, relationships and scores (CONTENT_CODE) — not file times, not other code."""
    h = hashlib.sha256(STORE_VERSION.encode())
    for f in sorted(Path(data_dir).glob("*.csv")):
        if not f.is_file():
            continue  # the loader reports what is wrong with it
        h.update(f.name.encode() + b"\0")
        with f.open("rb") as fh:
            h.update(hashlib.file_digest(fh, "sha256").digest())
    for name in CONTENT_CODE:
        h.update((CODE_DIR / name).read_bytes())
    h.update(json.dumps(extra or {}, sort_keys=True, default=str).encode())
    return h.hexdigest()[:20]


def touch(folder: Path) -> None:
    """Mark a store as used now (pruning keeps the most recently used)."""
    try:
        (Path(folder) / ".used").touch()
    except OSError:
        pass


def prune(root: Path | None = None, keep: int = KEEP_STORES, now: float | None = None) -> list[Path]:
    """Remove the least recently used stores beyond `keep` (never one used in the last RECENT_S seconds);
    return what was removed."""
    import time

    root = root or cache_root()
    now = time.time() if now is None else now
    stores = []
    for d in root.iterdir() if root.is_dir() else ():
        if d.is_dir() and not d.name.startswith(".") and (d / "db").exists():
            used = d / ".used"
            stores.append((used.stat().st_mtime if used.exists() else d.stat().st_mtime, d))
    stores.sort(reverse=True)
    gone = []
    for used, d in stores[keep:]:
        if now - used >= RECENT_S:
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    return gone


_build_lock = threading.Lock()


def ensure_built(key: str, make_graph, root: Path | None = None) -> Path:
    """Return the store folder for `key`, building it from make_graph() if it does not exist yet."""
    root = root or cache_root()
    final = root / key
    if (final / "db").exists():
        touch(final)
        return final
    with _build_lock:
        if (final / "db").exists():
            touch(final)
            return final
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
        try:
            write_store(make_graph(), tmp / "db")
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / "db").exists():  # lost a race only if the winner finished
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        touch(final)
        prune(root)
    return final


_PLAIN = (str, int, bool, type(None))


def normalise(value):
    """Driver-independent values: Decimal → int/float, floats rounded to 9 decimals, lists sorted."""
    if type(value) in _PLAIN:  # the common case, returned as is (as the checks below would)
        return value
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return value if value != value else round(value, 9)  # NaN stays NaN
    if isinstance(value, (list, tuple)):
        items = [normalise(v) for v in value]
        if all(type(x) is str for x in items):  # json.dumps(s) is exactly this encoder's output for a str
            return sorted(items, key=encode_basestring_ascii)
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True, default=str))
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        return normalise(value.item())
    return value


class EmbeddedStore:
    """A read-only handle on a built store. Thread-safe: each query uses its own connection.

    `spec()` describes it for a query worker (queries/sandbox.py), which opens its own handle: the app runs
    every query there, never on this one. `max_db_mb` bounds the address space Ladybug reserves for the
    database (by default it reserves terabytes, which no address-space limit admits)."""

    rows_normalised = True  # query() returns each row keyed by the columns, every value through normalise()

    def __init__(
        self,
        folder: Path,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        buffer_pool_mb: int = DEFAULT_BUFFER_POOL_MB,
        max_db_mb: int | None = None,
    ):
        self.folder = Path(folder)
        touch(self.folder)
        self.timeout_ms = timeout_ms
        self.buffer_pool_mb = buffer_pool_mb
        self.max_db_mb = max_db_mb
        self._db = None  # opened by the first query(): the app's own handle never queries (its workers do)
        self._open_lock = threading.Lock()

    def database(self):
        """The read-only Ladybug database, opened once, on first use."""
        with self._open_lock:
            if self._db is None:
                import ladybug

                self._db = ladybug.Database(
                    str(self.folder / "db"),
                    read_only=True,
                    enable_checksums=False,
                    buffer_pool_size=self.buffer_pool_mb * 1024**2,
                    max_db_size=None if self.max_db_mb is None else self.max_db_mb * 1024**2,
                )
            return self._db

    def spec(self) -> tuple:
        """What a worker process needs to open the same store: ("embedded", folder, timeout ms, pool MB)."""
        return ("embedded", str(self.folder), self.timeout_ms, self.buffer_pool_mb)

    def query(self, text: str, params: dict | None = None, max_rows: int | None = None) -> tuple[list[str], list[dict]]:
        """(columns, rows); with max_rows, fetching stops after max_rows + 1 rows (the caller tells "more")."""
        import ladybug

        conn = ladybug.Connection(self.database())
        try:
            conn.set_query_timeout(self.timeout_ms)
            result = conn.execute(text, params or {})
            if isinstance(result, list):  # several statements: the guard refuses them before they get here
                raise RuntimeError("one statement at a time")
            columns = result.get_column_names()
            rows = []
            stop = float("inf") if max_rows is None else max_rows + 1
            while len(rows) < stop and result.has_next():
                rows.append(
                    {
                        c: v if type(v) in _PLAIN else normalise(v)  # plain values inline: large results
                        for c, v in zip(columns, result.get_next())
                    }
                )
            return columns, rows
        except RuntimeError as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if "Interrupted" in msg:
                msg = f"query stopped after the {self.timeout_ms / 1000:g} s timeout (OUTREACH_QUERY_TIMEOUT_MS)"
            elif "bad_alloc" in msg or "buffer" in msg.lower() or "memory" in msg.lower():
                msg = f"query ran out of its memory budget ({msg})"
            raise StoreError(msg) from None
        finally:
            conn.close()

    def close(self) -> None:
        with self._open_lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def store_size_mb(folder: Path | str) -> int:
    """A built store's size on disk, in MB (rounded up)."""
    db = Path(folder) / "db"
    files = [db] if db.is_file() else db.rglob("*")
    return -(-sum(f.stat().st_size for f in files if f.is_file()) // 1024**2)


def store_for_data(data_dir: Path | str | None = None, weights: dict | None = None, loaded=None) -> EmbeddedStore:
    """Open (building first if needed) the embedded store of a data folder. `loaded`, when given, returns the
    graph `pipeline.load(data_dir, weights)` would (the app passes the one it holds, so a build does not load
    the data a second time); it is called only if the store has to be built."""
    data_dir = Path(data_dir) if data_dir else CODE_DIR.parent / "data"

    def make_graph():
        if loaded is not None:
            return loaded()
        from ..pipeline import load  # networkx and the loader are only needed to build

        return load(data_dir, weights)[0]

    return EmbeddedStore(ensure_built(fingerprint(data_dir, {"weights": weights}), make_graph))


def store_with_additions(
    base: Path, key: str, g: nx.MultiDiGraph, nodes: dict[str, dict], edges: list[tuple[str, str, dict]]
) -> EmbeddedStore:
    """A temporary store holding what write_store would write for g plus `nodes` and `edges` (a what-if plan's
    few activities), made by copying the base store of g (`base`, a built store folder) and creating only the
    additions in the copy: a copy and a few statements instead of a rebuild. Removed when the store is dropped.
    Labels, types and property names come from the schema; every value reaches Cypher as a parameter."""
    import ladybug

    schema = load_schema()
    root = Path(tempfile.mkdtemp(prefix="outreach-variant-"))
    final = root / key
    final.mkdir()
    src = Path(base) / "db"
    (shutil.copytree if src.is_dir() else shutil.copy2)(src, final / "db")
    ends = {n: _end(nodes[n] if n in nodes else g.nodes[n], schema) for e in edges for n in e[:2]}
    db = ladybug.Database(str(final / "db"), buffer_pool_size=DEFAULT_BUFFER_POOL_MB * 1024**2)
    try:
        conn = ladybug.Connection(db)
        conn.execute("BEGIN TRANSACTION")
        for d in nodes.values():
            props = {p: d[p] for p in schema.nodes[d["label"]].props if d.get(p) is not None}
            conn.execute(f"CREATE (:{d['label']} {{{', '.join(f'{p}: ${p}' for p in props)}}})", props)
        for u, v, d in edges:
            (lu, ku), (lv, kv) = ends[u], ends[v]
            props = {p: d[p] for p in schema.rels[d["type"]].props if d.get(p) is not None}
            sets = " {" + ", ".join(f"{p}: $p_{p}" for p in props) + "}" if props else ""
            conn.execute(
                f"MATCH (a:{lu}), (b:{lv}) WHERE a.{schema.nodes[lu].key} = $from_key "
                f"AND b.{schema.nodes[lv].key} = $to_key CREATE (a)-[:{d['type']}{sets}]->(b)",
                {"from_key": ku, "to_key": kv, **{f"p_{p}": x for p, x in props.items()}},
            )
        conn.execute("COMMIT")
        conn.execute("CHECKPOINT")
        conn.close()
    finally:
        db.close()
    touch(final)
    return _removed_with(EmbeddedStore(final), root)


def _removed_with(store: EmbeddedStore, root: Path) -> EmbeddedStore:
    """`store`, whose temporary folder `root` is deleted when the store is dropped."""
    import weakref

    weakref.finalize(store, shutil.rmtree, str(root), True)
    return store


def store_for_graph(g: nx.MultiDiGraph, key: str, temporary: bool = False) -> EmbeddedStore:
    """Open (building first if needed) a store for an in-memory graph under `key`. temporary=True (what-if
    variants): the store lives in a temporary folder removed when the returned store is dropped."""
    if not temporary:
        return EmbeddedStore(ensure_built(key, lambda: g))
    root = Path(tempfile.mkdtemp(prefix="outreach-variant-"))
    return _removed_with(EmbeddedStore(ensure_built(key, lambda: g, root)), root)
