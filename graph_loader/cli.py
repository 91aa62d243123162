"""`python -m graph_loader` — validate, stats, export, risk, sync, briefing, record, register."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import ConfigError, DataError
from .stores import DEFAULT_BATCH, DEFAULT_WORKERS
from .tables import render_table, to_csv


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=None, help="data folder (default: data/ of this checkout)")


def _positive(text: str) -> int:
    """argparse type: a whole number ≥ 1 (a batch of 0 rows would never end)."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return n


def cmd_validate(a) -> int:
    from .build import build_graph, counts
    from .pipeline import DEFAULT_DATA
    from .validate import validate

    ds = validate(a.data or DEFAULT_DATA)
    c = counts(build_graph(ds), ds.schema)
    print(
        f"{ds.root}: valid — {sum(len(t) for t in ds.tables.values())} rows in {len(ds.tables)} files; "
        f"{sum(c['nodes'].values())} nodes, {sum(c['relationships'].values())} relationships from the data "
        "(loading adds one computed RiskScore node and SCORED relationship per country and year)"
    )
    return 0


def cmd_stats(a) -> int:
    from .build import counts
    from .pipeline import load

    g, ds = load(a.data)
    c = counts(g, ds.schema)
    if a.format == "json":
        print(json.dumps(c, indent=1))
    else:
        for section in ("nodes", "relationships", "categories", "roles"):
            rows = [{section: k, "count": v} for k, v in c[section].items()]
            print(render_table(rows, [section, "count"]) + "\n")
    return 0


def cmd_export(a) -> int:
    from .export import export_graph
    from .pipeline import load

    g, ds = load(a.data)
    from .graph import number_of_relationships

    out = export_graph(g, ds.schema, a.format, a.out)
    print(f"wrote {out} ({a.format}, {g.number_of_nodes()} nodes, {number_of_relationships(g)} relationships)")
    return 0


RISK_COLUMNS = [
    "iso3",
    "name",
    "year",
    "score",
    "tier",
    "assessed_tier",
    "exposure",
    "weakness",
    "technology",
    "trade",
    "geography",
    "ties",
    "missing",
]


def _risk_model(a):
    from dataclasses import replace

    from . import risk

    model = risk.load_model(a.preset, a.weights)
    return replace(model, weights=risk.override_weights(model.weights, a.set or [])) if a.set else model


def cmd_risk(a) -> int:
    from . import risk
    from .pipeline import load

    model = _risk_model(a)
    g, _ = load(a.data, model)
    inp = risk.risk_inputs(g)
    if a.calibrate or a.fit:
        return _calibration(a, inp, model)
    year = risk.check_year(inp, a.year)
    rows = risk.rank_rows(inp, year, model)
    out_rows = [
        {
            k: r[k]
            for k in (
                "iso3",
                "name",
                "year",
                "exposure",
                "weakness",
                "score",
                "tier",
                "contributions",
                "exposure_contributions",
                "missing",
                "assessed_tier",
                "assessed_on",
                "factors",
                "components",
            )
        }
        for r in rows
    ]
    report = None
    if a.sensitivity:
        from .calibration import year_report

        report = {
            "model": model.name,
            "weights": model.weights,
            "intention_share": model.intention_share,
            "agreement": year_report(inp, year, model),
            "sensitivity": risk.sensitivity(inp, year, model),
        }
    if a.format == "json":
        print(json.dumps({"rows": out_rows, **report} if report else out_rows, indent=1, default=str))
        return 0
    flat = [
        {
            **{k: r[k] for k in ("iso3", "name", "year", "score", "tier", "assessed_tier", "exposure", "weakness")},
            **(r["contributions"] if r["score"] is not None else {}),
            "missing": "; ".join(r["missing"]),
        }
        for r in rows
    ]
    print(to_csv(flat, RISK_COLUMNS) if a.format == "csv" else render_table(flat, RISK_COLUMNS), end="")
    if report and a.format == "table":
        ag = report["agreement"]
        num = lambda x: "n/a" if x is None else f"{x:.2f}"  # kappa / AUC are None when undefined
        print(
            f"\n\nmodel {model.name}: agreement with the analysts' tiers {ag['agree']}/{ag['n']}, "
            f"kappa={num(ag['kappa'])}, within-category AUC={num(ag['auc_within_category'])}\n"
        )
        print(
            render_table(
                [{**s, "changed": ",".join(s["changed"])} for s in report["sensitivity"]],
                ["factor", "multiplier", "tier_changes", "spearman", "changed"],
            )
        )
    if a.format != "csv":  # a CSV already ends its last line; a blank line after it is an empty record
        print()
    return 0


