"""The map: countries coloured by what the analyst picks, partner activity as arcs, small territories as points.

Pure functions (no Streamlit): they take rows and dicts and return a DataFrame, a Vega-Lite spec (dict) or an SVG
string, so the page only lays out and draws, and tests call them on small inputs.

What is coloured (`COLOURINGS`; each country falls into exactly one class, so the legend lists every colour):

- ``category``: the maturity category (1–4, Annex I) of the assessment in force in the context's year;
- ``tier``: the risk tier (High / Medium / Low) by the context's tier source — the analysts' tier where an
  assessment is in force, else the model's (the hover says which);
- ``gaps``: the number of coverage gaps (needed tools nothing held or planned in the window), binned 0 / 1 / 2 /
  3–4 / 5+; only recipients with a category have gaps;
- ``unmet``: the number of unmet requests as of the window's last year (0 / 1 / 2 / 3+).

Countries without a value are classed by their role (partner, nation of concern, recipient without a value, other
country of the data); countries outside the data are light grey and not clickable. Partner activity of the
window (the coverage matrix's delivering partners) is drawn as curved arcs from the partner's capital to the
recipient's capital, one per partner and country, width = number of tools delivered. A partner outside the frame
(the USA on the Asia-Pacific frame) starts from the frame's edge, labelled "USA (off map)".

Boundaries: Natural Earth 1:50m via world-atlas 2.0.2 (data/geo/countries-50m.topo.json, ISC licence in
data/geo/world-atlas-LICENSE.txt). Geometry ids are ISO 3166-1 numeric codes, mapped to alpha-3 with pycountry.
Nothing here names a URL: the spec is drawn with the Vega-Lite that Streamlit bundles, and the SVG export is
written here, in Python.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TOPO_PATH = ROOT / "data" / "geo" / "countries-50m.topo.json"
ATTRIBUTION = "Boundaries: Natural Earth 1:50m (public domain) via world-atlas 2.0.2 (ISC)"

# frame name -> (lon_min, lon_max, lat_min, lat_max)
FRAMES = {"Asia-Pacific": (32.0, 180.0, -47.0, 53.0), "World": (-180.0, 180.0, -58.0, 80.0)}
OUTSIDE = "#eeeeee"  # countries outside the data
OCEAN = "#f3f8fc"
NO_DATA = "#d4d4d4"  # in the data, but no value for this colouring
ROLE_CLASSES = {
    "partner": ("partner", "#9e9e9e"),
    "concern": ("nation of concern", "#6a51a3"),
    "recipient": ("recipient, no value", NO_DATA),
    "other": ("other country", "#e3e3e3"),
}
PARTNER_COLOURS = {"JPN": "#c51b7d", "USA": "#2166ac", "AUS": "#1b7837"}
EXTRA_PARTNER_COLOURS = ["#8c510a", "#01665e", "#762a83", "#b35806"]
SMALL_BBOX_DEG2 = 1.0  # a country whose whole bounding box is smaller than this gets a point mark too


@dataclass(frozen=True)
class Colouring:
    """One choice of what colours the countries: classes in legend order with their colours."""

    key: str
    title: str
    classes: tuple[tuple[str, str], ...]  # (label, colour)
    explains: str


COLOURINGS: dict[str, Colouring] = {
    "category": Colouring(
        "category",
        "Maturity category",
        (
            ("1: no or low intention", "#b2182b"),
            ("2: laws not yet sufficient", "#ef8a62"),
            ("3: enforcement insufficient", "#fddbc7"),
            ("4: industry cooperation lacking", "#67a9cf"),
        ),
        "the maturity category of the assessment in force in the context's last year (Annex I, 2008)",
    ),
    "tier": Colouring(
        "tier",
        "Risk tier",
        (("High", "#d7301f"), ("Medium", "#fc8d59"), ("Low", "#fee8c8")),
        "the risk tier of the context's last year by the context's tier source (hover: whose tier)",
    ),
    "gaps": Colouring(
        "gaps",
        "Coverage gaps",
        (
            ("0 gaps", "#c7e9c0"),
            ("1 gap", "#fed976"),
            ("2 gaps", "#fd8d3c"),
            ("3–4 gaps", "#e31a1c"),
            ("5+ gaps", "#800026"),
        ),
        "the number of needed tools nothing held or planned in the window (coverage_gaps)",
    ),
    "unmet": Colouring(
        "unmet",
        "Unmet requests",
        (("0 unmet", "#c7e9c0"), ("1 unmet", "#fdae6b"), ("2 unmet", "#e6550d"), ("3+ unmet", "#a63603")),
        "the number of requests for help no activity answers, as of the window's last year (unmet_requests)",
    ),
}


# -------------------------------------------------------------------------------------------- geometry
def numeric_to_iso3(code) -> str | None:
    """ISO 3166-1 numeric code ('158', 344, '036') -> alpha-3 ('TWN', 'HKG', 'AUS'); None when unknown (some
    world-atlas geometries, e.g. Kosovo or Somaliland, carry no code)."""
    import pycountry

    if code is None or not str(code).strip().isdigit():
        return None
    found = pycountry.countries.get(numeric=f"{int(str(code).strip()):03d}")
    return found.alpha_3 if found else None


@lru_cache(maxsize=2)
def load_topology(path: str | Path = TOPO_PATH) -> dict:
    """The world-atlas TopoJSON (object 'countries'), each geometry given properties.iso3 (None when unknown)."""
    topo = json.loads(Path(path).read_text(encoding="utf-8"))
    for g in topo["objects"]["countries"]["geometries"]:
        g.setdefault("properties", {})["iso3"] = numeric_to_iso3(g.get("id"))
    return topo


def _arc_ids(geom: dict):
    arcs = geom.get("arcs") or []
    if geom["type"] == "Polygon":
        arcs = [arcs]
    for polygon in arcs:
        for ring in polygon:
            yield from ring


def _decoded_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Every arc as absolute (lon, lat) points (delta-decoded and de-quantized when the file is quantized)."""
    t = topo.get("transform")
    out = []
    for arc in topo["arcs"]:
        if t:
            x = y = 0
            pts = []
            for dx, dy in arc:
                x += dx
                y += dy
                pts.append((x * t["scale"][0] + t["translate"][0], y * t["scale"][1] + t["translate"][1]))
        else:
            pts = [(float(p[0]), float(p[1])) for p in arc]
        out.append(pts)
    return out


