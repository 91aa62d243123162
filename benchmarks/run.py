"""`python -m benchmarks` — generate (or reuse) a synthetic data folder, run every stage in its own child process,
and print one JSON document (or a table) with every figure, the machine, and the targets with pass/miss.

    python -m benchmarks [--scale small|world] [--repeat N] [--format json|table] [--neo4j-uri URI | --neo4j-local]
                         [--skip-app] [--data DIR] [--only load,floor,...] [--out FILE]

See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .stages import COVERAGE_QUERIES, ROOT, median

SCALES = {
    "small": {"countries": 30, "years": 5, "activities": 500},
    "world": {"countries": 200, "years": 25, "activities": 50_000},
}
STAGE_ORDER = ("load", "floor", "risk", "embedded", "network", "neo4j", "app")
APP_PAGES = ("app_pages/1_Network.py", "app_pages/2_Coverage.py")
REPORT_VERSION = 1
# the keys every report has (tests/test_benchmarks.py checks them)
TOP_KEYS = (
    "report_version",
    "scale",
    "repeat",
    "machine",
    "data",
    "load",
    "parse_floor",
    "risk",
    "embedded",
    "network_view",
    "neo4j",
    "app",
    "targets",
    "errors",
    "seconds",
)


def log(msg: str) -> None:
    print(f"benchmarks: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- machine
def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=20)
        return out.stdout.strip() if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def machine() -> dict:
    cpuinfo = _read("/proc/cpuinfo")
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")), None)
    mem_kb = next((int(ln.split()[1]) for ln in _read("/proc/meminfo").splitlines() if ln.startswith("MemTotal:")), 0)
    status = _git("status", "--porcelain")
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model or platform.processor() or None,
        "memory_gb": round(mem_kb / 1024**2, 1) if mem_kb else None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "load_average_start": list(os.getloadavg()),
    }


# ------------------------------------------------------------------------------------------ child runs
def run_child(stage: str, data: Path, args: list[str], env: dict | None = None, timeout: float = 3600) -> dict:
    """Run one stage in a fresh interpreter; return its JSON plus wall time, peak RSS (os.wait4) and load average."""
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as tmp:
        out, err = Path(tmp) / "out.json", Path(tmp) / "stderr.txt"
        cmd = [sys.executable, "-m", "benchmarks.stages", stage, "--data", str(data), "--out", str(out), *args]
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        with err.open("wb") as ferr:
            p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=ferr)
            status, rusage = None, None
            while True:
                pid, status, rusage = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t0 > timeout:
                    p.kill()
                    _, status, rusage = os.wait4(p.pid, 0)
                    break
                time.sleep(0.05)
            p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        meta = {
            "process_s": round(wall, 3),
            "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        if p.returncode != 0 or not out.exists():
            tail = err.read_text(encoding="utf-8", errors="replace")[-2000:]
            return {
                "error": f"stage {stage} exited with {p.returncode}: {tail.strip().splitlines()[-1] if tail.strip() else ''}",
                "stderr_tail": tail,
                **meta,
            }
        return {**json.loads(out.read_text(encoding="utf-8")), **meta}


# ------------------------------------------------------------------------------------------------- data
def prepare_data(a) -> tuple[Path, dict]:
    if a.data:
        data = a.data.resolve()
        return data, {"dir": str(data), "synthetic": False}
    size = SCALES[a.scale]
    work = Path(
        a.work
        or os.environ.get("OUTREACH_BENCH_DIR")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "outreach-graph" / "bench"
    )
    data = work / f"{a.scale}-seed{a.seed}"
    manifest = data / "synth_manifest.json"
    wanted = {**size, "seed": a.seed, "start_year": 2000, "trade_density": 0.65}
    reused = False
    if manifest.exists():
        try:
            reused = json.loads(manifest.read_text(encoding="utf-8"))["args"] == wanted
        except (ValueError, KeyError):
            reused = False
    wall = None
    if not reused:
        log(f"generating {a.scale} data into {data} ...")
        shutil.rmtree(data, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools" / "synth.py"),
                "--out",
                str(data),
                "--scale",
                a.scale,
                "--seed",
                str(a.seed),
            ],
            check=True,
            cwd=ROOT,
        )
        wall = time.perf_counter() - t0
    m = json.loads(manifest.read_text(encoding="utf-8"))
    return data, {
        "dir": str(data),
        "synthetic": True,
        "reused": reused,
        "args": m["args"],
        "generation_s": m["seconds"],
        "generation_process_s": wall,
        "rows": m["total_rows"],
        "bytes": m["bytes"],
        "rows_per_file": m["rows"],
    }


# -------------------------------------------------------------------------------------------- Neo4j local
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalNeo4j:
    """A fresh Neo4j 5 of our own (tools/neo4j-local --fresh) on a free port; stopped on exit."""

    def __init__(self):
        self.port, self.dir = free_port(), Path(tempfile.mkdtemp(prefix="outreach-bench-neo4j-"))
        self.env = dict(os.environ)
        self.env.setdefault("NEO4J_LOCAL_HEAP", "2g")
        self.env.setdefault("NEO4J_LOCAL_PAGECACHE", "1g")

    def __enter__(self) -> str:
        log(
            f"starting a fresh Neo4j on port {self.port} (heap {self.env['NEO4J_LOCAL_HEAP']}, page cache "
            f"{self.env['NEO4J_LOCAL_PAGECACHE']}) ..."
        )
        out = subprocess.run(
            [str(ROOT / "tools" / "neo4j-local"), "start", "--port", str(self.port), "--dir", str(self.dir), "--fresh"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=900,
        )
        if out.returncode != 0:
            raise RuntimeError(f"tools/neo4j-local start failed: {out.stderr.strip()[-500:]}")
        return out.stdout.strip().splitlines()[-1]

    def __exit__(self, *exc) -> None:
        subprocess.run(
            [str(ROOT / "tools" / "neo4j-local"), "stop", "--port", str(self.port), "--dir", str(self.dir)],
            capture_output=True,
            text=True,
            timeout=180,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- targets
def target(name: str, value, op: str, limit, unit: str, applies_to: str = "world", note: str = "") -> dict:
    if value is None:
        ok = None
    else:
        ok = value <= limit if op == "<=" else value >= limit
    return {
        "name": name,
        "target": f"{op} {limit:g} {unit}".strip(),
        "value": value,
        "unit": unit,
        "pass": ok,
        "status": "not measured" if ok is None else "pass" if ok else "miss",
        "applies_to": applies_to,
        **({"note": note} if note else {}),
    }


def targets(r: dict) -> list[dict]:
    out = []
    load, floor = r.get("load") or {}, r.get("parse_floor") or {}
    rvb = load.get("read_validate_build_s")
    out.append(
        target(
            "read+validate+build vs parse floor",
            floor.get("ratio"),
            "<=",
            3,
            "x",
            note=f"floor reader: {floor.get('reader')}",
        )
    )
    out.append(target("read+validate+build wall time", rvb, "<=", 30, "s"))
    ready, secs = load.get("ready_s"), floor.get("parse_s")
    out.append(
        target(
            "ready (graph + tables + risk scores + embedded store) vs parse floor",
            ready / secs if ready and secs else None,
            "<=",
            4,
            "x",
        )
    )
    out.append(target("read+validate+build peak memory", load.get("peak_rss_mb"), "<=", 4096, "MB"))
    out.append(
        target("ready peak memory (the load process, store included)", load.get("peak_rss_mb"), "<=", 1024, "MB")
    )
    out.append(target("risk scoring, one year (rank_rows)", (r.get("risk") or {}).get("one_year_s"), "<=", 2, "s"))
    emb = r.get("embedded") or {}
    qs = emb.get("queries") or {}
    for name in COVERAGE_QUERIES:
        for label, res in sorted((qs.get(name) or {"default": {}}).items()):
            value, note = res.get("ms"), res.get("note", "")
            if value is None and "timeout" in (res.get("error") or ""):
                value, note = emb.get("timeout_ms"), "stopped by the query timeout (OUTREACH_QUERY_TIMEOUT_MS)"
            out.append(target(f"embedded {name} ({label} params)", value, "<=", 500, "ms", "all", note))
    neo = r.get("neo4j") or {}
    out.append(target("Neo4j batched sync vs naive", neo.get("speedup_vs_naive"), ">=", 20, "x"))
    out.append(
        target("Neo4j batched sync throughput", (neo.get("sync") or {}).get("rels_per_s"), ">=", 20_000, "rel/s")
    )
    nv = r.get("network_view") or {}
    for view in ("default", "everything"):
        v = nv.get(view) or {}
        shape = (
            (
                f"{v.get('filtered_nodes')} nodes/{v.get('filtered_edges')} edges -> {v.get('shown_nodes')}/"
                f"{v.get('shown_edges')} shown (limits {nv.get('max_nodes')}/{nv.get('max_edges')})"
            )
            if v
            else ""
        )
        too_big = bool(v) and (v["filtered_nodes"] > nv["max_nodes"] or v["filtered_edges"] > nv["max_edges"])
        t = target(
            f"network view aggregates when above the limits ({view} view)",
            None if not v else int(v["aggregated"] or not too_big),
            ">=",
            1,
            "",
            "all",
            note=shape,
        )
        t["target"] = "aggregated (1 = yes)"
        out.append(t)
        t = target(
            f"network view shown within the limits ({view} view)",
            None if not v else int(v["within_limits"]),
            ">=",
            1,
            "",
            "all",
            note=shape,
        )
        t["target"] = f"<= {nv.get('max_nodes')} nodes, {nv.get('max_edges')} edges"
        out.append(t)
        out.append(
            target(
                f"network view filter+aggregate time ({view} view)",
                None if not v else v["filter_s"] + v["aggregate_s"],
                "<=",
                2,
                "s",
                "all",
                note="no target was given; 2 s is this report's yardstick for an interactive view",
            )
        )
    return out


# ----------------------------------------------------------------------------------------------- stages
def do_load(a, data, r, floor: bool = False):
    """`repeat` load runs; with `floor`, each followed by a floor run (see do_floor), so that both see the same
    machine: on a shared 2-core machine the multi-threaded floor alone varies 3x from run to run."""
    runs, floors = [], []
    for i in range(a.repeat):
        log(f"load {i + 1}/{a.repeat} (read+validate+build, then risk scoring and the embedded store) ...")
        runs.append(run_child("load", data, ["--full", "--store"]))
        if floor:
            floors.append(run_child("floor", data, []))
    good = [x for x in runs if "error" not in x]
    if not good:
        r["errors"].append(runs[-1]["error"])
    else:
        keys = (
            "validate_s",
            "build_s",
            "read_validate_build_s",
            "write_scores_s",
            "full_load_s",
            "write_store_s",
            "ready_s",
        )
        r["load"] = {
            **{k: median([x[k] for x in good]) for k in keys},
            "peak_rss_mb": max(x["peak_rss_mb"] for x in good),
            "rows": good[0]["rows"],
            "nodes": good[0]["nodes"],
            "relationships": good[0]["relationships"],
            "runs": [{k: x.get(k) for k in (*keys, "peak_rss_mb", "load_average")} for x in runs],
        }
    if floor:
        _floor_report(floors, r, runs)


def do_floor(a, data, r):
    _floor_report([run_child("floor", data, []) for _ in range(a.repeat)], r)


def _floor_report(runs: list, r, loads: list = ()) -> None:
    """parse_floor: medians, and `ratio` = median read+validate+build ÷ median floor. With `loads` (run in
    turn with the floor runs) also each pair's ratio: `paired_ratios`, their median `ratio_paired` and
    `ratio_best` (fastest load ÷ fastest floor) — the spread the one figure hides."""
    good = [x for x in runs if "error" not in x]
    if not good:
        r["errors"].append(runs[-1]["error"])
        return
    secs = median([x["parse_s"] for x in good])
    rvb = (r.get("load") or {}).get("read_validate_build_s")
    py = median([x["python_csv_s"] for x in good])
    r["parse_floor"] = {
        "reader": good[0]["reader"],
        "parse_s": secs,
        "runs_s": [x["parse_s"] for x in good],
        "bytes": good[0]["bytes"],
        "rows": good[0]["rows"],
        "ratio": rvb / secs if rvb and secs else None,
        "python_csv_s": py,
        "ratio_to_python_csv": rvb / py if rvb and py else None,
    }
    pairs = [
        (x["read_validate_build_s"], y["parse_s"]) for x, y in zip(loads, runs) if "error" not in x and "error" not in y
    ]
    if pairs:
        ratios = [x / y for x, y in pairs]
        r["parse_floor"].update(
            paired_ratios=ratios,
            ratio_paired=median(ratios),
            ratio_best=min(x for x, _ in pairs) / min(y for _, y in pairs),
        )


def do_single(stage: str, key: str, a, data, r, extra=()):
    log(f"{stage} ...")
    x = run_child(stage, data, ["--repeat", str(a.repeat), *extra])  # a later --repeat in extra wins
    if "error" in x:
        r["errors"].append(x["error"])
    r[key] = x


def do_neo4j(a, data, r):
    uri = a.neo4j_uri or (None if a.neo4j_local else os.environ.get("NEO4J_URI"))
    extra = ["--naive-sample", str(a.naive_sample or (2000 if a.scale == "world" else 300))]
    if uri:
        do_single("neo4j", "neo4j", a, data, r, ["--neo4j-uri", uri, *extra])
    elif a.neo4j_local:
        try:
            with LocalNeo4j() as local_uri:
                do_single("neo4j", "neo4j", a, data, r, ["--neo4j-uri", local_uri, *extra])
                r["neo4j"]["server_started"] = "tools/neo4j-local --fresh (heap %s, page cache %s)" % (
                    os.environ.get("NEO4J_LOCAL_HEAP", "2g"),
                    os.environ.get("NEO4J_LOCAL_PAGECACHE", "1g"),
                )
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            r["errors"].append(f"neo4j: {e}")
    else:
        r["neo4j"] = {"skipped": "no --neo4j-uri, NEO4J_URI or --neo4j-local"}


def do_app(a, data, r):
    if a.skip_app:
        r["app"] = {"skipped": "--skip-app"}
        return
    missing = [p for p in ("app.py", *APP_PAGES) if not (ROOT / p).exists()]
    if missing:
        r["app"] = {"skipped": f"the app is not there yet ({', '.join(missing)} missing)"}
        return
    state = ROOT / "ui" / "state.py"
    if "OUTREACH_DATA" not in (state.read_text(encoding="utf-8") if state.exists() else ""):
        r["app"] = {"skipped": "the app has no way to choose a data folder (no OUTREACH_DATA in ui/state.py)"}
        return
    res = {"mechanism": "OUTREACH_DATA (ui/state.py) + a fresh OUTREACH_CACHE; NEO4J_* unset (embedded backend)"}
    for page in APP_PAGES:
        cache = Path(tempfile.mkdtemp(prefix="outreach-bench-app-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
        env.update(OUTREACH_DATA=str(data), OUTREACH_CACHE=str(cache))
        try:
            out = {}
            for mode in ("cold", "warm_store"):  # cold: empty cache (store built); warm: store already built
                log(f"app {page} ({mode}) ...")
                x = run_child("app", data, ["--page", page], env=env)
                if "error" in x:
                    r["errors"].append(x["error"])
                out[mode] = x
            res[Path(page).stem] = out
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    r["app"] = res


# ------------------------------------------------------------------------------------------------ output
def fmt(v, unit="") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        v = f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return f"{v}{(' ' + unit) if unit else ''}"


def table(r: dict) -> str:
    m = r["machine"]
    lines = [
        f"Outreach Graph benchmarks — scale {r['scale']}, repeat {r['repeat']}, {r['seconds']:.0f} s",
        f"machine: {m['cpu_count']} cpu ({m['cpu_model']}), {m['memory_gb']} GB, Python {m['python']}, "
        f"commit {(m['git_commit'] or '?')[:10]}{' (dirty)' if m['git_dirty'] else ''}, load average "
        f"{m['load_average_start'][0]:.2f} -> {m['load_average_end'][0]:.2f}",
        f"data: {r['data'].get('dir')} ({fmt(r['data'].get('rows'))} rows)",
        "",
    ]
    load = r.get("load") or {}
    rows = [
        ("read+validate+build (s)", load.get("read_validate_build_s")),
        ("  validate (s)", load.get("validate_s")),
        ("  build (s)", load.get("build_s")),
        ("risk write_scores in load (s)", load.get("write_scores_s")),
        ("full load (s)", load.get("full_load_s")),
        ("peak RSS (MB)", load.get("peak_rss_mb")),
        ("parse floor (s)", (r.get("parse_floor") or {}).get("parse_s")),
        ("ratio to floor (x)", (r.get("parse_floor") or {}).get("ratio")),
        ("  median of paired runs' ratios (x)", (r.get("parse_floor") or {}).get("ratio_paired")),
        ("  fastest load / fastest floor (x)", (r.get("parse_floor") or {}).get("ratio_best")),
        ("python csv.reader, no checks (s)", (r.get("parse_floor") or {}).get("python_csv_s")),
        ("ratio to python csv.reader (x)", (r.get("parse_floor") or {}).get("ratio_to_python_csv")),
    ]
    rk = r.get("risk") or {}
    rows += [(f"risk {k} (s)", rk.get(k)) for k in ("inputs_s", "one_year_s", "all_years_s", "write_scores_s")]
    emb = r.get("embedded") or {}
    rows += [("embedded store build (s)", emb.get("build_s"))]
    lines += [f"{k:<40} {fmt(v)}" for k, v in rows]
    for backend in ("embedded", "neo4j"):
        qs = (r.get(backend) or {}).get("queries") or {}
        if qs:
            lines += ["", f"{backend} queries (median ms: default params / window params)"]
            for name, res in qs.items():
                d, w = res.get("default", {}), res.get("window", {})
                lines.append(
                    f"  {name:<28} {fmt(d.get('ms')):>10} / {fmt(w.get('ms')) if w else '':>10}"
                    f"{'  ERROR ' + d['error'] if d.get('error') else ''}"
                )
    neo = r.get("neo4j") or {}
    if neo.get("sync"):
        lines += [
            "",
            f"Neo4j sync: {fmt(neo['sync']['rels_per_s'])} rel/s batched "
            f"({neo['sync']['written_relationships']} in {fmt(neo['sync']['rel_seconds'])} s) vs "
            f"{fmt(neo['naive']['rels_per_s'])} rel/s naive (sample {neo['naive']['sample']}): "
            f"{fmt(neo.get('speedup_vs_naive'))}x; re-sync {fmt(neo['resync']['seconds'])} s",
        ]
    app = r.get("app") or {}
    if app.get("skipped"):
        lines += ["", f"app: skipped ({app['skipped']})"]
    else:
        for page in APP_PAGES:
            x = app.get(Path(page).stem) or {}
            lines.append(
                f"app {page}: first render cold {fmt((x.get('cold') or {}).get('first_run_s'))} s, "
                f"warm store {fmt((x.get('warm_store') or {}).get('first_run_s'))} s"
            )
    lines += ["", f"{'target':<58} {'goal':<22} {'value':>14}  result"]
    for t in r["targets"]:
        lines.append(f"{t['name']:<58} {t['target']:<22} {fmt(t['value']):>14}  {t['status']}")
    if r["errors"]:
        lines += ["", "errors:", *("  " + e for e in r["errors"])]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    ap.add_argument("--scale", choices=sorted(SCALES), default="small")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per figure (medians are reported)")
    ap.add_argument("--format", choices=["json", "table"], default="json")
    ap.add_argument(
        "--neo4j-uri", help="a Neo4j 5 server whose Outreach Graph data may be REPLACED (default: $NEO4J_URI)"
    )
    ap.add_argument("--neo4j-local", action="store_true", help="start a fresh Neo4j of our own (tools/neo4j-local)")
    ap.add_argument(
        "--naive-sample",
        type=int,
        help="relationships written one per transaction (default 2000 at world scale, 300 at small)",
    )
    ap.add_argument("--skip-app", action="store_true")
    ap.add_argument("--data", type=Path, help="benchmark this data folder instead of synthetic data")
    ap.add_argument(
        "--work",
        type=Path,
        help="where synthetic data is kept (default $OUTREACH_BENCH_DIR or ~/.cache/outreach-graph/bench)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", help="comma-separated stages to run (" + ",".join(STAGE_ORDER) + ")")
    ap.add_argument("--out", type=Path, help="also write the JSON report here")
    a = ap.parse_args(argv)
    if a.repeat < 1:
        ap.error("--repeat must be >= 1")
    only = set((a.only or ",".join(STAGE_ORDER)).split(","))
    if only - set(STAGE_ORDER):
        ap.error(f"unknown stage(s): {', '.join(sorted(only - set(STAGE_ORDER)))}")
    t0 = time.perf_counter()
    r: dict = {k: None for k in TOP_KEYS}
    r.update(
        report_version=REPORT_VERSION,
        scale=a.scale if not a.data else f"data:{a.data}",
        repeat=a.repeat,
        machine=machine(),
        errors=[],
    )
    data, r["data"] = prepare_data(a)
    both = {"load", "floor"} <= only  # then run in turn (do_load)
    steps = {
        "load": lambda: do_load(a, data, r, floor=both),
        "floor": lambda: None if both else do_floor(a, data, r),
        "risk": lambda: do_single("risk", "risk", a, data, r),
        "embedded": lambda: do_single("embedded", "embedded", a, data, r),
        # filtering/aggregating the whole world graph takes minutes: one repetition there
        "network": lambda: do_single(
            "network", "network_view", a, data, r, ["--repeat", "1"] if a.scale == "world" and not a.data else []
        ),
        "neo4j": lambda: do_neo4j(a, data, r),
        "app": lambda: do_app(a, data, r),
    }
    for stage in STAGE_ORDER:
        if stage in only:
            steps[stage]()
    if r["parse_floor"] and r["load"] and not r["parse_floor"].get("ratio"):
        rvb, secs = r["load"]["read_validate_build_s"], r["parse_floor"]["parse_s"]
        r["parse_floor"]["ratio"] = rvb / secs if rvb and secs else None
        py = r["parse_floor"].get("python_csv_s")
        r["parse_floor"]["ratio_to_python_csv"] = rvb / py if rvb and py else None
    r["targets"] = targets(r)
    r["machine"]["load_average_end"] = list(os.getloadavg())
    r["seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(r, indent=1, default=str)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")
    print(text if a.format == "json" else table(r))
    return 0
