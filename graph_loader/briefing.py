"""The briefing: ONE self-contained HTML file (network view + key tables) and its tables as CSV files.

Everything shown is a library query's rows (queries/*.cypher) run by the caller's Runner; this module
only selects rows of the focus country and renders them. The page works offline: vis-network and all
styles are in-line, every value is escaped, and no URL is fetched.

A briefing is made for an analysis context — a window year_from–year_to, a tier source and a risk model — and
states it at the top; every table uses it: coverage of the window, risk and tiers of the window's last year
(the nearest scored year), the country's activities, statements and meetings inside the window.

`python -m graph_loader briefing [--data DIR] [--country ISO3] [--year Y] [--from Y0] [--tier-source S]
[--preset NAME] --out PATH` writes PATH and, beside it, PATH's name with "_tables.zip" (one CSV per table,
spreadsheet-safe), both atomically.
"""

from __future__ import annotations

import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from . import network_view as nv
from .tables import to_csv
from .vis_html import esc, fragment, page


@dataclass(frozen=True)
class Window:
    """The briefing's analysis context: the years year_from–year_to, the risk year (nearest scored year to
    year_to), whose tiers (tier_source) and which risk model."""

    year_from: int
    year_to: int
    risk_year: int
    tier_source: str = "assessment"
    model: str = ""

    def describe(self) -> str:
        tiers = (
            "the analysts' tiers where an assessment is in force, else the model's"
            if self.tier_source == "assessment"
            else "the model's tiers"
        )
        return f"window {self.year_from}–{self.year_to} · risk of {self.risk_year} · {tiers}" + (
            f" · risk model {self.model}" if self.model else ""
        )


# table name: (query, title, parameters for the window w, whether rows are filtered to the focus country)
TABLES = {
    "risk_ranking": (
        "risk_ranking",
        "Diversion-risk ranking",
        lambda w: {"year": w.risk_year, "tier_source": w.tier_source},
        False,
    ),
    "coverage_gaps": (
        "coverage_gaps",
        "Coverage gaps",
        lambda w: {"year_from": w.year_from, "year_to": w.year_to, "tier_source": w.tier_source},
        True,
    ),
    "partner_overlap": (
        "partner_overlap",
        "Partner overlap (flooding)",
        lambda w: {"year_from": w.year_from, "year_to": w.year_to},
        True,
    ),
    "unmet_requests": ("unmet_requests", "Unmet requests", lambda w: {"as_of_year": w.year_to}, True),
    "handover_risk": (
        "handover_risk",
        "Handover risk (points of contact leaving)",
        lambda w: {"as_of_year": w.year_to},
        True,
    ),
}
COUNTRY_TABLES = {
    "country_profile": ("country_profile", "Country profile", lambda c, w: {"iso3": c}),
    "ties_to_concern": ("ties_to_concern", "Ties to nations of concern", lambda c, w: {"iso3": c, "year": w.risk_year}),
    "meetings": ("meeting_participation", "Meetings in the window", lambda c, w: {}),
}
PROFILE_PARTS = ("assessments", "activities", "requests", "contacts")
BRIEF_RELS = (
    "CONDUCTS",
    "TARGETS",
    "USES",
    "PART_OF",
    "RUNS",
    "NEEDS",
    "ASSESSED",
    "PLACED_IN",
    "VOICED",
    "ASKS_FOR",
    "HOSTED",
    "HELD_AT",
    "CONTIGUOUS",
    "LANGUAGE_TIE",
    "COLONIAL_TIE",
    "HISTORICAL_TIE",
    "RIVALRY",
)


class BriefingError(ValueError):
    """A briefing that cannot be made (unknown country); one clear line."""


def check_country(g: nx.MultiDiGraph, country: str | None) -> str | None:
    """The ISO3 of a country of the graph (upper-cased), None for the overview; BriefingError otherwise."""
    if country in (None, ""):
        return None
    iso3 = country.strip().upper()
    if f"Country:{iso3}" not in g:
        some = ", ".join(sorted(d["iso3"] for _, d in g.nodes(data=True) if d["label"] == "Country")[:8])
        raise BriefingError(
            f"unknown country {country!r} (expected the ISO3 code of a country in the data, e.g. {some})"
        )
    return iso3


def scored_years(g: nx.MultiDiGraph) -> list[int]:
    return sorted({d["year"] for _, d in g.nodes(data=True) if d["label"] == "RiskScore"})


