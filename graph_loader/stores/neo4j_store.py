"""Neo4j connection settings and the read-only query store used by the runner and the app.

Settings come from NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE (or a dict such as
Streamlit's secrets, or CLI flags). The password is never printed, logged or put in an error message.
Library and free-form queries run in READ transactions, so the server itself refuses any write.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field

DEFAULT_TIMEOUT_S = float(os.environ.get("OUTREACH_NEO4J_TIMEOUT_S", "30"))


class Neo4jError(Exception):
    """One-line, password-free description of a Neo4j failure."""


@dataclass(frozen=True)
class Neo4jSettings:
    uri: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None

    @classmethod
    def from_env(cls, settings: dict | None = None, **overrides) -> Neo4jSettings:
        src = {k.upper(): v for k, v in (settings or {}).items()}
        get = lambda k: overrides.get(k.lower().replace("neo4j_", "")) or src.get(k) or os.environ.get(k)
        uri = overrides.get("uri") or src.get("NEO4J_URI") or os.environ.get("NEO4J_URI")
        if not uri:
            raise Neo4jError(
                "Neo4j is not configured: set NEO4J_URI (and NEO4J_USERNAME / NEO4J_PASSWORD if the "
                "server needs a login), or pass --uri"
            )
        return cls(
            uri=uri,
            user=overrides.get("user") or get("NEO4J_USERNAME"),
            password=overrides.get("password") or get("NEO4J_PASSWORD"),
            database=overrides.get("database") or get("NEO4J_DATABASE"),
        )

    def auth(self):
        return (self.user or "neo4j", self.password) if self.password else None

    def redact(self, text: str) -> str:
        return text.replace(self.password, "***") if self.password else text


def neo4j_configured(settings: dict | None = None) -> bool:
    try:
        Neo4jSettings.from_env(settings)
        return True
    except Neo4jError:
        return False


def describe_error(e: Exception, s: Neo4jSettings) -> str:
    """Map driver exceptions to one clear line (never containing the password)."""
    from neo4j import exceptions as ex

    if isinstance(e, ex.AuthError):
        msg = f"Neo4j at {s.uri} refused the credentials for user {s.user or 'neo4j'!r} (check NEO4J_USERNAME/NEO4J_PASSWORD)"
    elif isinstance(e, (ex.ServiceUnavailable, ex.SessionExpired, ConnectionError, OSError)):
        msg = f"cannot reach Neo4j at {s.uri} (is the server running? {type(e).__name__})"
    elif isinstance(e, ex.ClientError) and "AccessMode" in (e.code or ""):
        msg = "the server refused a write in a read-only transaction (only read queries are accepted)"
    elif isinstance(e, ex.ClientError) and "TransactionTimedOut" in (e.code or "") or "timeout" in str(e).lower():
        msg = f"query stopped by the Neo4j transaction timeout ({e.code or 'timeout'})"
    elif isinstance(e, ex.Neo4jError):
        first = (e.message or str(e)).strip().splitlines()[0] if (e.message or str(e)).strip() else ""
        msg = f"Neo4j error {e.code}: {first}"
    elif isinstance(e, ex.ConfigurationError) or isinstance(e, ValueError):
        msg = f"bad Neo4j settings for {s.uri}: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    else:
        msg = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return s.redact(msg)


_QUIET = logging.NullHandler()


def open_driver(s: Neo4jSettings, retry_s: float = 5):
    """A connected driver; retry_s bounds the driver's own retries of a failed transaction function."""
    from neo4j import GraphDatabase

    # the driver logs a warning (with the server's message) for each transaction it retries; with no handler
    # configured Python would print each to stderr, between the progress bar and the one-line result. A
    # NullHandler keeps them quiet here; an application that configures logging still receives them.
    logging.getLogger("neo4j").addHandler(_QUIET)
    try:
        # notifications off: the server would warn about every property the data happen to lack (e.g. no
        # CONTIGUOUS has to_year), and the driver logs each warning with the whole query text
        driver = GraphDatabase.driver(
            s.uri,
            auth=s.auth(),
            connection_timeout=10,
            max_transaction_retry_time=retry_s,
            notifications_min_severity="OFF",
        )
        driver.verify_connectivity()
        return driver
    except Exception as e:  # noqa: BLE001 — every failure becomes one line
        raise Neo4jError(describe_error(e, s)) from None