def _calibration(a, inp, model) -> int:
    """risk --calibrate: agreement per year and model; risk --fit: the fitted preset and its check."""
    from . import calibration, risk

    years = _years(a.years, inp)
    if a.fit:
        got = calibration.fit(inp, years, risk.load_model("hand-set"))
        m = got["model"]
        if a.format == "json":
            print(
                json.dumps(
                    {**got, "model": vars(m), "loo": [{**o, "model": vars(o["model"])} for o in got["loo"]]},
                    indent=1,
                    default=str,
                )
            )
            return 0
        print(
            f"fitted over {years[0]}–{years[-1]} ({got['candidates']:,} candidate models): weights "
            + ", ".join(f"{f} {w:g}" for f, w in m.weights.items())
            + f"; intention_share {m.intention_share:g}"
        )
        print(
            f"in sample: {got['agree']}/{got['of']} (country, year) tiers agree; leaving one country out: "
            f"{got['loo_agree']}/{got['loo_of']}"
        )
        print(
            render_table(
                [
                    {
                        "iso3": o["iso3"],
                        "agree": f"{o['agree']}/{o['of']}",
                        "fitted without it": ", ".join(f"{w:g}" for w in o["model"].weights.values())
                        + f"; i={o['model'].intention_share:g}",
                    }
                    for o in got["loo"]
                ],
                ["iso3", "agree", "fitted without it"],
            )
        )
        return 0
    models = [model] if (a.preset or a.weights or a.set) else list(risk.presets().values())
    rows = calibration.report(inp, years, models)
    if a.format == "json":
        print(json.dumps(rows, indent=1, default=str))
        return 0
    print(render_table(calibration.summary_rows(rows), calibration.SUMMARY_COLUMNS))
    disagreements = [{"preset": r["model"], "year": r["year"], **d} for r in rows for d in r["disagreements"]]
    if disagreements:
        print("\ndisagreements (analysts vs model) and the factor that drives each:")
        print(render_table(disagreements, ["preset", "year", "iso3", "assessed", "model", "why"]))
    print()
    return 0


def _years(text: str | None, inp) -> list[int]:
    """--years 2007-2009 or 2008,2010 (default: the calibration years)."""
    from .calibration import CALIBRATION_YEARS
    from .errors import ConfigError

    if not text:
        return list(CALIBRATION_YEARS)
    try:
        if "-" in text:
            lo, hi = (int(x) for x in text.split("-", 1))
            years = list(range(lo, hi + 1))
        else:
            years = [int(x) for x in text.split(",")]
    except ValueError:
        raise ConfigError(f"--years {text!r}: expected FROM-TO or a comma-separated list of years") from None
    bad = [y for y in years if y not in inp.years]
    if bad or not years:
        raise ConfigError(
            f"--years {text!r}: no trade data for {bad or text} (data cover {inp.years[0]}–{inp.years[-1]})"
        )
    return years


def cmd_tidy(a) -> int:
    from .pipeline import DEFAULT_DATA
    from .tidy import tidy

    done = tidy(a.data or DEFAULT_DATA)
    for t in done:
        print(t)
    print(f"{len(done)} file(s) tidied" if done else "nothing to tidy")
    return 0


def cmd_sync(a) -> int:
    from .stores.neo4j_sync import cli_sync

    return cli_sync(a)


def cmd_briefing(a) -> int:
    from .briefing import cli_briefing

    return cli_briefing(a)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m graph_loader", description="Outreach Graph: load, check and export data."
    )
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check every file in data/ against the schema")
    _data_arg(p)
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("tidy", help="remove byte-order marks, blank lines and empty rows (spreadsheet leftovers)")
    _data_arg(p)
    p.set_defaults(func=cmd_tidy)
    p = sub.add_parser("stats", help="counts per node label, relationship type and category")
    _data_arg(p)
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("export", help="write the graph as GraphML, GEXF or JSON (atomically)")
    _data_arg(p)
    p.add_argument("--format", choices=["graphml", "gexf", "json"], required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("risk", help="diversion-risk scores for a year")
    _data_arg(p)
    p.add_argument("--year", type=int, default=None, help="default: the latest year with trade data")
    p.add_argument(
        "--preset",
        default=None,
        help="a model of graph_loader/risk_weights.yaml (default: hand-set; also fitted-annex-i)",
    )
    p.add_argument("--weights", type=Path, default=None, help="YAML weights file ({factor: weight})")
    p.add_argument("--set", action="append", metavar="FACTOR=WEIGHT", help="override one weight (repeatable)")
    p.add_argument("--sensitivity", action="store_true", help="add agreement with analysts and the ±25%% weight report")
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="agreement with the analysts' tiers per year and model, with the factor behind each disagreement",
    )
    p.add_argument(
        "--fit", action="store_true", help="fit the model to the analysts' tiers (grid + leave one country out)"
    )
    p.add_argument("--years", default=None, help="calibration years, FROM-TO or a list (default 2007-2009)")
    p.add_argument("--format", choices=["json", "table", "csv"], default="table")
    p.set_defaults(func=cmd_risk)
    p = sub.add_parser(
        "sync", help="write the graph to Neo4j (NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE)"
    )
    _data_arg(p)
    p.add_argument("--uri")
    p.add_argument("--user")
    p.add_argument("--database")
    p.add_argument(
        "--batch-size", type=_positive, default=DEFAULT_BATCH, help=f"rows per transaction (default {DEFAULT_BATCH})"
    )
    p.add_argument(
        "--workers",
        type=_positive,
        default=DEFAULT_WORKERS,
        help=f"sessions writing new relationships at once (default {DEFAULT_WORKERS}; 1 = one at a time)",
    )
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_sync)
    p = sub.add_parser("briefing", help="write a self-contained HTML briefing (works offline)")
    _data_arg(p)
    p.add_argument("--country", help="ISO3 of a country to focus on")
    p.add_argument("--year", type=int, help="last year of the window; risk of that year (default: latest)")
    p.add_argument("--from", dest="year_from", type=int, help="first year of the window (default: --year)")
    p.add_argument(
        "--tier-source",
        choices=["assessment", "model"],
        default="assessment",
        help="risk tiers from the analysts' assessment where in force (default) or from the model",
    )
    p.add_argument("--preset", default=None, help="risk model preset (default: hand-set)")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_briefing)
    from .register.cli import add_parsers as register_parsers  # record …, register template|import|export|replay

    register_parsers(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    try:
        return a.func(a)
    except DataError as e:
        print(e.summary(), file=sys.stderr)
        return 1
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
