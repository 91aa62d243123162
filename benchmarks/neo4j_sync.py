"""`python -m benchmarks.neo4j_sync` — the Neo4j sync against its anchors, each ratio measured in the same run.

    python -m benchmarks.neo4j_sync --scale world --repeat 3 [--uri bolt://127.0.0.1:7699] [--data DIR]
                                    [--out benchmarks/results/neo4j_world.json] [--no-admin]

Per repetition (the three full loads in a rotating order, so a drift of the shared machine's speed falls on each):
  first_load    sync_rows() into an emptied database (data, sync state, constraints and indexes all dropped)
  unchanged     sync_rows() again with the same rows
  change_1pct   sync_rows() with 1 % of the rows changed (of the relationships picked: 80 % get a new property
                value, 10 % are deleted, 10 % are replaced by a new relationship; 1 % of the nodes get a new value),
                then untimed back to the original rows
  merge         the plain batched UNWIND MERGE into an emptied database: constraints and `_key` indexes first,
                `UNWIND $rows AS row MERGE (n:L {key: row.k}) SET n = row.p`, then `... MATCH (a) MATCH (b)
                MERGE (a)-[r:T {_key: row.k}]->(b) SET r = row.p`, batch_size rows per transaction, one session
  admin_import  `neo4j-admin database import full` end to end: CSV files written from the same rows + the import
                (a JVM from the Maven Central jars, benchmarks/neo4j-admin/pom.xml) into a fresh home. Not
                included: creating the uniqueness constraints and starting a server on the result (in its favour)

Ratios (per repetition, then min/median/max), speed = 1 / seconds:
  first_load_vs_admin   = admin_import_s / first_load_s     (target >= 0.5)
  first_load_vs_merge   = merge_s / first_load_s            (target >= 3)
  unchanged_vs_full     = unchanged_s / first_load_s        (target <= 0.05)
  change_1pct_vs_full   = change_1pct_s / first_load_s      (target <= 0.10)
"full" is the sync of every row into the empty database: the least a sync that rewrites everything costs.
Building the rows from the graph (node_rows/rel_rows) is the same input for all and is reported apart (rows_s).
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .stages import ROOT, median

TARGETS = {
    "first_load_vs_admin": (">=", 0.5),
    "first_load_vs_merge": (">=", 3.0),
    "unchanged_vs_full": ("<=", 0.05),
    "change_1pct_vs_full": ("<=", 0.10),
}
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "outreach-graph"


def now() -> float:
    return time.perf_counter()


def spread(xs: list[float]) -> dict:
    return {"min": min(xs), "median": median(xs), "max": max(xs), "all": xs} if xs else {}


# ------------------------------------------------------------------------------------------------ the data
def data_folder(scale: str, given: Path | None) -> Path:
    if given:
        return given
    if scale == "real":
        return ROOT / "data"
    out = CACHE / f"synth-{scale}"
    if not (out / "trade.csv").exists():
        subprocess.run(
            [sys.executable, str(ROOT / "tools" / "synth.py"), "--out", str(out), "--scale", scale], check=True
        )
    return out


def rows_of(folder: Path):
    from graph_loader.pipeline import load
    from graph_loader.schema import load_schema
    from graph_loader.stores.neo4j_sync import node_rows, rel_rows

    schema = load_schema()
    g, _ = load(folder)
    t0 = now()
    nodes, rels = node_rows(g, schema), rel_rows(g, schema)
    return schema, nodes, rels, now() - t0


def changed_rows(nodes: dict, rels: dict, share: float = 0.01, seed: int = 7):
    """A copy of the rows with `share` of the relationships and of the nodes changed (see the module docstring)."""
    rng = random.Random(seed)
    nodes, rels = copy.copy(nodes), {t: list(rows) for t, rows in rels.items()}
    for label, rows in nodes.items():
        rows = nodes[label] = list(rows)
        for i in rng.sample(range(len(rows)), int(len(rows) * share)):
            rows[i] = {**rows[i], "p": {**rows[i]["p"], "bench_rev": 1}}
    flat = [(t, i) for t, rows in rels.items() for i in range(len(rows))]
    gone = []
    for n, (t, i) in enumerate(rng.sample(flat, int(len(flat) * share))):
        r = rels[t][i]
        if n % 10 == 0:
            gone.append((t, i))
        elif n % 10 == 1:
            k = r["k"] + "|bench"
            rels[t][i] = {**r, "k": k, "p": {**r["p"], "_key": k}}
        else:
            rels[t][i] = {**r, "p": {**r["p"], "bench_rev": 1}}
    for t, i in sorted(gone, reverse=True):
        del rels[t][i]
    return nodes, rels


# ------------------------------------------------------------------------------------------------ the server
def reset(driver, schema) -> float:
    """An empty database as a first load finds it: no data, no sync state, no constraints or indexes of ours."""
    from graph_loader.stores.neo4j_state import STATE

    from .stages import clear_schema_data

    t0 = now()
    clear_schema_data(driver, schema)
    with driver.session() as s:
        names = [r[0] for r in s.run("SHOW CONSTRAINTS YIELD name RETURN name")]
        for name in names:
            s.run(f"DROP CONSTRAINT `{name}` IF EXISTS").consume()
        names = [r[0] for r in s.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name")]
        for name in names:
            s.run(f"DROP INDEX `{name}` IF EXISTS").consume()
        assert s.run(f"MATCH (n) WHERE NOT n:{STATE} RETURN count(n)").single()[0] == 0
    return now() - t0


def merge_load(driver, schema, nodes: dict, rels: dict, batch: int) -> float:
    """The plain batched UNWIND MERGE (see the module docstring); seconds, constraints and indexes included."""
    from graph_loader.stores.neo4j_sync import constraint_statements, q

    t0 = now()
    with driver.session() as s:
        for stmt in constraint_statements(schema):
            s.run(stmt).consume()
        while s.run("SHOW INDEXES YIELD state WHERE state <> 'ONLINE' RETURN count(*)").single()[0]:
            time.sleep(0.2)
        for label, rows in nodes.items():
            key = schema.nodes[label].key
            text = f"UNWIND $rows AS row MERGE (n:{q(label)} {{{q(key)}: row.k}}) SET n = row.p"
            for i in range(0, len(rows), batch):
                s.execute_write(lambda tx, b=rows[i : i + batch]: tx.run(text, rows=b).consume())  # noqa: B023
        for (rtype, lu, lv), rows in rels.items():
            ku, kv = schema.nodes[lu].key, schema.nodes[lv].key
            text = (
                f"UNWIND $rows AS row MATCH (a:{q(lu)} {{{q(ku)}: row.f}}) MATCH (b:{q(lv)} {{{q(kv)}: row.t}}) "
                f"MERGE (a)-[r:{q(rtype)} {{_key: row.k}}]->(b) SET r = row.p"
            )
            for i in range(0, len(rows), batch):
                s.execute_write(lambda tx, b=rows[i : i + batch]: tx.run(text, rows=b).consume())  # noqa: B023
    return now() - t0


def counts(driver) -> tuple[int, int]:
    with driver.session() as s:
        n = s.run("MATCH (n) WHERE NOT n:_SyncState RETURN count(n)").single()[0]
        return n, s.run("MATCH ()-[r]->() RETURN count(r)").single()[0]


# ------------------------------------------------------------------------------------------------ neo4j-admin
def admin_classpath(work: Path) -> str | None:
    """The import tool's classpath from Maven Central (cached), or None when Maven or Java is missing."""
    if not (shutil.which("mvn") and shutil.which("java")):
        return None
    launcher = (ROOT / "tools" / "neo4j-launcher" / "pom.xml").read_text(encoding="utf-8")
    version = re.search(r"<neo4j.version>([^<]+)</neo4j.version>", launcher).group(1)
    out = CACHE / f"neo4j-admin-{version}.classpath"
    if not out.exists():
        subprocess.run(
            ["mvn", "-q", "-B", "dependency:build-classpath", f"-Dmdep.outputFile={out}", f"-Dneo4j.version={version}"],
            cwd=ROOT / "benchmarks" / "neo4j-admin",
            check=True,
            capture_output=True,
        )
    return out.read_text(encoding="utf-8").strip()


