"""The measured stages. Each runs in a child process of `python -m benchmarks` (fresh interpreter, so one
stage's caches and memory never colour another's) and writes one JSON object to the file named by --out:

    python -m benchmarks.stages STAGE --data DIR --out FILE [--repeat N] [...]

Timings exclude interpreter start-up and imports; medians are taken by the parent (or here, for stages
that repeat inside one process). Peak memory is measured by the parent with os.wait4 on this process.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# the queries the Coverage page runs (app_pages/2_Coverage.py): the "coverage queries" of the targets
COVERAGE_QUERIES = ("coverage_matrix", "coverage_gaps", "assignment_gaps", "partner_overlap", "schedule_conflicts")


def now() -> float:
    return time.perf_counter()


def median(xs):
    return statistics.median(xs) if xs else None


# ------------------------------------------------------------------------------------------- load / parse
def stage_load(a) -> dict:
    """One repetition of read+validate+build (and, with --full, risk scoring as pipeline.load does; with
    --store too, the embedded store written: `ready_s`, the graph, its tables, the risk scores and the store)."""
    import pandas  # noqa: F401  (pyarrow imports it on first use: load it with the other modules, off the clock)

    from graph_loader.build import build_graph
    from graph_loader.graph import number_of_relationships
    from graph_loader.risk import write_scores
    from graph_loader.schema import load_schema
    from graph_loader.stores.embedded import write_store
    from graph_loader.validate import validate

    schema = load_schema()
    t0 = now()
    ds = validate(a.data, schema)
    t1 = now()
    g = build_graph(ds)
    t2 = now()
    out = {
        "validate_s": t1 - t0,
        "build_s": t2 - t1,
        "read_validate_build_s": t2 - t0,
        "rows": sum(len(t) for t in ds.tables.values()),
        "nodes": g.number_of_nodes(),
        "relationships": number_of_relationships(g),  # the graph's edges and the bulk tables' rows
    }
    if a.full:
        write_scores(g)
        out["write_scores_s"] = now() - t2
        out["full_load_s"] = now() - t0
    if a.full and a.store:
        tmp = Path(tempfile.mkdtemp(prefix="outreach-bench-ready-"))
        try:
            t3 = now()
            write_store(g, tmp / "db")
            out["write_store_s"] = now() - t3
            out["ready_s"] = now() - t0
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def stage_floor(a) -> dict:
    """Parse every data file the schema names with the fastest CSV reader available (nothing else)."""
    from graph_loader.schema import load_schema

    files = [Path(a.data) / f for f in load_schema().files()]
    try:
        import pyarrow.csv as pacsv

        reader = f"pyarrow.csv {__import__('pyarrow').__version__} (multi-threaded, type inference)"
        parse = lambda p: pacsv.read_csv(p).num_rows
    except ImportError:
        import pandas as pd

        reader = f"pandas {pd.__version__} read_csv(engine='c', dtype=str)"
        parse = lambda p: len(pd.read_csv(p, engine="c", dtype=str, keep_default_na=False))
    parse(files[0])  # warm the reader's lazy imports
    t0 = now()
    rows = sum(parse(p) for p in files)
    parse_s = now() - t0
    # A second, context floor: Python's csv module turning every file into lists of str — what any pipeline
    # that holds the data as Python objects (as networkx does) pays before checking a single value.
    t0 = now()
    for p in files:
        with p.open(newline="", encoding="utf-8") as fh:
            for _ in csv.reader(fh):
                pass
    return {
        "parse_s": parse_s,
        "python_csv_s": now() - t0,
        "reader": reader,
        "rows": rows,
        "bytes": sum(p.stat().st_size for p in files),
    }


def _load_graph(data):
    from graph_loader.pipeline import load

    t0 = now()
    g, ds = load(data)
    return g, ds, now() - t0


# --------------------------------------------------------------------------------------------------- risk
def stage_risk(a) -> dict:
    from graph_loader import risk

    g, _, load_s = _load_graph(a.data)
    weights = risk.load_weights()
    res: dict[str, list] = {"inputs_s": [], "one_year_s": [], "all_years_s": [], "write_scores_s": []}
    year = None
    for _ in range(a.repeat):
        t0 = now()
        inp = risk.risk_inputs(g)
        t1 = now()
        year = risk.check_year(inp, None)
        risk.rank_rows(inp, year, weights)
        t2 = now()
        for y in inp.years:
            risk.rank_rows(inp, y, weights)
        t3 = now()
        risk.write_scores(g, weights)
        t4 = now()
        for k, v in zip(res, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            res[k].append(v)
    return {
        "year": year,
        "years": len(inp.years),
        "countries": len(inp.countries),
        "graph_load_s": load_s,
        **{k: median(v) for k, v in res.items()},
        "runs": res,
    }


# ------------------------------------------------------------------------------------------------ queries
def data_years(g) -> tuple[int, int]:
    from graph_loader.graph import edge_values

    ys = edge_values(g, "TRADES_WITH", "year")
    ys = ys or [d["year"] for _, d in g.nodes(data=True) if d["label"] == "Activity"]
    return (min(ys), max(ys)) if ys else (2008, 2008)


def busiest_recipient(g) -> str:
    counts: dict[str, int] = {}
    for _, v, d in g.edges(data=True):
        if d["type"] == "TARGETS":
            counts[v] = counts.get(v, 0) + 1
    return max(sorted(counts), key=counts.get)[len("Country:") :] if counts else "CHN"


def param_sets(registry, g) -> dict[str, dict[str, dict]]:
    """{query: {"default": params, "window": params}}. default = the header's defaults (plus a country for
    country_profile, which has no default); window = a world-scale set: the whole span of the data's years
    for window queries, the latest year for year queries (only where it differs from the default)."""
    first, last = data_years(g)
    iso3 = busiest_recipient(g)
    out = {}
    for name, q in registry.items():
        names = {p.name for p in q.params}
        default = {"iso3": iso3} if name == "country_profile" else {}
        window = {}
        if {"year_from", "year_to"} <= names:
            window.update(year_from=first, year_to=last)
        if "year" in names:
            window["year"] = last
        if name == "handover_risk":
            window.update(as_of_year=(first + last) // 2, as_of_month=6, months=24)
        if name == "unmet_requests":
            window["as_of_year"] = last
        sets = {"default": default}
        if window:
            sets["window"] = {**default, **window}
        out[name] = sets
    return out


SLOW_MS = 5000  # a query slower than this on its warm-up run is not repeated (its warm-up time is reported)


def time_queries(runner, sets: dict, repeat: int) -> dict:
    """Median ms per query and parameter set (one untimed warm-up run first); errors are recorded, not raised.
    A query whose warm-up takes more than SLOW_MS is reported with that one run (keeps world-scale runs bounded)."""
    out = {}
    for name, variants in sets.items():
        out[name] = {}
        for label, params in variants.items():
            try:
                t0 = now()
                n = len(runner.run(name, params).rows)  # warm-up (plans, caches)
                warm = (now() - t0) * 1000
                if warm > SLOW_MS:
                    out[name][label] = {
                        "ms": warm,
                        "runs_ms": [warm],
                        "rows": n,
                        "params": params,
                        "note": f"slower than {SLOW_MS} ms: the warm-up run only",
                    }
                    continue
                ms = []
                for _ in range(repeat):
                    t0 = now()
                    runner.run(name, params)
                    ms.append((now() - t0) * 1000)
                out[name][label] = {"ms": median(ms), "runs_ms": ms, "rows": n, "params": params}
            except Exception as e:  # noqa: BLE001 — a failing query is a figure, not a crash
                out[name][label] = {"ms": None, "error": str(e).splitlines()[0][:300], "params": params}
    return out


def stage_embedded(a) -> dict:
    from graph_loader.stores.embedded import EmbeddedStore, write_store
    from queries import Runner, load_registry

    g, _, load_s = _load_graph(a.data)
    tmp = Path(tempfile.mkdtemp(prefix="outreach-bench-store-"))
    try:
        build = []
        for i in range(a.repeat):
            t0 = now()
            write_store(g, tmp / f"db{i}")
            build.append(now() - t0)
            if i < a.repeat - 1:
                shutil.rmtree(tmp / f"db{i}", ignore_errors=True)
        os.rename(tmp / f"db{a.repeat - 1}", tmp / "db")  # EmbeddedStore opens FOLDER/db
        t0 = now()
        store = EmbeddedStore(tmp)
        open_s = now() - t0
        registry = load_registry()
        runner = Runner("embedded", store=store, registry=registry)
        queries = time_queries(runner, param_sets(registry, g), a.repeat)
        store.close()
        size = (
            sum(f.stat().st_size for f in (tmp / "db").rglob("*") if f.is_file())
            if (tmp / "db").is_dir()
            else (tmp / "db").stat().st_size
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    from graph_loader.stores.embedded import DEFAULT_TIMEOUT_MS

    return {
        "graph_load_s": load_s,
        "build_s": median(build),
        "build_runs_s": build,
        "open_s": open_s,
        "timeout_ms": DEFAULT_TIMEOUT_MS,
        "store_bytes": size,
        "queries": queries,
    }


# ------------------------------------------------------------------------------------------- network view
def stage_network(a) -> dict:
    """The Network page's default view (app_pages/1_Network.py defaults), filtered then aggregated."""
    from graph_loader import network_view as nv

    g, _, load_s = _load_graph(a.data)
    acts = [d["year"] for _, d in g.nodes(data=True) if d["label"] == "Activity"]
    years = (min(acts), max(acts)) if acts else data_years(g)
    rel_types = tuple(
        sorted(r for r in {d["type"] for _, _, d in g.edges(data=True)} if r not in nv.DEFAULT_HIDDEN_RELS)
    )
    views = {
        "default": nv.Filters(labels=tuple(sorted(nv.DEFAULT_LABELS)), rel_types=rel_types, years=years),
        "everything": nv.Filters(),
    }
    out = {"graph_load_s": load_s, "max_nodes": nv.MAX_NODES, "max_edges": nv.MAX_EDGES}
    for name, f in views.items():
        times, res = [], None
        for _ in range(a.repeat):
            t0 = now()
            view = nv.filter_graph(g, f)
            t1 = now()
            agg, notice = nv.aggregate(view)
            t2 = now()
            times.append((t1 - t0, t2 - t1))
            res = {
                "filtered_nodes": view.number_of_nodes(),
                "filtered_edges": view.number_of_edges(),
                "shown_nodes": agg.number_of_nodes(),
                "shown_edges": agg.number_of_edges(),
                "notice": notice,
            }
        res.update(filter_s=median([t[0] for t in times]), aggregate_s=median([t[1] for t in times]))
        res["aggregated"] = bool(res["notice"])
        res["within_limits"] = res["shown_nodes"] <= nv.MAX_NODES and res["shown_edges"] <= nv.MAX_EDGES
        out[name] = res
    return out