def polygons(topo: dict, geom: dict, arcs: list | None = None) -> list[list[list[tuple[float, float]]]]:
    """A Polygon/MultiPolygon geometry as polygons of rings of (lon, lat) (an arc index ~i is arc i reversed)."""
    arcs = arcs if arcs is not None else _decoded_arcs(topo)
    parts = geom.get("arcs") or []
    if geom["type"] == "Polygon":
        parts = [parts]
    result = []
    for polygon in parts:
        rings = []
        for ring in polygon:
            pts: list[tuple[float, float]] = []
            for i in ring:
                seg = arcs[i] if i >= 0 else arcs[~i][::-1]
                pts.extend(seg if not pts else seg[1:])
            rings.append(pts)
        result.append(rings)
    return result


def bbox(points) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), max(xs), min(ys), max(ys)


def subset_topology(topo: dict, frame: tuple[float, float, float, float], keep: set[str] = frozenset()) -> dict:
    """The countries whose bounding box meets `frame` (lon_min, lon_max, lat_min, lat_max), plus those in `keep`
    (alpha-3), with only the arcs they use (renumbered; each arc is kept whole, so the shapes are unchanged)."""
    arcs = _decoded_arcs(topo)
    lo0, lo1, la0, la1 = frame
    chosen = []
    for g in topo["objects"]["countries"]["geometries"]:
        ids = list(_arc_ids(g))
        if not ids:
            continue
        x0, x1, y0, y1 = bbox([p for i in ids for p in arcs[i if i >= 0 else ~i]])
        if (x1 >= lo0 and x0 <= lo1 and y1 >= la0 and y0 <= la1) or g["properties"].get("iso3") in keep:
            chosen.append(g)
    used = sorted({i if i >= 0 else ~i for g in chosen for i in _arc_ids(g)})
    new = {old: n for n, old in enumerate(used)}

    def remap(x):
        if isinstance(x, list):
            return [remap(v) for v in x]
        return new[x] if x >= 0 else ~new[~x]

    geoms = [{**g, "arcs": remap(g["arcs"])} for g in chosen]
    out = {
        "type": "Topology",
        "arcs": [topo["arcs"][i] for i in used],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": geoms}},
    }
    if "transform" in topo:
        out["transform"] = topo["transform"]
    return out