def _csv_type(values) -> str:
    """The import header type of a column from its Python values (bool before int: bool is an int)."""
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int}:
        return "long"
    if kinds <= {int, float}:
        return "double"
    if kinds <= {list, tuple}:
        return "string[]"
    return "string"


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ";".join(map(str, v))
    return str(v)


def write_csvs(folder: Path, nodes: dict, rels: dict) -> tuple[list[str], list[str]]:
    """One file per label and per type, with typed headers; the import's --nodes/--relationships arguments."""
    node_args, rel_args = [], []
    for label, rows in nodes.items():
        names = sorted({k for r in rows for k in r["p"]})
        types = {n: _csv_type(r["p"].get(n) for r in rows) for n in names}
        path = folder / f"n_{label}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([f":ID({label})"] + [f"{n}:{types[n]}" for n in names])
            w.writerows([str(r["k"])] + [_cell(r["p"].get(n)) for n in names] for r in rows)
        node_args.append(f"--nodes={label}={path}")
    for (rtype, lu, lv), rows in rels.items():
        names = sorted({k for r in rows for k in r["p"]})
        types = {n: _csv_type(r["p"].get(n) for r in rows) for n in names}
        path = folder / f"r_{rtype}_{lu}_{lv}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([f":START_ID({lu})", f":END_ID({lv})"] + [f"{n}:{types[n]}" for n in names])
            w.writerows([str(r["f"]), str(r["t"])] + [_cell(r["p"].get(n)) for n in names] for r in rows)
        rel_args.append(f"--relationships={rtype}={path}")
    return node_args, rel_args