# -------------------------------------------------------------------------------------------------- Neo4j
def clear_schema_data(driver, schema, batch: int = 20_000) -> tuple[int, int]:
    """Delete the schema's relationships, then its nodes, in batches (never one huge transaction), and the sync's
    hashes (which would otherwise describe what is gone)."""
    from graph_loader.stores.neo4j_state import STATE
    from graph_loader.stores.neo4j_sync import q

    with driver.session() as s:
        _delete_all(s, f"MATCH (x:{STATE}) WITH x LIMIT $n DELETE x RETURN count(*)", batch)
        rels = sum(
            _delete_all(s, f"MATCH ()-[r:{q(rtype)}]->() WITH r LIMIT $n DELETE r RETURN count(*)", batch)
            for rtype in schema.rels
        )
        nodes = sum(
            _delete_all(s, f"MATCH (x:{q(label)}) WITH x LIMIT $n DETACH DELETE x RETURN count(*)", batch)
            for label in schema.nodes
        )
    return nodes, rels


def _delete_all(session, text: str, batch: int) -> int:
    """Run a `... LIMIT $n DELETE ... RETURN count(*)` statement until it deletes fewer than `batch`; the total."""
    total = 0
    while True:
        n = session.run(text, n=batch).single()[0]
        total += n
        if n < batch:
            return total