def small_territories(topo: dict, iso3s, max_bbox_deg2: float = SMALL_BBOX_DEG2) -> list[str]:
    """Countries of `iso3s` too small to see as shapes (bounding box under max_bbox_deg2 square degrees, e.g.
    Singapore, Hong Kong) or with no shape in the file: they get a point mark at their capital."""
    arcs = _decoded_arcs(topo)
    area: dict[str, float] = {}
    for g in topo["objects"]["countries"]["geometries"]:
        iso = g["properties"].get("iso3")
        ids = list(_arc_ids(g))
        if iso and ids:
            x0, x1, y0, y1 = bbox([p for i in ids for p in arcs[i if i >= 0 else ~i]])
            area[iso] = max(area.get(iso, 0.0), (x1 - x0) * (y1 - y0))
    return sorted(i for i in set(iso3s) if area.get(i, 0.0) < max_bbox_deg2)


# ------------------------------------------------------------------------------------------ projection
def _merc_y(lat: float) -> float:
    lat = max(-85.0, min(85.0, lat))
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def projection(frame: tuple[float, float, float, float], width: int, height: int) -> dict:
    """Mercator parameters (Vega/d3: type, scale, center, translate, clipExtent) that fit `frame` into
    width × height; project() applies the same formula, so the SVG export and the chart agree."""
    lo0, lo1, la0, la1 = frame
    span_x, span_y = math.radians(lo1 - lo0), _merc_y(la1) - _merc_y(la0)
    scale = min(width / span_x, height / span_y)
    mid_y = (_merc_y(la0) + _merc_y(la1)) / 2
    center = [(lo0 + lo1) / 2, math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)]
    return {
        "type": "mercator",
        "scale": scale,
        "center": center,
        "translate": [width / 2, height / 2],
        "clipExtent": [[0, 0], [width, height]],
    }


def fit_height(frame: tuple[float, float, float, float], width: int) -> int:
    """The height at which `frame` fills `width` exactly (no empty strip beyond the frame's edges)."""
    lo0, lo1, la0, la1 = frame
    return int(round(width * (_merc_y(la1) - _merc_y(la0)) / math.radians(lo1 - lo0)))


def project(proj: dict, lon: float, lat: float) -> tuple[float, float]:
    """(x, y) in pixels of a point under projection() parameters."""
    lon0, lat0 = proj["center"]
    return (
        proj["translate"][0] + proj["scale"] * math.radians(lon - lon0),
        proj["translate"][1] - proj["scale"] * (_merc_y(lat) - _merc_y(lat0)),
    )


def in_frame(frame, lon: float, lat: float) -> bool:
    return frame[0] <= lon <= frame[1] and frame[2] <= lat <= frame[3]


# ----------------------------------------------------------------------------------------------- facts
def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def country_facts(
    countries: list[dict], risk_rows: list[dict], tiers: dict, gaps: list[dict], unmet: list[dict], matrix: list[dict]
) -> pd.DataFrame:
    """One row per country of the data: iso3, name, roles, lat, lng, category, tier, tier_source, risk, gaps,
    unmet, partners (who delivered in the window) and tools_by_partner.

    countries: dicts with iso3, name, lat, lng and the flags recipient/concern/partner (Country nodes); risk_rows:
    state.risk_rows(year) (score and the category in force); tiers: {iso3: (tier, 'analysts'|'model')}; gaps:
    coverage_gaps rows; unmet: unmet_requests rows; matrix: coverage_matrix rows (partners of delivered cells).
    gaps is None for a country that cannot have gaps (not a recipient, or no category); unmet is 0 for
    recipients without an unmet request and None for other countries without one."""
    risk = {r["iso3"]: r for r in risk_rows}
    n_gaps: dict[str, int] = {}
    for r in gaps:
        n_gaps[r["iso3"]] = n_gaps.get(r["iso3"], 0) + 1
    n_unmet: dict[str, int] = {}
    for r in unmet:
        n_unmet[r["iso3"]] = n_unmet.get(r["iso3"], 0) + 1
    tools: dict[str, dict[str, set]] = {}
    for r in matrix:
        if r.get("cell") == "gap":
            continue
        for p in r.get("partners") or []:
            tools.setdefault(r["iso3"], {}).setdefault(p, set()).add(r["tool"])
    rows = []
    for c in countries:
        iso = c["iso3"]
        roles = [k for k in ("recipient", "concern", "partner") if c.get(k)]
        rr = risk.get(iso) or {}
        category = _num(rr.get("category") if rr.get("category") is not None else c.get("category"))
        tier, source = tiers.get(iso, (None, None))
        recipient = bool(c.get("recipient"))
        by_partner = {p: sorted(t) for p, t in sorted(tools.get(iso, {}).items())}
        rows.append(
            {
                "iso3": iso,
                "name": c.get("name") or iso,
                "roles": ", ".join(roles) or "other",
                "lat": _num(c.get("lat")),
                "lng": _num(c.get("lng")),
                "category": None if category is None else int(category),
                "tier": tier,
                "tier_source": source if tier else None,
                "risk": None if _num(rr.get("score")) is None else round(float(rr["score"]), 3),
                "gaps": n_gaps.get(iso, 0) if recipient and category is not None else (n_gaps.get(iso) or None),
                "unmet": n_unmet.get(iso, 0) if recipient else (n_unmet.get(iso) or None),
                "partners": ", ".join(by_partner),
                "tools_by_partner": by_partner,
            }
        )
    return pd.DataFrame(rows)