def resolve_years(g: nx.MultiDiGraph, year: int | None) -> tuple[int, int]:
    """(year, risk year): year defaults to the build's risk year; the risk year is the year itself when it is
    scored, else the nearest scored year (risk data end before outreach data do)."""
    years = scored_years(g) or [g.graph.get("risk_year") or 2008]
    y = int(year) if year is not None else int(g.graph.get("risk_year") or years[-1])
    return y, min(years, key=lambda s: (abs(s - y), -s))


def window(
    g: nx.MultiDiGraph, year: int | None, year_from: int | None = None, tier_source: str = "assessment", model: str = ""
) -> Window:
    """The briefing's Window: year_to = `year` (default: the build's risk year), year_from defaults to it."""
    y, ry = resolve_years(g, year)
    y0 = y if year_from is None else int(year_from)
    if y0 > y:
        raise BriefingError(f"the window starts in {y0}, after it ends in {y}")
    return Window(y0, y, ry, tier_source, model or str(g.graph.get("risk_model", "")))


def _run(runner, query: str, params: dict) -> tuple[list[str], list[dict]]:
    res = runner.run(query, params)
    return list(res.columns), res.rows


def briefing_tables(
    g: nx.MultiDiGraph, runner, country: str | None, year: int | None = None, w: Window | None = None
) -> dict[str, tuple[list, list]]:
    """{name: (columns, rows)} of the briefing for the Window `w` (default: the year alone); with a country,
    rows of that country only (risk ranking whole), plus its profile, ties, the meetings it took part in
    within the window and the profile's assessments/activities/requests/contacts (activities and statements
    of the window only) as their own tables."""
    iso3 = check_country(g, country)
    w = w or window(g, year)
    out = {}
    for name, (query, _, params, per_country) in TABLES.items():
        cols, rows = _run(runner, query, params(w))
        out[name] = (cols, [r for r in rows if r.get("iso3") == iso3] if iso3 and per_country else rows)
    if iso3:
        for name, (query, _, params) in COUNTRY_TABLES.items():
            out[name] = _run(runner, query, params(iso3, w))
        cols, rows = out["meetings"]
        out["meetings"] = (
            cols,
            [
                r
                for r in rows
                if r.get("participant") == iso3 and r.get("year") is not None and w.year_from <= r["year"] <= w.year_to
            ],
        )
        profile = out["country_profile"][1][0] if out["country_profile"][1] else {}
        for part in PROFILE_PARTS:
            rows = [
                r
                for r in profile.get(part) or []
                if part not in ("activities", "requests")
                or r.get("year") is None
                or w.year_from <= r["year"] <= w.year_to
            ]
            out[f"country_{part}"] = (_columns(rows), rows)
    return out


def _columns(rows: list[dict]) -> list[str]:
    """Keys of the rows in first-seen order, source last."""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return [c for c in cols if c != "source"] + (["source"] if "source" in cols else [])