def naive_baseline(driver, g, schema, sample: int, seed: int = 1) -> dict:
    """One relationship per transaction: MATCH both ends, MERGE the relationship by _key, SET its properties.

    The sampled relationships are deleted first (so the naive writes create them, as the batched sync did on
    the empty database) and are all back afterwards.
    """
    from graph_loader.stores.neo4j_sync import q, rel_rows

    flat = [(rtype, lu, lv, r) for (rtype, lu, lv), rows in rel_rows(g, schema).items() for r in rows]
    picked = random.Random(seed).sample(flat, min(sample, len(flat)))
    by_type: dict[str, list] = {}
    for rtype, _, _, r in picked:
        by_type.setdefault(rtype, []).append(r["k"])
    with driver.session() as s:
        for rtype, keys in by_type.items():
            s.run(f"UNWIND $keys AS k MATCH ()-[r:{q(rtype)} {{_key: k}}]->() DELETE r", keys=keys).consume()
    stmts = {}
    for rtype, lu, lv, _ in picked:
        ku, kv = schema.nodes[lu].key, schema.nodes[lv].key
        stmts[(rtype, lu, lv)] = (
            f"MATCH (a:{q(lu)} {{{q(ku)}: $f}}) MATCH (b:{q(lv)} {{{q(kv)}: $t}}) "
            f"MERGE (a)-[r:{q(rtype)} {{_key: $k}}]->(b) SET r = $p"
        )
    t0 = now()
    with driver.session() as s:
        for rtype, lu, lv, r in picked:
            text = stmts[(rtype, lu, lv)]
            s.execute_write(lambda tx: tx.run(text, f=r["f"], t=r["t"], k=r["k"], p=r["p"]).consume())  # noqa: B023 (runs now)
    secs = now() - t0
    return {
        "sample": len(picked),
        "seconds": secs,
        "rels_per_s": len(picked) / secs if secs else None,
        "statement": "MATCH (a:L1 {key: $f}) MATCH (b:L2 {key: $t}) MERGE (a)-[r:T {_key: $k}]->(b) SET r = $p",
        "per_transaction": 1,
    }