def _role_class(row) -> tuple[str, str]:
    roles = row["roles"].split(", ")
    for role in ("concern", "partner", "recipient"):
        if role in roles:
            return ROLE_CLASSES[role]
    return ROLE_CLASSES["other"]


def colour_class(row, by: str) -> tuple[str, str]:
    """(legend label, colour) of one facts row under the colouring `by`."""
    classes = COLOURINGS[by].classes
    v = row.get(by) if hasattr(row, "get") else row[by]
    v = None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    if v is None:
        return _role_class(row)
    if by == "category":
        return classes[int(v) - 1] if 1 <= int(v) <= 4 else _role_class(row)
    if by == "tier":
        return next((c for c in classes if c[0] == v), _role_class(row))
    n = int(v)
    if by == "gaps":
        return classes[0 if n == 0 else 1 if n == 1 else 2 if n == 2 else 3 if n <= 4 else 4]
    return classes[min(n, 3)]


def legend(facts: pd.DataFrame, by: str) -> tuple[list[str], list[str]]:
    """(domain, range) of the legend: the colouring's classes, then the role classes that occur."""
    domain = [c[0] for c in COLOURINGS[by].classes]
    rng = [c[1] for c in COLOURINGS[by].classes]
    present = {colour_class(r, by) for _, r in facts.iterrows()}
    for label, colour in ROLE_CLASSES.values():
        if (label, colour) in present and label not in domain:
            domain.append(label)
            rng.append(colour)
    return domain, rng


def _fmt(v, f="{}"):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f.format(v)


def records(facts: pd.DataFrame, by: str) -> list[dict]:
    """Facts rows as JSON-ready dicts with the class, its colour and the hover texts."""
    out = []
    for _, r in facts.iterrows():
        label, colour = colour_class(r, by)
        tier = "—" if not r["tier"] else f"{r['tier']} ({r['tier_source'] or 'model'})"
        tools = "; ".join(f"{p}: {', '.join(t)}" for p, t in r["tools_by_partner"].items()) or "none"
        out.append(
            {
                "iso3": r["iso3"],
                "name": r["name"],
                "roles": r["roles"],
                "class": label,
                "colour": colour,
                "lat": _num(r["lat"]),
                "lng": _num(r["lng"]),
                "category_text": _fmt(_num(r["category"]), "{:.0f}"),
                "tier_text": tier,
                "risk_text": _fmt(_num(r["risk"]), "{:.3f}"),
                "gaps_text": _fmt(_num(r["gaps"]), "{:.0f}"),
                "unmet_text": _fmt(_num(r["unmet"]), "{:.0f}"),
                "activity_text": tools,
                "label": f"{r['name']} ({r['iso3']})",
            }
        )
    return out


# ----------------------------------------------------------------------------------------------- links
def _partner_colour(partner: str, partners: list[str]) -> str:
    if partner in PARTNER_COLOURS:
        return PARTNER_COLOURS[partner]
    others = [p for p in partners if p not in PARTNER_COLOURS]
    return EXTRA_PARTNER_COLOURS[others.index(partner) % len(EXTRA_PARTNER_COLOURS)]


