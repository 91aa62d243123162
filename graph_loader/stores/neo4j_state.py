"""Content hashes of what a Neo4j sync wrote, kept in the database, so that a re-sync compares hashes, not rows.

Each node label and relationship type (a "kind", named "node:Label" or "rel:TYPE") has its items (a node by its
schema key, a relationship by its `_key`) spread over B buckets, B a power of two, bucket(k) = crc32(repr(k)) mod B.

  item hash    h(p)  = first 8 bytes of blake2b(marshal(p, version 2)) as a signed 64-bit int — p is the complete
                       property map the sync writes (key included), so any change of a value, a name or a type
                       changes h; marshal keeps the map's order, so the same data built in another order is only
                       re-compared, never missed.
  bucket hash  H(b)  = sum of h over the bucket's items, mod 2^64, as a signed 64-bit int (order-free).
  kind hash    W     = first 8 bytes of blake2b over marshal(the property maps in row order) — one pass in C,
                       about half the cost of the item hashes: an unchanged kind is recognised by W alone.

The database holds, per kind, one root `(:_SyncState {id: "node:Label", root: true, w: W, h: [H(0), ...,
H(B-1)]})` and one node per bucket `(:_SyncState {id: "node:Label:b", k: [keys], h: [item hashes]})`. A re-sync
reads the roots only; a kind whose W differs is hashed item by item, and a bucket whose H differs is read and
compared item by item.

A root marked `dirty` (a sync was writing this kind and did not finish) or missing (never synced, or dropped by
the register, which writes nodes itself: invalidate()) means "unknown": that kind is compared row by row with
what the server holds, as a sync without hashes does, and its state is written anew.
"""

from __future__ import annotations

import marshal
import zlib
from dataclasses import dataclass, field
from hashlib import blake2b

STATE = "_SyncState"
BUCKET_ITEMS = 16  # items per bucket aimed at: a 1 % change spread at random touches 1 - 0.99^16 = 15 % of buckets
_M64, _S64 = 1 << 64, 1 << 63


def kind_id(kind: str, name: str) -> str:
    """ "node:Country", "rel:TRADES_WITH": the root's id; a bucket's is that + ":b"."""
    return f"{kind}:{name}"


def item_hash(props: dict) -> int:
    """h(p): 64-bit content hash of one complete property map (see the module docstring)."""
    try:
        data = marshal.dumps(props, 2)
    except ValueError:  # a value marshal does not know (a date, a numpy scalar): its repr is as stable
        data = repr(props).encode()
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little", signed=True)


def whole_hash(rows: list[dict], chunk: int = 10_000) -> int:
    """W: the kind hash of rows (see the module docstring), marshalled in chunks to bound the memory."""
    d = blake2b(digest_size=8)
    for i in range(0, len(rows), chunk):
        props = [r["p"] for r in rows[i : i + chunk]]
        try:
            d.update(marshal.dumps(props, 2))
        except ValueError:  # see item_hash
            d.update(repr(props).encode())
    return int.from_bytes(d.digest(), "little", signed=True)


def bucket_of(key, buckets: int) -> int:
    return zlib.crc32(repr(key).encode()) & (buckets - 1)


def bucket_count(items: int) -> int:
    """B: the power of two nearest above items / BUCKET_ITEMS (at least 1)."""
    b = 1
    while b * BUCKET_ITEMS < items:
        b *= 2
    return b


def _signed(x: int) -> int:
    return (x + _S64) % _M64 - _S64