def stage_neo4j(a) -> dict:
    from graph_loader.schema import load_schema
    from graph_loader.stores.neo4j_store import Neo4jSettings, Neo4jStore, open_driver
    from graph_loader.stores.neo4j_sync import DEFAULT_BATCH, sync_graph
    from queries import Runner, load_registry

    g, _, load_s = _load_graph(a.data)
    schema = load_schema()
    settings = Neo4jSettings.from_env(uri=a.neo4j_uri)
    driver = open_driver(settings)
    out: dict = {"uri": settings.uri, "graph_load_s": load_s, "batch_size": DEFAULT_BATCH}
    try:
        with driver.session() as s:
            out["server"] = s.run(
                "CALL dbms.components() YIELD name, versions, edition RETURN name + ' ' + versions[0] + ' ' + edition"
            ).single()[0]
        t0 = now()
        cleared = clear_schema_data(driver, schema)
        out["cleared"] = {"nodes": cleared[0], "relationships": cleared[1], "seconds": now() - t0}
        rep = sync_graph(g, settings, schema, show_progress=False)
        out["sync"] = {
            "seconds": rep.seconds,
            "rel_seconds": rep.rel_seconds,
            "nodes": rep.nodes,
            "relationships": rep.relationships,
            "written_nodes": rep.written_nodes,
            "written_relationships": rep.written_relationships,
            "rels_per_s": rep.rels_per_second,
        }
        rep2 = sync_graph(g, settings, schema, show_progress=False)
        out["resync"] = {
            "seconds": rep2.seconds,
            "written_nodes": rep2.written_nodes,
            "written_relationships": rep2.written_relationships,
            "deleted": rep2.deleted_nodes + rep2.deleted_relationships,
        }
        out["naive"] = naive_baseline(driver, g, schema, a.naive_sample)
        if out["sync"]["rels_per_s"] and out["naive"]["rels_per_s"]:
            out["speedup_vs_naive"] = out["sync"]["rels_per_s"] / out["naive"]["rels_per_s"]
        with driver.session() as s:
            out["relationships_after"] = s.run("MATCH ()-[r]->() RETURN count(r)").single()[0]
    finally:
        driver.close()
    store = Neo4jStore(settings, timeout_s=a.neo4j_timeout)
    try:
        registry = load_registry()
        out["queries"] = time_queries(
            Runner("neo4j", store=store, registry=registry), param_sets(registry, g), a.repeat
        )
    finally:
        store.close()
    return out


# ---------------------------------------------------------------------------------------------------- app
def stage_app(a) -> dict:
    """First render (the first AppTest.run) of one page; OUTREACH_DATA / OUTREACH_CACHE are set by the parent."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / a.page), default_timeout=a.app_timeout)
    t0 = now()
    at.run()
    secs = now() - t0
    errors = [str(getattr(e, "message", e))[:300] for e in at.exception]
    return {
        "page": a.page,
        "first_run_s": secs,
        "exceptions": errors,
        "errors": [e.value for e in at.error][:5],
        "warnings": [w.value for w in at.warning][:5],
    }


STAGES = {
    "load": stage_load,
    "floor": stage_floor,
    "risk": stage_risk,
    "embedded": stage_embedded,
    "network": stage_network,
    "neo4j": stage_neo4j,
    "app": stage_app,
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.stages")
    ap.add_argument("stage", choices=sorted(STAGES))
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--store", action="store_true")
    ap.add_argument("--neo4j-uri")
    ap.add_argument("--neo4j-timeout", type=float, default=30.0)
    ap.add_argument("--naive-sample", type=int, default=2000)
    ap.add_argument("--page")
    ap.add_argument("--app-timeout", type=float, default=1800.0)
    a = ap.parse_args(argv)
    result = STAGES[a.stage](a)
    a.out.write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