def admin_import(classpath: str, nodes: dict, rels: dict) -> dict:
    """CSV files + `neo4j-admin database import full` into a fresh home; seconds of each and the import's own
    count of what it wrote."""
    with tempfile.TemporaryDirectory(prefix="ns-admin-") as tmp:
        home = Path(tmp) / "home"
        (home / "conf").mkdir(parents=True)
        (home / "conf" / "neo4j.conf").write_text("", encoding="utf-8")
        t0 = now()
        node_args, rel_args = write_csvs(Path(tmp), nodes, rels)
        t1 = now()
        out = subprocess.run(
            ["java", "-Xmx1g", "-cp", classpath, "org.neo4j.cli.AdminTool", "database", "import", "full"]
            + node_args
            + rel_args
            + ["--overwrite-destination=true", "--array-delimiter=;", f"--report-file={Path(tmp) / 'import.report'}"]
            + ["neo4j"],
            env={**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")},
            capture_output=True,
            text=True,
        )
        t2 = now()
    if out.returncode != 0:
        raise RuntimeError(f"neo4j-admin import failed:\n{(out.stdout + out.stderr)[-2000:]}")
    done = re.search(r"Imported:\s*(\d+) nodes\s*(\d+) relationships", out.stdout)
    return {
        "csv_s": t1 - t0,
        "import_s": t2 - t1,
        "seconds": t2 - t0,
        "imported": {"nodes": int(done.group(1)), "relationships": int(done.group(2))} if done else None,
    }


# ------------------------------------------------------------------------------------------------ the run
def one_repetition(i: int, driver, schema, nodes, rels, changed, batch: int, classpath: str | None) -> dict:
    from graph_loader.stores.neo4j_sync import sync_rows

    res: dict = {}
    loads = ["first_load", "merge", "admin_import"] if classpath else ["first_load", "merge"]
    for name in loads[i % len(loads) :] + loads[: i % len(loads)]:
        print(f"  repetition {i + 1}: {name} ...", file=sys.stderr, flush=True)
        if name == "admin_import":
            res[name] = admin_import(classpath, nodes, rels)
            continue
        res.setdefault("reset_s", []).append(reset(driver, schema))
        if name == "merge":
            res["merge"] = {"seconds": merge_load(driver, schema, nodes, rels, batch)}
            res["merge"]["held"] = counts(driver)
            continue
        first = sync_rows(driver, None, schema, nodes, rels, batch_size=batch)
        res["first_load"] = {"seconds": first.seconds, "phases": first.phases, "held": counts(driver)}
        same = sync_rows(driver, None, schema, nodes, rels, batch_size=batch)
        res["unchanged"] = {
            "seconds": same.seconds,
            "phases": same.phases,
            "written": same.written_nodes + same.written_relationships,
        }
        ch = sync_rows(driver, None, schema, *changed, batch_size=batch)
        res["change_1pct"] = {
            "seconds": ch.seconds,
            "phases": ch.phases,
            "buckets_read": ch.buckets_read,
            "written_nodes": ch.written_nodes,
            "written_relationships": ch.written_relationships,
            "deleted_relationships": ch.deleted_relationships,
        }
        back = sync_rows(driver, None, schema, nodes, rels, batch_size=batch)
        res["change_back_s"] = back.seconds
    return res


def ratios(reps: list[dict]) -> dict:
    def per(f):
        return spread([f(r) for r in reps if all(k in r for k in ("first_load", "merge"))])

    out = {
        "first_load_vs_merge": per(lambda r: r["merge"]["seconds"] / r["first_load"]["seconds"]),
        "unchanged_vs_full": per(lambda r: r["unchanged"]["seconds"] / r["first_load"]["seconds"]),
        "change_1pct_vs_full": per(lambda r: r["change_1pct"]["seconds"] / r["first_load"]["seconds"]),
    }
    if all("admin_import" in r for r in reps):
        out["first_load_vs_admin"] = per(lambda r: r["admin_import"]["seconds"] / r["first_load"]["seconds"])
    for name, (op, target) in TARGETS.items():
        if out.get(name):
            m = out[name]["median"]
            out[name].update(target=f"{op} {target}", met=m >= target if op == ">=" else m <= target)
    return out


def main(argv=None) -> int:
    from graph_loader.stores import DEFAULT_BATCH
    from graph_loader.stores.neo4j_store import Neo4jSettings, open_driver

    ap = argparse.ArgumentParser(prog="python -m benchmarks.neo4j_sync", description=__doc__.split("\n")[0])
    ap.add_argument("--scale", choices=["small", "world", "real"], default="world")
    ap.add_argument("--data", type=Path, help="a data folder instead of the scale's")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--uri", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"))
    ap.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    ap.add_argument("--no-admin", action="store_true", help="skip the neo4j-admin import anchor")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    out_path = a.out or ROOT / "benchmarks" / "results" / f"neo4j_{a.scale}.json"
    folder = data_folder(a.scale, a.data)
    schema, nodes, rels, rows_s = rows_of(folder)
    changed = changed_rows(nodes, rels)
    classpath = None if a.no_admin else admin_classpath(ROOT)
    report = {
        "scale": a.scale,
        "data": str(folder),
        "repeat": a.repeat,
        "batch_size": a.batch_size,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg": os.getloadavg()},
        "rows": {
            "nodes": sum(map(len, nodes.values())),
            "relationships": sum(map(len, rels.values())),
            "rows_s": rows_s,
        },
        "admin_import": "measured" if classpath else "not run (no Maven/Java or --no-admin)",
        "repetitions": [],
    }
    driver = open_driver(Neo4jSettings(uri=a.uri))
    try:
        for i in range(a.repeat):
            report["repetitions"].append(
                one_repetition(i, driver, schema, nodes, rels, changed, a.batch_size, classpath)
            )
            report["ratios"] = ratios(report["repetitions"])
            report["seconds"] = {
                k: spread([r[k]["seconds"] for r in report["repetitions"] if k in r])
                for k in ("first_load", "unchanged", "change_1pct", "merge", "admin_import")
            }
            out_path.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")  # kept after each
    finally:
        driver.close()
    for name, r in report["ratios"].items():
        print(
            f"{name:22s} min {r['min']:.3f}  median {r['median']:.3f}  max {r['max']:.3f}  target {r.get('target')}: "
            f"{'met' if r.get('met') else 'missed'}"
        )
    for name, r in report["seconds"].items():
        if r:
            print(f"{name + ' s':22s} min {r['min']:.2f}  median {r['median']:.2f}  max {r['max']:.2f}")
    print(f"report: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
