"""Queries run where they cannot hurt the app: warm worker processes (queries/worker.py), one store each.

Each worker limits its own address space (OUTREACH_QUERY_MEMORY_MB beyond the store's mapping) and is ended
by the app when a query outlives its wall-clock limit (OUTREACH_QUERY_WALL_S; default the engine's own
timeout + 5 s). Fetching stops at a row cap (OUTREACH_QUERY_MAX_ROWS). A crash, an out-of-memory or a
timeout becomes one clear line (QueryError) and a fresh worker is started in the background; the app, and
every other session's queries, go on. Up to WORKERS_PER_STORE workers serve one store at once, and at most
MAX_WORKERS stay alive in all (the least recently used idle one is ended first).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import QueryError
from .worker import HEADER

ROOT = Path(__file__).resolve().parents[1]
MAX_REPLY = 256 * 1024**2  # bytes of one reply


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        raise QueryError(f"{name}={raw!r} is not a number") from None


@dataclass(frozen=True)
class Limits:
    """memory_mb: address space a worker may use beyond its store's mapping; wall_s: seconds before a
    query's worker is ended (None: the engine's timeout + 5 s); max_rows: rows fetched before it stops."""

    memory_mb: int = 2048
    wall_s: float | None = None
    max_rows: int = 50_000

    @classmethod
    def from_env(cls) -> Limits:
        wall = os.environ.get("OUTREACH_QUERY_WALL_S")
        return cls(
            memory_mb=int(_env_number("OUTREACH_QUERY_MEMORY_MB", cls.memory_mb)),
            wall_s=_env_number("OUTREACH_QUERY_WALL_S", 0) if wall else None,
            max_rows=int(_env_number("OUTREACH_QUERY_MAX_ROWS", cls.max_rows)),
        )

    def wall_for(self, spec: tuple) -> float:
        if self.wall_s:
            return self.wall_s
        engine_s = spec[2] / 1000 if spec[0] == "embedded" else spec[2]
        return engine_s + 5


class WorkerGone(Exception):
    """The worker process ended or stopped answering; the message says how."""


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


class Worker:
    """One worker process with its store open."""

    def __init__(self, spec: tuple, limits: Limits):
        self.spec, self.limits = spec, limits
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "queries.worker", str(limits.memory_mb + _mapping_mb(spec))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            start_new_session=True,
        )  # a Ctrl-C in the terminal is the app's to handle, not the worker's
        self.used = time.monotonic()
        status, payload = self.call(("open", spec), 60)
        if status != "ok":
            self.end()
            raise QueryError(f"cannot open the store in a query worker: {payload}")

    def call(self, request, wall_s: float):
        """Send a request; the reply, or WorkerGone (the process ended, or was ended after wall_s)."""
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.proc.stdin.write(HEADER.pack(len(data)) + data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerGone(self._ended()) from None
        deadline = time.monotonic() + wall_s
        head = self._read(HEADER.size, deadline, wall_s)
        (size,) = HEADER.unpack(head)
        if size > MAX_REPLY:
            self.end()
            raise WorkerGone(f"the result is larger than {MAX_REPLY // 1024**2} MB; ask for fewer rows or columns")
        reply = pickle.loads(self._read(size, deadline, wall_s))
        self.used = time.monotonic()
        return reply

    def _read(self, size: int, deadline: float, wall_s: float) -> bytes:
        fd, chunks, got = self.proc.stdout.fileno(), [], 0
        while got < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.end()
                raise WorkerGone(
                    f"the query ran longer than {wall_s:g} s and was stopped (its worker process was "
                    "ended; OUTREACH_QUERY_WALL_S sets the limit)"
                )
            chunk = os.read(fd, min(size - got, 1 << 20))
            if not chunk:
                raise WorkerGone(self._ended())
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _ended(self) -> str:
        code = self.proc.wait()
        how = f"crashed ({_signal_name(code)})" if code < 0 else f"exited with status {code}"
        return (
            f"the query engine {how} on this query — often a query that needs more memory than the "
            f"{self.limits.memory_mb} MB a query may use (OUTREACH_QUERY_MEMORY_MB); it ran in a separate "
            "worker process, so nothing else is affected"
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _mapping_mb(spec: tuple) -> int:
    """Address space the store's own mapping takes in the worker (the limit is set beyond it)."""
    if spec[0] != "embedded":
        return 0
    from graph_loader.stores.embedded import store_size_mb

    from .worker import db_mapping_mb

    return db_mapping_mb(store_size_mb(spec[1])) + spec[3]


