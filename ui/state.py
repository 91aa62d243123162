"""What every page shares: the cached graph, stores and runners, the backend switch, cached query results.

st.cache_resource holds objects (graph, stores, Neo4j driver); st.cache_data holds query rows keyed by
(backend, query, parameters). The backend choice lives in st.session_state["backend"], set by the
sidebar switch every page draws (persisted for the session across page switches).
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("OUTREACH_DATA") or ROOT / "data")
NEO4J_KEYS = ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE")
BACKEND_LABELS = {"embedded": "Embedded (in-process, zero set-up)", "neo4j": "Neo4j server"}


# ----------------------------------------------------------------------------------------- resources
def model_name() -> str | None:
    """The risk model of the analysis context (None: the default preset, which the plain build uses)."""
    from graph_loader.risk import default_preset

    name = st.session_state.get("ctx_model_name")
    return None if not name or name == default_preset() else name


def _model(name: str | None):
    from graph_loader.risk import load_model

    return None if name is None else load_model(name)


@st.cache_resource(show_spinner="Loading and validating data/ (first load only) …", max_entries=3)
def _graph(model: str | None):
    from graph_loader.pipeline import load

    return load(DATA_DIR, _model(model))


def graph():
    """(graph, dataset) of data/ scored with the context's risk model: validated, built and scored once per
    process and model."""
    return _graph(model_name())


@st.cache_resource(show_spinner="Opening the embedded store (built once per data version) …", max_entries=3)
def _embedded_store(model: str | None):
    from graph_loader.stores.embedded import store_for_data
    from queries.sandbox import pool

    store = store_for_data(DATA_DIR, _model(model), loaded=lambda: _graph(model)[0])
    pool().warm(store.spec())
    return store


def embedded_store():
    """The embedded store of data/ (context's risk model); a query worker for it starts at once, so the first
    query finds it warm."""
    return _embedded_store(model_name())


@st.cache_resource(show_spinner=False, max_entries=8)
def variant_store(key: str, _plan: tuple):
    """Embedded store of a what-if plan (tuple of sorted item tuples) over data/, made once per key: the base
    store copied with the plan's activities created in it; removed from disk when the cache drops it."""
    from graph_loader.stores.embedded import store_with_additions
    from graph_loader.whatif import additions

    g = graph()[0]
    nodes, edges = additions(g, [dict(a) for a in _plan])
    return store_with_additions(embedded_store().folder, key, g, nodes, edges)


def base_fingerprint() -> str:
    """What a what-if plan is added to: the embedded store's key (a hash of data/, the schema, the weights and
    the code that builds it)."""
    return embedded_store().folder.name


@st.cache_resource(show_spinner=False)
def registry():
    """The library (queries/) and the analysts' saved queries (queries.registry.user_folder()); cleared when a
    query is saved or deleted."""
    from queries.registry import load_registry, user_folder

    return load_registry(saved=user_folder())


# -------------------------------------------------------------------------------------------- Neo4j
def neo4j_settings() -> dict:
    """NEO4J_* values from .streamlit/secrets.toml (top level or a [neo4j] table); {} when there are none."""
    try:
        secrets = dict(st.secrets)
    except Exception:  # no secrets file: the environment is used
        return {}
    section = secrets.get("neo4j") if isinstance(secrets.get("neo4j"), dict) else secrets
    return {k: str(section[k]) for k in NEO4J_KEYS if k in section}


def neo4j_status() -> tuple[bool, str]:
    """(available, reason). Never reveals the password."""
    try:
        mod = importlib.import_module("graph_loader.stores.neo4j_store")
    except ImportError:
        return False, "the Neo4j store module (graph_loader/stores/neo4j_store.py) is not available"
    except Exception as e:  # a broken module must not take the app down
        return False, f"the Neo4j store module failed to load ({type(e).__name__})"
    try:
        ok = bool(mod.neo4j_configured(neo4j_settings() or None))
    except Exception as e:
        return False, f"cannot read the Neo4j settings ({type(e).__name__})"
    if not ok:
        return False, "not configured: set NEO4J_URI, NEO4J_USERNAME and NEO4J_PASSWORD (environment or secrets)"
    return True, "configured"


def _neo4j_key() -> str:
    """The Neo4j settings in use (secrets, else environment) as a cache key; the password only as a hash."""
    import hashlib

    secrets = neo4j_settings()
    values = [secrets.get(k) or os.environ.get(k) or "" for k in NEO4J_KEYS]
    i = NEO4J_KEYS.index("NEO4J_PASSWORD")
    values[i] = hashlib.sha256(values[i].encode()).hexdigest()
    return json.dumps(values)


@st.cache_resource(show_spinner=False)
def _neo4j_store(key: str):
    """One store per distinct settings for the life of the process (it reconnects by itself after a server
    restart). A failure raises, and st.cache_resource does not cache it."""
    from graph_loader.stores.neo4j_store import Neo4jStore

    return Neo4jStore.from_env(neo4j_settings() or None)


@st.cache_resource(show_spinner=False)
def _neo4j_failures() -> dict:
    """{settings key: (monotonic time, one-line reason)} of the last failed connection attempt."""
    return {}


NEO4J_RETRY_S = 60


def neo4j_connection() -> tuple[object | None, str]:
    """(store, "") or (None, one-line reason); a failure is remembered for 60 s so pages do not each wait.

    A working store is kept (not re-created every minute: that leaked one driver and its connections per
    minute), and it is keyed by the settings, so changed NEO4J_* values get their own store."""
    import time

    key, failures = _neo4j_key(), _neo4j_failures()
    failed = failures.get(key)
    if failed and time.monotonic() - failed[0] < NEO4J_RETRY_S:
        return None, failed[1]
    try:
        store = _neo4j_store(key)
    except Exception as e:  # the store's errors are one line and never contain the password
        failures[key] = (time.monotonic(), (str(e).strip().splitlines() or [type(e).__name__])[0])
        return None, failures[key][1]
    failures.pop(key, None)
    return store, ""


def neo4j_reconnects() -> int:
    """How often the Neo4j store in use has reconnected (0 on the embedded backend)."""
    if backend() != "neo4j":
        return 0
    return getattr(neo4j_connection()[0], "reconnected", 0)


def reconnect_notice(before: int) -> str:
    """One line when the Neo4j store reconnected since `before` (a neo4j_reconnects() value), else ''."""
    if neo4j_reconnects() <= before:
        return ""
    return (
        "Reconnected to Neo4j: the server had gone away (restarted?) and the store opened a new connection; "
        "these rows come from the new connection."
    )


def debug_checksum() -> str | None:
    """With OUTREACH_DEBUG_CHECKSUM set: sha256 of the cached graph recomputed now (tests use it to check
    that no session ever changes the shared graph); None otherwise."""
    if not os.environ.get("OUTREACH_DEBUG_CHECKSUM"):
        return None
    from graph_loader.whatif import graph_checksum

    return graph_checksum(graph()[0])


# ------------------------------------------------------------------------------------- backend switch
def backend() -> str:
    """The backend queries run on: 'neo4j' only when chosen, configured and reachable, else 'embedded'."""
    if st.session_state.get("backend") != "neo4j" or not neo4j_status()[0]:
        return "embedded"
    return "neo4j" if neo4j_connection()[0] is not None else "embedded"


def backend_sidebar() -> str:
    """Draw the backend switch (same key on every page) and return the backend in use."""
    ok, reason = neo4j_status()
    label = lambda b: BACKEND_LABELS[b] + ("" if b == "embedded" or ok else " — unavailable")
    st.sidebar.radio(
        "Query backend",
        ["embedded", "neo4j"],
        key="backend",
        format_func=label,
        persist_state="session",
        help="Where the Cypher library runs. Embedded needs nothing installed; Neo4j needs "
        "NEO4J_URI, NEO4J_USERNAME and NEO4J_PASSWORD.",
    )
    if not ok:
        st.sidebar.caption(f"Neo4j unavailable: {reason}.")
    if st.session_state.get("backend") == "neo4j" and backend() == "embedded":
        why = reason if not ok else neo4j_connection()[1]
        st.sidebar.warning(f"Neo4j cannot be used ({why}); queries run on the embedded store.")
    return backend()


def runner(which: str | None = None):
    from queries import Runner

    which = which or backend()
    if which == "neo4j":
        store, why = neo4j_connection()
        if store is None:
            from queries import QueryError

            raise QueryError(f"Neo4j cannot be used: {why}")
        return Runner("neo4j", store=store, registry=registry())
    return Runner("embedded", store=embedded_store(), registry=registry())


def _freeze(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


@st.cache_data(show_spinner=False, max_entries=512)
def _run_cached(
    which: str, name: str, params_json: str, server: str = "", model: str | None = None
) -> tuple[list[str], list[dict], bool]:
    res = runner(which).run(name, json.loads(params_json))
    return res.columns, res.rows, res.more


def query(name: str, **params) -> tuple[list[str], list[dict]]:
    """(columns, rows) of a library query on the current backend (cached by backend, name, parameters and, on
    Neo4j, the settings: rows of one server are never served for another)."""
    return query_capped(name, **params)[:2]


def query_capped(name: str, **params) -> tuple[list[str], list[dict], bool]:
    """state.query and whether fetching stopped at the row cap (the rows are then the first ones)."""
    which = backend()
    return _run_cached(
        which,
        name,
        _freeze(params),
        _neo4j_key() if which == "neo4j" else "",
        model_name() if which == "embedded" else None,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _run_variant(key: str, name: str, params_json: str) -> tuple[list[str], list[dict]]:
    from queries import Runner

    store = variant_store(key, None)  # made by variant_query() before any query of this key
    res = Runner("embedded", store=store, registry=registry()).run(name, json.loads(params_json))
    return res.columns, res.rows


def _md(text) -> str:
    from .render import md

    return md(text)


def query_or_error(name: str, **params) -> tuple[list[str], list[dict]]:
    """state.query, or an error box and no rows (a failing section must not blank the page)."""
    try:
        return query(name, **params)
    except Exception as e:
        st.error(f"{name} failed: " + _md(e))
        return [], []


def variant_query(key: str, plan: tuple, name: str, **params) -> tuple[list[str], list[dict]]:
    """(columns, rows) of a library query on a what-if plan's embedded store."""
    variant_store(key, plan)
    return _run_variant(key, name, _freeze(params))


@st.cache_resource(show_spinner=False, max_entries=3)
def _risk_inputs(model: str | None):
    from graph_loader.risk import risk_inputs

    return risk_inputs(_graph(model)[0])


@st.cache_data(show_spinner=False, max_entries=64)
def _risk_rows(year: int, model: str | None) -> list[dict]:
    from graph_loader import risk

    inp = _risk_inputs(model)
    return risk.rank_rows(inp, risk.scored_year(inp, year), _model(model))


def risk_inputs():
    """risk.RiskInputs of the graph (the dyadic figures risk scoring and the ties view read)."""
    return _risk_inputs(model_name())


def schema_styles() -> dict:
    from graph_loader.schema import load_schema

    return load_schema().styles


def risk_rows(year: int) -> list[dict]:
    """risk.rank_rows of the scored year nearest `year`, with the context's risk model."""
    return _risk_rows(int(year), model_name())


def tiers(year: int, source: str) -> dict[str, tuple[str | None, str]]:
    """{iso3: (tier, 'analysts' | 'model')} of the recipients for `year` from `source` (risk.tiers_by_source)."""
    from graph_loader.risk import tiers_by_source

    return tiers_by_source(risk_rows(year), source)


@st.cache_resource(show_spinner=False)
def choices() -> dict:
    """Options for the pages' selects, read once from the graph: countries (iso3 → name), partners,
    recipients, tools, programmes, labels, relationship types, activity/trade year bounds, risk years."""
    from graph_loader.graph import edge_values

    g, ds = graph()
    by_label: dict[str, list] = {}
    for _, d in g.nodes(data=True):
        by_label.setdefault(d["label"], []).append(d)
    countries = {d["iso3"]: d["name"] for d in sorted(by_label["Country"], key=lambda d: d["name"])}
    years = [d["year"] for lb in ("Activity", "Meeting", "Request") for d in by_label.get(lb, [])]
    years += edge_values(g, "TRADES_WITH", "year")
    return {
        "countries": countries,
        "partners": sorted(d["iso3"] for d in by_label["Country"] if d.get("partner")),
        "recipients": [i for i in countries if g.nodes[f"Country:{i}"].get("recipient")],
        "tools": sorted(d["tool_id"] for d in by_label.get("Tool", [])),
        "programmes": sorted(d["programme_id"] for d in by_label.get("Programme", [])),
        "labels": list(ds.schema.nodes),
        "rel_types": list(ds.schema.rels),
        "years": (min(years), max(years)),
        "activity_years": (min(d["year"] for d in by_label["Activity"]), max(d["year"] for d in by_label["Activity"])),
        "risk_years": sorted({d["year"] for d in by_label.get("RiskScore", [])}),
        "risk_year": g.graph.get("risk_year"),
    }


def country_label(iso3: str) -> str:
    name = choices()["countries"].get(iso3)
    return f"{name} ({iso3})" if name else iso3