def tables_zip(tables: dict[str, tuple[list, list]]) -> bytes:
    """A zip of one spreadsheet-safe CSV per table (fixed timestamps: same tables → same bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, (cols, rows) in tables.items():
            z.writestr(zipfile.ZipInfo(f"{name}.csv", date_time=(1980, 1, 1, 0, 0, 0)), to_csv(rows, cols))
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------- HTML
def cell(v) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{esc(k)}: {esc(x)}" for k, x in v.items() if x not in (None, ""))
    if isinstance(v, list) and v and isinstance(v[0], dict):
        return "<br>".join(cell(x) for x in v)
    return esc(v)


def table_html(cols: list[str], rows: list[dict], empty: str = "No rows.") -> str:
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f'<div class="tw"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def profile_html(row: dict) -> str:
    facts = [
        (k, row.get(k))
        for k in (
            "iso3",
            "country",
            "roles",
            "region",
            "category",
            "objective",
            "assessed_tier",
            "risk_year",
            "risk_score",
            "risk_tier",
            "risk_technology",
            "risk_trade",
            "risk_geography",
            "risk_ties",
            "risk_missing",
            "never_delivered",
            "source",
        )
    ]
    return table_html(["fact", "value"], [{"fact": k, "value": v} for k, v in facts])


def briefing_view(
    g: nx.MultiDiGraph, iso3: str | None, w: Window, gaps: list, overlaps: list
) -> tuple[nx.MultiDiGraph, str]:
    """Country: its ego network (depth 1, the window's records, outreach links and country ties); overview:
    recipients, partners, tools and the window's activities. Gaps and overlaps highlighted; aggregated when
    large."""
    years = (w.year_from, w.year_to)
    if iso3:
        base = nv.filter_graph(g, nv.Filters(labels=nv.DEFAULT_LABELS, rel_types=BRIEF_RELS, years=years))
        view = nv.ego(base, f"Country:{iso3}", 1)
    else:
        view = nv.filter_graph(
            g,
            nv.Filters(
                labels=("Country", "Tool", "Activity", "Programme"),
                rel_types=("CONDUCTS", "TARGETS", "USES", "PART_OF", "RUNS"),
                years=years,
            ),
        )
    return nv.aggregate(nv.highlight(view, gaps, overlaps))


BRIEF_CSS = """
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:18px 0 6px;border-bottom:1px solid #ccc}
.meta{color:#555;font-size:13px}.empty{color:#777;font-style:italic}
.tw{overflow-x:auto}table{border-collapse:collapse;font-size:12px;margin:4px 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top;max-width:460px}th{background:#f3f3f3}
tr:nth-child(even) td{background:#fafafa}
"""


def briefing_html(
    g: nx.MultiDiGraph,
    runner,
    country: str | None,
    year: int | None = None,
    tables: dict | None = None,
    w: Window | None = None,
) -> str:
    """The briefing as ONE self-contained HTML document (see the module docstring)."""
    iso3 = check_country(g, country)
    w = w or window(g, year)
    tables = tables if tables is not None else briefing_tables(g, runner, iso3, w=w)
    name = g.nodes[f"Country:{iso3}"].get("name", iso3) if iso3 else "All recipients"
    span = f"{w.year_from}–{w.year_to}" if w.year_from != w.year_to else f"{w.year_to}"
    title = f"Outreach briefing — {name}{f' ({iso3})' if iso3 else ''} — {span}"
    view, notice = briefing_view(g, iso3, w, tables["coverage_gaps"][1], tables["partner_overlap"][1])
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">Made for: {esc(w.describe())} · data: '
        f"{esc(Path(str(g.graph.get('data_dir', ''))).name or 'data')} · backend "
        f"{esc(getattr(runner, 'backend', ''))}. Every table is a query of the Cypher library (queries/) "
        "with this context; values are the query rows.</p>",
        f"<h2>{'Ego network (depth 1)' if iso3 else f'Recipients, partners and activities in {span}'}</h2>",
        fragment(view, None, "brief-view", notice, 520),
    ]
    if iso3:
        prof = tables["country_profile"][1]
        parts += ["<h2>Country profile</h2>", profile_html(prof[0]) if prof else table_html([], [])]
        for part in PROFILE_PARTS:
            cols, rows = tables[f"country_{part}"]
            within = f" ({span})" if part in ("activities", "requests") else ""
            parts += [f"<h2>{esc(part.capitalize())}{within}</h2>", table_html(cols, rows)]
        parts += [f"<h2>Meetings ({span})</h2>", table_html(*tables["meetings"], empty="No meeting in the window.")]
        parts += [f"<h2>Ties to nations of concern ({w.risk_year})</h2>", table_html(*tables["ties_to_concern"])]
    for name_, (_, heading, _, _) in TABLES.items():
        parts += [f"<h2>{esc(heading)}</h2>", table_html(*tables[name_])]
    return page(title, "\n".join(parts), BRIEF_CSS)


# ------------------------------------------------------------------------------------------------ CLI
def zip_path_for(out: Path) -> Path:
    return out.with_name(f"{out.stem}_tables.zip")


def cli_briefing(a) -> int:
    """Write the HTML (a.out) and the CSV zip beside it, atomically; unknown country → exit 2, nothing written."""
    from queries import Runner

    from .export import atomic_path
    from .pipeline import load
    from .risk import default_preset, load_model
    from .stores.embedded import store_for_data

    model = None if a.preset in (None, default_preset()) else load_model(a.preset)
    g, _ = load(a.data, model)
    try:
        iso3 = check_country(g, a.country)
        w = window(g, a.year, a.year_from, a.tier_source, a.preset or default_preset())
    except BriefingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    runner = Runner("embedded", store=store_for_data(a.data, model))
    tables = briefing_tables(g, runner, iso3, w=w)
    html = briefing_html(g, runner, iso3, tables=tables, w=w)
    out, zpath = Path(a.out), zip_path_for(Path(a.out))
    with atomic_path(out) as tmp_html, atomic_path(zpath) as tmp_zip:
        tmp_html.write_text(html, encoding="utf-8")
        tmp_zip.write_bytes(tables_zip(tables))
    print(f"wrote {out} ({len(html.encode()) // 1024} KB, self-contained) and {zpath} ({len(tables)} CSV files)")
    return 0
