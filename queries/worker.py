"""The query worker: a child process that opens one store and runs queries on it until its input closes.

Started by queries/sandbox.py as `python -m queries.worker MEMORY_MB`. Before it imports any engine it limits
its own address space (RLIMIT_AS), so a query that would grow without bound fails here — as MemoryError, an
engine error, or at worst a crash of this process — and never takes the app's memory. It reads requests and
writes replies as length-prefixed pickles on its standard input and a private copy of its standard output
(the engines' own prints go to standard error instead, so they cannot corrupt a reply).

Requests: first ("open", spec), then ("run", text, params, max_rows) as often as needed. Replies:
("ok", payload) or ("error", one line). A run's payload is {columns, rows, more, reconnected}.
"""

from __future__ import annotations

import os
import pickle
import resource
import struct
import sys

HEADER = struct.Struct("!Q")
DB_HEADROOM_MB = 1024  # what Ladybug may map of a store beyond its size on disk


def db_mapping_mb(size_mb: int) -> int:
    """Address space Ladybug may map for a store of size_mb on disk: a power of two (Ladybug's rule) at least
    DB_HEADROOM_MB beyond the size."""
    return 1 << (size_mb + DB_HEADROOM_MB - 1).bit_length()


def read_frame(stream) -> object | None:
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    return pickle.loads(stream.read(size))


def write_frame(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024**2
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def plain(value):
    """A value any process can unpickle without the engines' classes: the driver's nodes, relationships and
    paths as maps and lists of their properties (with _labels / _type), temporal values as ISO text."""
    from graph_loader.stores.embedded import normalise

    if isinstance(value, (list, tuple)):
        return normalise([plain(v) for v in value])
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    module = type(value).__module__
    if module.startswith("neo4j"):
        if hasattr(value, "labels") and hasattr(value, "items"):  # a node
            return {"_labels": sorted(value.labels), **{k: plain(v) for k, v in value.items()}}
        if hasattr(value, "type") and hasattr(value, "items"):  # a relationship, with what its ends say
            ends = {"_start": value.start_node, "_end": value.end_node}
            return {
                "_type": value.type,
                **{k: plain(v) for k, v in value.items()},
                **{k: plain(n) for k, n in ends.items() if n is not None},
            }
        if hasattr(value, "nodes") and hasattr(value, "relationships"):  # a path
            return {"nodes": [plain(n) for n in value.nodes], "relationships": [plain(r) for r in value.relationships]}
        return value.iso_format() if hasattr(value, "iso_format") else str(value)
    value = normalise(value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def open_store(spec: tuple):
    kind = spec[0]
    if kind == "embedded":
        from graph_loader.stores.embedded import EmbeddedStore, store_size_mb

        _, folder, timeout_ms, pool_mb = spec
        store = EmbeddedStore(folder, timeout_ms, pool_mb, max_db_mb=db_mapping_mb(store_size_mb(folder)))
        store.database()  # opened now: a warm worker answers its first query at once, or says why it cannot
        return store
    if kind == "neo4j":
        from graph_loader.stores.neo4j_store import Neo4jSettings, Neo4jStore

        _, settings, timeout_s, _ = spec
        return Neo4jStore(Neo4jSettings(**settings), timeout_s)
    raise ValueError(f"unknown store kind {kind!r}")


def run(store, text: str, params: dict, max_rows: int | None) -> dict:
    from .guard import plan_refusal

    before = getattr(store, "reconnected", 0)  # before the plan too: asking for it may be what reconnects
    if hasattr(store, "explain"):  # the engine's own plan decides too, before anything runs
        why = plan_refusal(*store.explain(text, params))
        if why:
            return {"refused": why}
    columns, rows = store.query(text, params, max_rows=max_rows)
    more = max_rows is not None and len(rows) > max_rows
    rows = rows[:max_rows] if more else rows
    return {
        "columns": list(columns),
        "rows": [{c: plain(r[c]) for c in columns} for r in rows],
        "more": more,
        "reconnected": getattr(store, "reconnected", 0) - before,
    }


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def main(argv: list[str]) -> int:
    out = os.fdopen(os.dup(1), "wb")  # replies only; fd 1 now goes where fd 2 goes
    os.dup2(2, 1)
    limit_memory(int(argv[0]))
    inp = sys.stdin.buffer
    store = None
    while True:
        try:
            request = read_frame(inp)
        except (EOFError, pickle.UnpicklingError):
            return 0
        if request is None:  # the app closed the pipe (or went away): nothing more to do
            return 0
        try:
            if request[0] == "open":
                store = open_store(request[1])
                write_frame(out, ("ok", None))
            else:
                _, text, params, max_rows = request
                write_frame(out, ("ok", run(store, text, params, max_rows)))
        except MemoryError:
            write_frame(out, ("memory", "ran out of memory"))
        except Exception as e:  # noqa: BLE001 — every failure is one line for the page
            write_frame(out, ("memory" if "bad_alloc" in str(e) else "error", first_line(e)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