class Pool:
    """Warm workers by store. Thread-safe: each worker serves one query at a time."""

    def __init__(self, per_store: int = 2, max_workers: int = 6, limits: Limits | None = None):
        self.per_store, self.max_workers = per_store, max_workers
        self.limits = limits or Limits.from_env()
        self._idle: dict[bytes, list[Worker]] = {}
        self._busy: dict[bytes, int] = {}
        self._cond = threading.Condition()

    @staticmethod
    def _key(spec: tuple) -> bytes:
        return pickle.dumps(spec)

    def _take(self, key: bytes, spec: tuple) -> Worker:
        with self._cond:
            while True:
                idle = self._idle.get(key)
                while idle:
                    worker = idle.pop()
                    if worker.alive():
                        self._busy[key] = self._busy.get(key, 0) + 1
                        return worker
                    worker.end()
                if self._busy.get(key, 0) < self.per_store:
                    self._busy[key] = self._busy.get(key, 0) + 1
                    self._evict()
                    break
                self._cond.wait()
        try:
            return Worker(spec, self.limits)
        except BaseException:
            self._release(key, None)
            raise

    def _evict(self) -> None:
        """End the least recently used idle workers while more than max_workers are alive (lock held)."""
        idle = sorted((w.used, k, w) for k, ws in self._idle.items() for w in ws)
        alive = len(idle) + sum(self._busy.values())
        for _, key, worker in idle[: max(0, alive - self.max_workers)]:
            self._idle[key].remove(worker)
            worker.end()

    def _release(self, key: bytes, worker: Worker | None) -> None:
        with self._cond:
            self._busy[key] -= 1
            if worker is not None:
                self._idle.setdefault(key, []).append(worker)
            self._cond.notify_all()

    def warm(self, spec: tuple) -> None:
        """Start a worker for the store now (in the background), so the next query finds one ready."""

        def start():
            try:
                key = self._key(spec)
                self._release(key, self._take(key, spec))
            except QueryError:
                pass  # the next query reports why the store cannot be opened

        threading.Thread(target=start, name="query-worker-warm", daemon=True).start()

    def run(self, spec: tuple, text: str, params: dict, max_rows: int | None = None) -> dict:
        """Run one query on the store `spec` describes: {columns, rows, more, reconnected} or QueryError."""
        key = self._key(spec)
        worker = self._take(key, spec)
        rows = self.limits.max_rows if max_rows is None else max_rows
        try:
            status, payload = worker.call(("run", text, params, rows), self.limits.wall_for(spec))
        except WorkerGone as e:
            worker.end()
            self._release(key, None)
            self.warm(spec)
            raise QueryError(str(e)) from None
        except BaseException:
            worker.end()
            self._release(key, None)
            raise
        self._release(key, worker)
        if status == "memory":
            raise QueryError(
                f"the query needed more memory than the {self.limits.memory_mb} MB a query may use "
                f"(OUTREACH_QUERY_MEMORY_MB) and was stopped ({payload})"
            )
        if status != "ok":
            raise QueryError(f"engine error: {payload}")
        if "refused" in payload:
            raise QueryError(payload["refused"])
        return payload

    def close(self) -> None:
        with self._cond:
            for workers in self._idle.values():
                for worker in workers:
                    worker.end()
            self._idle.clear()


_pool: Pool | None = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    """The process's one pool (the app's sessions share it)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = Pool(limits=Limits.from_env())
        return _pool