def partner_links(facts: pd.DataFrame, frame: tuple[float, float, float, float], steps: int = 16) -> pd.DataFrame:
    """Curved arcs partner capital -> recipient capital, one per (partner, country) with delivered tools in the
    window: columns link, partner, iso3, n_tools, tools, seq, lon, lat (a polyline of steps+1 points, a quadratic
    curve bowed to one side). A partner outside `frame` starts from the frame's nearest edge (anchor_off=True)."""
    where = {r["iso3"]: (r["lng"], r["lat"]) for _, r in facts.iterrows() if _num(r["lat"]) is not None}
    rows = []
    for _, r in facts.iterrows():
        for partner, tools in r["tools_by_partner"].items():
            if partner not in where or r["iso3"] not in where or partner == r["iso3"]:
                continue
            (x0, y0), (x1, y1) = partner_anchor(where[partner], frame), where[r["iso3"]]
            dx, dy = x1 - x0, y1 - y0
            bow = 0.18
            cx, cy = (x0 + x1) / 2 - dy * bow, (y0 + y1) / 2 + dx * bow
            for k in range(steps + 1):
                t = k / steps
                rows.append(
                    {
                        "link": f"{partner}-{r['iso3']}",
                        "partner": partner,
                        "iso3": r["iso3"],
                        "country": r["name"],
                        "n_tools": len(tools),
                        "tools": ", ".join(tools),
                        "seq": k,
                        "lon": (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,
                        "lat": (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1,
                    }
                )
    return pd.DataFrame(rows, columns=["link", "partner", "iso3", "country", "n_tools", "tools", "seq", "lon", "lat"])


def _unselectable(frame: pd.DataFrame) -> list[dict]:
    """Rows for a layer that must not feed the click selection (it selects by the field iso3)."""
    return frame.rename(columns={"iso3": "to_iso3"}).to_dict("records")


def partner_anchor(lonlat: tuple[float, float], frame) -> tuple[float, float]:
    """Where a partner's arcs start: its capital, or (off the frame) the nearest point just inside the frame."""
    lon, lat = lonlat
    if in_frame(frame, lon, lat):
        return lon, lat
    if lon < frame[0]:  # west of the frame: which edge is nearer going round the globe?
        lon = frame[1] - 2 if (frame[0] - lon) > (lon + 360 - frame[1]) else frame[0] + 2
    elif lon > frame[1]:
        lon = frame[1] - 2
    return lon, min(max(lat, frame[2] + 2), frame[3] - 2)


def partner_anchors(facts: pd.DataFrame, links: pd.DataFrame, frame) -> list[dict]:
    """One labelled point per partner with arcs: its capital, or its frame-edge anchor '<ISO3> (off map)'."""
    out = []
    for p in sorted(set(links["partner"])) if len(links) else []:
        r = facts[facts["iso3"] == p].iloc[0]
        lon, lat = partner_anchor((r["lng"], r["lat"]), frame)
        off = not in_frame(frame, r["lng"], r["lat"])
        out.append({"partner": p, "lon": lon, "lat": lat, "text": f"{p} (off map)" if off else p})
    return out


# ------------------------------------------------------------------------------------------- the chart
def map_spec(
    topo: dict,
    facts: pd.DataFrame,
    by: str,
    frame_name: str = "Asia-Pacific",
    width: int = 960,
    height: int | None = None,
    arcs: bool = True,
    labels: bool = True,
) -> dict:
    """The Vega-Lite spec (a dict, no $schema and no URL anywhere): a base layer of every shape (light grey),
    the data's countries filled by `colour_class` (click selects: param 'country'), partner arcs, point marks
    for small territories (param 'territory'), ISO3 labels of the recipients. Rendered as SVG (usermeta
    embedOptions), so each shape is a DOM element with an aria-label '<name> (<ISO3>)'."""
    frame = FRAMES[frame_name]
    height = height or fit_height(frame, width)
    proj = projection(frame, width, height)
    recs = records(facts, by)
    data_iso = [r["iso3"] for r in recs]
    domain, rng = legend(facts, by)
    fill = {
        "field": "class",
        "type": "nominal",
        "scale": {"domain": domain, "range": rng},
        "legend": {
            "title": COLOURINGS[by].title,
            "orient": "bottom-left",
            "fillColor": "#ffffffdd",
            "padding": 6,
            "labelLimit": 220,
            "symbolType": "square",
            "symbolSize": 160,
            "symbolStrokeColor": "#888888",
            "symbolStrokeWidth": 0.5,
            "labelFontSize": 12,
            "titleFontSize": 12,
        },
    }
    tooltip = [
        {"field": "name", "title": "country"},
        {"field": "iso3", "title": "ISO3"},
        {"field": "roles", "title": "roles"},
        {"field": "category_text", "title": "category"},
        {"field": "tier_text", "title": "risk tier (source)"},
        {"field": "risk_text", "title": "risk score"},
        {"field": "gaps_text", "title": "coverage gaps"},
        {"field": "unmet_text", "title": "unmet requests"},
        {"field": "activity_text", "title": "partner activity (tools)"},
    ]
    topo_data = {"name": "boundaries", "format": {"type": "topojson", "feature": "countries"}}
    small = set(small_territories(topo, data_iso))
    layers = [
        {
            "data": {"sphere": True},
            "mark": {"type": "geoshape", "fill": OCEAN, "stroke": None, "clip": True, "tooltip": False},
        },
        {
            "data": topo_data,
            "mark": {
                "type": "geoshape",
                "fill": OUTSIDE,
                "stroke": "#ffffff",
                "strokeWidth": 0.4,
                "clip": True,
                "tooltip": False,
            },
            "transform": [
                {"calculate": "datum.properties.iso3", "as": "iso3"},
                {"filter": {"not": {"field": "iso3", "oneOf": data_iso}}},
            ],
        },
        {
            "data": topo_data,
            "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.7, "clip": True, "cursor": "pointer"},
            "transform": [
                {"calculate": "datum.properties.iso3", "as": "iso3"},
                {
                    "lookup": "iso3",
                    "from": {"data": {"values": recs}, "key": "iso3", "fields": [k for k in recs[0] if k != "iso3"]},
                },
                {"filter": "isValid(datum.name)"},
            ],
            "params": [{"name": "country", "select": {"type": "point", "fields": ["iso3"], "on": "click"}}],
            "encoding": {"fill": fill, "tooltip": tooltip, "description": {"field": "label"}},
        },
    ]
    links = partner_links(facts, frame) if arcs else pd.DataFrame()
    partners = sorted(set(links["partner"])) if len(links) else []
    if partners:
        stroke = {
            "field": "partner",
            "type": "nominal",
            "title": "Partner activity in the window",
            "scale": {"domain": partners, "range": [_partner_colour(p, partners) for p in partners]},
            "legend": {
                "orient": "top-right",
                "fillColor": "#ffffffdd",
                "padding": 6,
                "symbolType": "stroke",
                "symbolStrokeWidth": 3,
                "labelFontSize": 12,
                "titleFontSize": 12,
            },
        }
        layers.append(
            {
                "data": {"values": _unselectable(links)},
                "mark": {
                    "type": "line",
                    "strokeOpacity": 0.75,
                    "clip": True,
                    "strokeCap": "round",
                    "interactive": False,
                },  # clicks go through to the country below
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "detail": {"field": "link"},
                    "order": {"field": "seq"},
                    "stroke": stroke,
                    "strokeWidth": {
                        "field": "n_tools",
                        "type": "quantitative",
                        "title": "tools",
                        "scale": {"range": [1.2, 4.5]},
                        "legend": None,
                    },
                    "tooltip": [
                        {"field": "partner"},
                        {"field": "country"},
                        {"field": "tools", "title": "tools delivered"},
                    ],
                },
            }
        )
        layers.append(
            {
                "data": {"values": partner_anchors(facts, links, frame)},
                "mark": {
                    "type": "text",
                    "fontWeight": "bold",
                    "fontSize": 11,
                    "dy": -9,
                    "clip": True,
                    "interactive": False,
                },
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "text": {"field": "text"},
                    "fill": {"value": "#333333"},
                },
            }
        )
    points = [r for r in recs if r["iso3"] in small and r["lat"] is not None and in_frame(frame, r["lng"], r["lat"])]
    if points:
        layers.append(
            {
                "data": {"values": points},
                "mark": {
                    "type": "circle",
                    "size": 180,  # about 15 px across: a target a hand can hit beside a larger neighbour
                    "stroke": "#222222",
                    "strokeWidth": 1,
                    "opacity": 1,
                    "cursor": "pointer",
                },  # in the frame already; no clip
                "params": [{"name": "territory", "select": {"type": "point", "fields": ["iso3"], "on": "click"}}],
                "encoding": {
                    "longitude": {"field": "lng", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "fill": {**fill, "legend": None},
                    "tooltip": tooltip,
                    "description": {"field": "label"},
                },
            }
        )
    if labels:
        shown = [r for r in recs if "recipient" in r["roles"] or "partner" in r["roles"] or "concern" in r["roles"]]
        shown = [r for r in shown if r["lat"] is not None and in_frame(frame, r["lng"], r["lat"])]
        shown = [{"code": r["iso3"], "lng": r["lng"], "lat": r["lat"]} for r in shown]  # no iso3: not selectable
        layers.append(
            {
                "data": {"values": shown},
                "mark": {
                    "type": "text",
                    "fontSize": 9,
                    "dy": 10,
                    "clip": True,
                    "tooltip": False,
                    "interactive": False,
                },  # a label never takes the click meant for a territory
                "encoding": {
                    "longitude": {"field": "lng", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "text": {"field": "code"},
                    "fill": {"value": "#222222"},
                },
            }
        )
    return {
        "width": width,
        "height": height,
        "projection": proj,
        "layer": layers,
        "datasets": {"boundaries": topo},
        "config": {"view": {"stroke": "#cccccc"}},
        "usermeta": {"embedOptions": {"renderer": "svg"}},
    }


def urls_in(obj) -> list[str]:
    """Every string in a nested structure that contains http:// or https:// (a spec must have none)."""
    if isinstance(obj, dict):
        return [u for k, v in obj.items() for u in urls_in(k) + urls_in(v)]
    if isinstance(obj, (list, tuple)):
        return [u for v in obj for u in urls_in(v)]
    return [obj] if isinstance(obj, str) and ("http://" in obj or "https://" in obj) else []


def selected_iso3(event) -> str | None:
    """The ISO3 a click selected, from st.vega_lite_chart's selection event (params 'country' or 'territory')."""
    try:
        selection = event["selection"] if isinstance(event, dict) else event.selection
    except (AttributeError, KeyError, TypeError):
        return None
    for name in ("territory", "country"):
        for item in (selection.get(name) or []) if hasattr(selection, "get") else []:
            if isinstance(item, dict) and item.get("iso3"):
                return str(item["iso3"])
    return None


# ------------------------------------------------------------------------------------------ SVG export
def map_svg(
    topo: dict,
    facts: pd.DataFrame,
    by: str,
    frame_name: str = "Asia-Pacific",
    width: int = 1280,
    height: int | None = None,
    arcs: bool = True,
    labels: bool = True,
    title: str = "",
    subtitle: str = "",
) -> str:
    """The same map as one standalone SVG (for a slide), written here in Python — no browser, no network, no
    external reference: the same classes and colours, arcs, point marks and labels as map_spec, a legend, the
    title/subtitle and the boundary attribution. Each country carries a <title> (its facts) for viewers that
    show it."""
    frame = FRAMES[frame_name]
    top, bottom = (56 if title else 8), 28
    height = height or fit_height(frame, width) + top + bottom
    mh = height - top - bottom
    proj = projection(frame, width, mh)
    arcs_pts = _decoded_arcs(topo)
    recs = {r["iso3"]: r for r in records(facts, by)}
    e = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        out.append(f'<text x="12" y="26" font-size="20" font-weight="bold">{e(title)}</text>')
        out.append(f'<text x="12" y="46" font-size="12" fill="#555">{e(subtitle)}</text>')
    out.append(f'<defs><clipPath id="mapclip"><rect width="{width}" height="{mh}"/></clipPath></defs>')
    out.append(
        f'<g transform="translate(0,{top})"><rect width="{width}" height="{mh}" fill="{OCEAN}" '
        f'stroke="#cccccc"/><g clip-path="url(#mapclip)">'
    )

    def path(rings) -> str:
        parts = []
        for ring in rings:
            pts = [project(proj, lon, lat) for lon, lat in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
        return "".join(parts)

    for g in topo["objects"]["countries"]["geometries"]:
        if not g.get("arcs"):
            continue
        iso = g["properties"].get("iso3")
        r = recs.get(iso)
        d = "".join(path(rings) for rings in polygons(topo, g, arcs_pts))
        if r:
            tip = (
                f"{r['label']} · {r['class']} · category {r['category_text']} · tier {r['tier_text']} · "
                f"risk {r['risk_text']} · gaps {r['gaps_text']} · unmet {r['unmet_text']}"
            )
            out.append(
                f'<path d="{d}" fill="{r["colour"]}" stroke="#ffffff" stroke-width="0.7" '
                f'fill-rule="evenodd"><title>{e(tip)}</title></path>'
            )
        else:
            out.append(f'<path d="{d}" fill="{OUTSIDE}" stroke="#ffffff" stroke-width="0.4" fill-rule="evenodd"/>')
    links = partner_links(facts, frame) if arcs else pd.DataFrame()
    partners = sorted(set(links["partner"])) if len(links) else []
    if partners:
        lo, hi = links["n_tools"].min(), links["n_tools"].max()
        for link, grp in links.groupby("link", sort=True):
            grp = grp.sort_values("seq")
            n = grp["n_tools"].iloc[0]
            w = 1.2 + (3.3 * (n - lo) / (hi - lo) if hi > lo else 1.6)
            pts = " ".join("{:.1f},{:.1f}".format(*project(proj, lo_, la_)) for lo_, la_ in zip(grp["lon"], grp["lat"]))
            out.append(
                f'<polyline points="{pts}" fill="none" stroke="{_partner_colour(grp["partner"].iloc[0], partners)}" '
                f'stroke-width="{w:.1f}" stroke-opacity="0.75" stroke-linecap="round">'
                f"<title>{e(link)}: {e(grp['tools'].iloc[0])}</title></polyline>"
            )
        for a in partner_anchors(facts, links, frame):
            x, y = project(proj, a["lon"], a["lat"])
            out.append(
                f'<text x="{x:.1f}" y="{y - 7:.1f}" font-size="12" font-weight="bold" text-anchor="middle" '
                f'fill="#333">{e(a["text"])}</text>'
            )
    small = set(small_territories(topo, list(recs)))
    for iso in sorted(small):
        r = recs[iso]
        if r["lat"] is not None and in_frame(frame, r["lng"], r["lat"]):
            x, y = project(proj, r["lng"], r["lat"])
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5.5" fill="{r["colour"]}" stroke="#222" '
                f'stroke-width="1"><title>{e(r["label"])}</title></circle>'
            )
    if labels:
        for r in recs.values():
            if r["roles"] != "other" and r["lat"] is not None and in_frame(frame, r["lng"], r["lat"]):
                x, y = project(proj, r["lng"], r["lat"])
                out.append(
                    f'<text x="{x:.1f}" y="{y + 13:.1f}" font-size="10" text-anchor="middle" '
                    f'fill="#222">{e(r["iso3"])}</text>'
                )
    out.append("</g>")
    # legends: the colouring (bottom-left), the partners (top-right)
    domain, rng = legend(facts, by)
    lh = 18 + 17 * len(domain)
    out.append(
        f'<g transform="translate(10,{mh - lh - 10})"><rect width="250" height="{lh + 6}" fill="#ffffff" '
        f'fill-opacity="0.9" stroke="#bbb"/><text x="8" y="16" font-size="12" font-weight="bold">'
        f"{e(COLOURINGS[by].title)}</text>"
    )
    for i, (label, colour) in enumerate(zip(domain, rng)):
        out.append(
            f'<rect x="8" y="{24 + 17 * i}" width="14" height="12" fill="{colour}" stroke="#888" '
            f'stroke-width="0.5"/><text x="28" y="{34 + 17 * i}" font-size="11">{e(label)}</text>'
        )
    out.append("</g>")
    if partners:
        ph = 18 + 17 * len(partners)
        out.append(
            f'<g transform="translate({width - 210},10)"><rect width="200" height="{ph + 6}" fill="#ffffff" '
            f'fill-opacity="0.9" stroke="#bbb"/><text x="8" y="16" font-size="12" font-weight="bold">'
            f"Partner activity</text>"
        )
        for i, p in enumerate(partners):
            out.append(
                f'<line x1="8" x2="24" y1="{30 + 17 * i}" y2="{30 + 17 * i}" stroke-width="3" '
                f'stroke="{_partner_colour(p, partners)}"/><text x="30" y="{34 + 17 * i}" '
                f'font-size="11">{e(p)}</text>'
            )
        out.append("</g>")
    out.append("</g>")
    out.append(
        f'<text x="{width - 8}" y="{height - 9}" font-size="10" fill="#666" text-anchor="end">'
        f"{e(ATTRIBUTION)}</text></svg>"
    )
    return "\n".join(out)