@dataclass
class Digest:
    """The data's side of one kind: per bucket {key: (h, row)} and the bucket hashes H."""

    buckets: int
    items: list[dict] = field(default_factory=list)
    sums: list[int] = field(default_factory=list)
    whole: int = 0  # W

    @classmethod
    def of(cls, rows: list[dict], buckets: int, whole: int | None = None) -> Digest:
        """rows: [{"k": key, "p": props, ...}]; a key given twice keeps its last row (as the writes would);
        whole: W when already known."""
        items: list[dict] = [{} for _ in range(buckets)]
        mask = buckets - 1
        crc, dumps, digest, from_bytes = zlib.crc32, marshal.dumps, blake2b, int.from_bytes
        for r in rows:  # item_hash() inlined: this loop is most of a re-sync's time
            k, p = r["k"], r["p"]
            try:
                data = dumps(p, 2)
            except ValueError:
                data = repr(p).encode()
            h = from_bytes(digest(data, digest_size=8).digest(), "little", signed=True)
            items[crc(repr(k).encode()) & mask][k] = (h, r)
        sums = [_signed(sum(h for h, _ in b.values())) for b in items]
        return cls(buckets, items, sums, whole_hash(rows) if whole is None else whole)

    def rows(self) -> dict:
        """{key: row}, one row per key."""
        return {k: row for b in self.items for k, (_, row) in b.items()}

    def differing(self, held: list[int]) -> list[int]:
        """Buckets whose hash differs from the held root's list."""
        return [b for b, (mine, theirs) in enumerate(zip(self.sums, held)) if mine != theirs]

    def bucket_row(self, kid: str, b: int) -> dict:
        keys = list(self.items[b])
        return {"id": f"{kid}:{b}", "k": keys, "h": [self.items[b][k][0] for k in keys]}


def read_roots(session) -> dict[str, tuple[int, list[int]] | None]:
    """{kind id: (W, [H(b)])} for every root; None for a root marked dirty (its kind is then compared row by row)."""
    text = f"MATCH (s:{STATE}) WHERE s.root RETURN s.id, s.dirty, s.w, s.h"
    return session.execute_read(lambda tx: {r[0]: None if r[1] else (r[2], r[3]) for r in tx.run(text)})


def read_buckets(session, ids: list[str]) -> dict[str, dict]:
    """{bucket id: {key: h}} of the given buckets (an absent bucket reads as empty)."""
    text = f"UNWIND $ids AS i MATCH (s:{STATE} {{id: i}}) RETURN s.id, s.k, s.h"

    def work(tx):
        return {r[0]: dict(zip(r[1] or [], r[2] or [])) for r in tx.run(text, ids=ids)}

    return session.execute_read(work)


def mark_dirty(tx, kids: list[str]) -> None:
    """Before a sync writes these kinds (their roots made if missing): if it stops midway, the next sync compares
    them row by row. write_roots() cleans only roots still dirty, so a kind the register invalidated meanwhile
    (its root deleted) stays without hashes."""
    tx.run(f"UNWIND $ids AS i MERGE (s:{STATE} {{id: i}}) SET s.root = true, s.dirty = true", ids=kids).consume()


def write_buckets(tx, rows: list[dict], new: bool = False) -> None:
    """rows: [{id, k, h}]; new=True: none of them exists (its kind was dropped), so CREATE without a look-up."""
    verb = "CREATE" if new else "MERGE"
    tx.run(f"UNWIND $rows AS row {verb} (s:{STATE} {{id: row.id}}) SET s.k = row.k, s.h = row.h", rows=rows).consume()


def write_roots(tx, rows: list[dict]) -> None:
    """rows: [{id, w: W, h: [H(b)]}]; each root that mark_dirty() marked and nobody deleted since becomes clean."""
    tx.run(
        f"UNWIND $rows AS row MATCH (s:{STATE} {{id: row.id}}) WHERE s.dirty SET s.w = row.w, s.h = row.h "
        "REMOVE s.dirty",
        rows=rows,
    ).consume()


def drop_buckets(tx, kids: list[str]) -> None:
    """Remove these kinds' buckets (before their state is written anew, with a possibly other B)."""
    tx.run(f"UNWIND $ids AS i MATCH (s:{STATE}) WHERE s.id STARTS WITH i + ':' DELETE s", ids=kids).consume()


def invalidate(tx, labels=(), types=()) -> None:
    """Forget the hashes of these labels and relationship types (for a writer other than the sync, e.g. the
    register): the next sync compares them row by row with what the server holds."""
    ids = [kind_id("node", x) for x in labels] + [kind_id("rel", x) for x in types]
    tx.run(f"UNWIND $ids AS i MATCH (s:{STATE} {{id: i}}) DELETE s", ids=ids).consume()


def constraint_statement() -> str:
    return f"CREATE CONSTRAINT `{STATE}_id_unique` IF NOT EXISTS FOR (s:{STATE}) REQUIRE s.id IS UNIQUE"