class Neo4jStore:
    """Runs Cypher in read transactions with a timeout; reconnects after a server restart.

    A server that restarted between two queries closed the driver's pooled connections; the driver notices
    that and opens new ones by itself. A query that finds the server gone (ServiceUnavailable/SessionExpired)
    makes the store drop its driver and open a fresh one — now, or, if the server is still down, on the next
    query (the store never keeps a closed driver) — counted in `reconnected`, then the query runs once more.
    The driver's own retry loop is off (retry_s=0): it would sleep with back-off for seconds and then fail
    anyway; the store answers at once with one line. Safe to share between threads (the app does).
    """

    def __init__(self, settings: Neo4jSettings, timeout_s: float = DEFAULT_TIMEOUT_S):
        import threading

        self.settings = settings
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._driver = open_driver(settings, retry_s=0)
        self._closed = False
        self._id = uuid.uuid4().hex
        self.reconnected = 0

    @classmethod
    def from_env(cls, settings: dict | None = None, **overrides) -> Neo4jStore:
        return cls(Neo4jSettings.from_env(settings, **overrides))

    def spec(self) -> tuple:
        """What a worker process needs to open the same store: ("neo4j", settings, timeout s, this store's id). It
        carries the password, so it only ever travels through the worker's pipe (never argv or the environment).
        The id gives each store workers of its own, as it had a driver of its own: its reconnects are its own."""
        s = self.settings
        settings = {"uri": s.uri, "user": s.user, "password": s.password, "database": s.database}
        return ("neo4j", settings, self.timeout_s, self._id)

    def _read(self, driver, text: str, params: dict, max_rows: int | None = None):
        from itertools import islice

        from neo4j import READ_ACCESS, unit_of_work

        @unit_of_work(timeout=self.timeout_s)
        def work(tx):
            result = tx.run(text, params)
            keys = list(result.keys())
            records = result if max_rows is None else islice(result, max_rows + 1)
            return keys, [dict(zip(keys, rec.values())) for rec in records]

        with driver.session(database=self.settings.database, default_access_mode=READ_ACCESS) as session:
            return session.execute_read(work)

    def _reconnect(self, failed):
        """A fresh driver in place of `failed` (None: there is none); another thread's fresh one is reused.
        Raises Neo4jError while the server is unreachable, leaving no driver behind."""
        with self._lock:
            if self._driver is not None and self._driver is not failed:
                return self._driver
            if self._driver is not None:
                self._driver.close()
                self._driver = None
            self._driver = open_driver(self.settings, retry_s=0)
            self.reconnected += 1
            return self._driver

    def explain(self, text: str, params: dict | None = None) -> tuple[str, list[str]]:
        """The server's own reading of a query, without running it: (query type — 'r' read only, 'rw', 'w' or
        's' — and every operator of its plan, e.g. ['ProduceResults', 'LoadCSV'])."""

        def operators(plan: dict) -> list[str]:
            own = str(plan.get("operatorType", "")).split("@")[0]
            return [own] + [op for child in plan.get("children", []) for op in operators(child)]

        def work(tx):
            summary = tx.run("EXPLAIN " + text, params or {}).consume()
            return summary.query_type, operators(summary.plan or {})

        return self._session_call(work)

    def _session_call(self, work):
        """work(tx) in a read transaction, reconnecting once after a server restart (as query() does)."""
        from neo4j import READ_ACCESS
        from neo4j import exceptions as ex

        def once(driver):
            with driver.session(database=self.settings.database, default_access_mode=READ_ACCESS) as session:
                return session.execute_read(work)

        try:
            driver = self._driver or self._reconnect(None)
            try:
                return once(driver)
            except (ex.ServiceUnavailable, ex.SessionExpired):
                return once(self._reconnect(driver))
        except Neo4jError:
            raise
        except Exception as e:  # noqa: BLE001
            raise Neo4jError(describe_error(e, self.settings)) from None

    def query(self, text: str, params: dict | None = None, max_rows: int | None = None) -> tuple[list[str], list[dict]]:
        """(columns, rows); with max_rows, fetching stops after max_rows + 1 rows (the caller tells "more")."""
        from neo4j import exceptions as ex

        if self._closed:
            raise Neo4jError(f"the connection to Neo4j at {self.settings.uri} was closed")
        driver = self._driver
        try:
            if driver is None:  # the last query found the server gone
                driver = self._reconnect(None)
            try:
                return self._read(driver, text, params or {}, max_rows)
            except (ex.ServiceUnavailable, ex.SessionExpired):
                # the server went away (e.g. restarted): a fresh driver, one more try
                return self._read(self._reconnect(driver), text, params or {}, max_rows)
        except Neo4jError:
            raise
        except Exception as e:  # noqa: BLE001
            raise Neo4jError(describe_error(e, self.settings)) from None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._driver is not None:
                self._driver.close()
                self._driver = None
