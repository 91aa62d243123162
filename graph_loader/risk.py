"""Exposure and diversion risk: pure functions on the outreach graph.

The proposal prioritises countries "in accordance with potential risk of diversions to nations of concern",
judged from four elements: technology level, volume of trade, geographical location and ties. For a country
c in year y, with K = the nations of concern other than c, four factors in [0, 1]:

technology  T = weighted mean of  eci_n = clamp((ECI + 2) / 4)          (ECI is standardised: ±2 covers ~95%)
                                  ht_n  = clamp(high-tech % of manufactured exports / 50)
                weights 0.5 / 0.5. A missing year is imputed from the nearest year within 3 years (flagged).
trade       X = weighted mean of  volume = clamp((log10 D − 2) / (log10 300 000 − 2))   D = exports c→K +
                                           imports c←K (USD mn): 100 mn → 0, 300 bn → 1
                                  share  = clamp(D / W / 0.5)     W = world exports + world imports of c
                                  indirect = clamp(I / 0.10)      I = Σ_h (trade c↔h / W_c) · (trade h↔K / W_h)
                weights 0.5 / 0.25 / 0.25: the proposal speaks of trade *volume*, so volume leads; share and
                one-intermediary (transshipment) exposure over hubs h ∉ K ∪ {c} (computed on the year's trade
                graph with networkx; needs trade among non-concern pairs, COW 2000–2014) refine it.
                Bilateral flows prefer IMF DOTS and fall back to COW. Missing world imports are imputed as world
                exports × the last observed import/export ratio (flagged).
geography   G = weighted mean of  border = max over K of contiguity in force in y: land 1.0, ≤12 mi 0.8,
                                           ≤24 mi 0.7, ≤150 mi 0.5, ≤400 mi 0.3, none 0
                                  prox   = max over K of clamp(1 − capital distance km / 5000)
                                  ports  = clamp(ln(1 + 4·large + 2·medium + 0.5·other ports) / ln(41))
                weights 0.5 / 0.3 / 0.2.
ties        R = clamp(P − 0.3 · rivalry), P = weighted mean of
                                  alliance = max over K (either direction) of defense/offense 1.0,
                                             neutrality/consultation 0.6, non-aggression 0.3, none 0
                                  igo      = clamp(max over K of shared IGOs / 80)
                                  language = 1 common official language, 0.5 ethnic only, else 0
                                  colonial = 1 colony or same country, 0.5 common coloniser, else 0
                                  recorded = max strength of analyst-recorded historical ties up to y
                weights 0.35 / 0.2 / 0.15 / 0.15 / 0.15; rivalry = 1 if a strategic rivalry with K is active.
                Alliance data end in 2018 and IGO data in 2014: later years carry the last year forward (flagged).

exposure  E = Σ_f w_f · F_f / Σ_f w_f over the factors with data (every country, partners and nations of
              concern included); a factor with no data has its weight redistributed (flagged).
weakness  V = how little of the four elements of export control the country has, from its assessed category
              (the latest assessment up to y; before the first one, the first one, flagged): category 1 (no
              intention) 1; categories 2–4: (1 − i) · (5 − category) / 3, where i is the share of weakness
              that intention alone removes (the model's `intention_share`; i = 0.25 gives the even steps
              1, 0.75, 0.5, 0.25). A recipient with no assessment takes 0.5 (flagged).
risk      D = V · E — the PPI's "weak controls × high trade volume": a country with laws, enforcement and
              industry cooperation in place diverts less for the same exposure. Each factor's contribution
              V · w_f · F_f / Σ w (they sum to D) and each exposure contribution w_f · F_f / Σ w (they sum to
              E) are reported, with every missing, imputed or carried-forward input.
tiers     High / Medium / Low by Fisher-Jenks natural breaks (3 classes) over the recipients' risk of that year,
          recipients only: partners and nations of concern that are not recipients get exposure, no tier.

The model — factor weights and intention_share — is a named preset of risk_weights.yaml (`hand-set`, the
default, each weight with its reason; `fitted-annex-i`, fitted to the analysts' Annex I tiers by
graph_loader/calibration.py) or any weights given.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import yaml

from .columnar import objects, typed_codes
from .errors import ConfigError
from .graph import tables

FACTORS = ("technology", "trade", "geography", "ties")
WEIGHTS_PATH = Path(__file__).with_name("risk_weights.yaml")
IMPUTE_WINDOW = 3  # years
CONTIG_STRENGTH = {"land": 1.0, "sea_12mi": 0.8, "sea_24mi": 0.7, "sea_150mi": 0.5, "sea_400mi": 0.3}
RIVALRY_DATA_END = 2010  # Thompson & Dreyer: an end year of 2010 means "ongoing at the end of the data"


def clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return max(lo, min(hi, x))


def pair(a: str, b: str) -> frozenset:
    return frozenset((a, b))


# ----------------------------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class Model:
    """Relative factor weights and intention_share (see the module docstring); `name` and `why` say where they
    come from."""

    weights: dict
    intention_share: float = 0.25
    name: str = "custom"
    why: str = ""

    def weakness(self, category: int | None) -> float | None:
        """V of a category: 1 for category 1, (1 − i) · (5 − category) / 3 for 2–4."""
        if category is None:
            return None
        return 1.0 if category <= 1 else (1 - self.intention_share) * (5 - category) / 3


def _reason(value) -> str:
    return " ".join(str(value).split())


def presets(path: Path | str | None = None) -> dict[str, Model]:
    """The named models of the weights file, in file order."""
    raw = _read_yaml(Path(path) if path else WEIGHTS_PATH)
    out = {}
    for name, spec in (raw.get("presets") or {}).items():
        w = spec.get("weights") or {}
        share = spec.get("intention_share", 0.25)
        out[name] = Model(
            check_weights({k: (v.get("weight") if isinstance(v, dict) else v) for k, v in w.items()}),
            _check_share(share.get("value") if isinstance(share, dict) else share),
            name,
            _reason(spec.get("why", "")),
        )
    return out


def default_preset(path: Path | str | None = None) -> str:
    return _read_yaml(Path(path) if path else WEIGHTS_PATH).get("default", "hand-set")


def load_model(preset: str | None = None, weights_file: Path | str | None = None) -> Model:
    """A named preset of risk_weights.yaml (default: its `default`), or the weights of another file."""
    if weights_file:
        return Model(load_weights(weights_file), name=Path(weights_file).name)
    found = presets()
    name = preset or default_preset()
    if name not in found:
        raise ConfigError(f"unknown risk model preset {name!r} (expected one of: {', '.join(found)})")
    return found[name]


def as_model(model) -> Model:
    """A Model from a Model, a dict of factor weights (intention_share 0.25) or None (the default preset)."""
    if model is None:
        return load_model()
    if isinstance(model, Model):
        return model
    return Model(check_weights(model))


def _check_share(value) -> float:
    try:
        share = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"intention_share is {value!r} (expected a number from 0 to 1)") from None
    if not 0 <= share <= 1 or isinstance(value, bool):
        raise ConfigError(f"intention_share is {value!r} (expected a number from 0 to 1)")
    return share


def _read_yaml(p: Path) -> dict:
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"weights file {p}: cannot read it ({e})") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"weights file {p}: expected a mapping")
    return raw


def load_weights(path: Path | str | None = None) -> dict[str, float]:
    """Factor weights: of a file ({weights: {factor: {weight: w}}} or {factor: w}), or of the default preset."""
    if path is None:
        return dict(load_model().weights)
    p = Path(path)
    raw = _read_yaml(p)
    raw = raw.get("weights", raw)
    if not isinstance(raw, dict):
        raise ConfigError(f"weights file {p}: expected a mapping of factor to weight")
    return check_weights({k: (v.get("weight") if isinstance(v, dict) else v) for k, v in raw.items()})


def weight_reasons(path: Path | str | None = None) -> dict[str, str]:
    """Why each factor of the default preset weighs what it does."""
    raw = _read_yaml(Path(path) if path else WEIGHTS_PATH)
    spec = raw["presets"][raw.get("default", "hand-set")]
    return {k: _reason(v["why"]) for k, v in spec["weights"].items() if isinstance(v, dict)}


def check_weights(weights: dict) -> dict[str, float]:
    out = {}
    for k, v in weights.items():
        if k not in FACTORS:
            raise ConfigError(f"unknown risk factor {k!r} (expected one of {', '.join(FACTORS)})")
        if isinstance(v, bool):
            raise ConfigError(f"weight of {k} is {v!r} (expected a number >= 0)")
        try:
            w = float(v)
        except (TypeError, ValueError):
            raise ConfigError(f"weight of {k} is {v!r} (expected a number >= 0)") from None
        if not math.isfinite(w) or w < 0:
            raise ConfigError(f"weight of {k} is {v} (expected a finite number >= 0)")
        out[k] = w
    missing = [f for f in FACTORS if f not in out]
    if missing:
        raise ConfigError(f"no weight for {', '.join(missing)} (expected a weight for every factor)")
    if sum(out.values()) == 0:
        raise ConfigError("all weights are zero (expected at least one positive weight)")
    return out


def override_weights(base: dict[str, float], settings: list[str]) -> dict[str, float]:
    """Apply `factor=weight` strings (from --set) to base weights."""
    out = dict(base)
    for s in settings:
        if "=" not in s:
            raise ConfigError(f"--set {s!r}: expected factor=weight")
        k, v = s.split("=", 1)
        if k.strip() not in FACTORS:
            raise ConfigError(f"unknown risk factor {k.strip()!r} (expected one of {', '.join(FACTORS)})")
        out[k.strip()] = v.strip()
    return check_weights(out)


# ------------------------------------------------------------------------------------------------ inputs
@dataclass
class RiskInputs:
    """The facts risk needs, indexed once from the graph (so scoring many years stays cheap)."""

    countries: dict[str, dict] = field(default_factory=dict)
    concern: set = field(default_factory=set)
    cy: dict = field(default_factory=dict)  # (iso3, year) -> CountryYear attrs
    trade: dict = field(default_factory=lambda: defaultdict(dict))  # year -> (exp, imp) -> USD mn
    cow_years: set = field(default_factory=set)  # years with trade among non-concern pairs
    contig: list = field(default_factory=list)  # (a, b, kind, from_year, to_year)
    distcap: dict = field(default_factory=dict)  # pair -> km
    alliances: dict = field(default_factory=lambda: defaultdict(dict))  # year -> pair -> strength
    igos: dict = field(default_factory=lambda: defaultdict(dict))  # year -> pair -> count
    language: dict = field(default_factory=dict)
    colonial: dict = field(default_factory=dict)
    recorded: list = field(default_factory=list)  # (a, b, year, strength)
    rivalries: list = field(default_factory=list)  # (a, b, start, end)
    cow_system: set = field(default_factory=set)  # countries covered by ATOP/COW IGO
    cepii: set = field(default_factory=set)  # countries covered by CEPII GeoDist
    years: list = field(default_factory=list)
    assessments: dict = field(default_factory=dict)  # iso3 -> [(assessed_on, category, tier)], by date


def _alliance_strength(e: dict) -> float:
    if e.get("defense") or e.get("offense"):
        return 1.0
    if e.get("neutrality") or e.get("consultation"):
        return 0.6
    return 0.3 if e.get("nonaggression") else 0.0


def _trade_table(inp: RiskInputs, cow: dict, table) -> None:
    """TRADES_WITH rows straight from the bulk table's columns (no edge dicts: a million rows) — from
    their codes when the file's columns are still coded (_trade_coded), else row by row."""
    if _trade_coded(inp, cow, table):
        return
    col = table.columns
    for a, b, year, dataset, value in zip(table.src, table.dst, col("year"), col("dataset"), col("value_usd_mn")):
        if a is not None and b is not None:
            (inp.trade if dataset == "IMF_DOTS" else cow)[year][(a, b)] = value


def _trade_coded(inp: RiskInputs, cow: dict, table) -> bool:
    """What _trade_table's row-by-row loop records, worked out on the coded columns: rows grouped by (year,
    dataset) with a stable sort, each group's {(exporter, importer): value} made in one step, the groups
    taken in the order of their first row — so every dict holds the same keys, values and order as the
    loop's. False (nothing recorded) when a column is not coded or a key cell is blank."""
    cols = [table.coded(c) for c in (table.src_col, table.dst_col, "year", "dataset", "value_usd_mn")]
    if any(c is None for c in cols) or any(c.indices is None or c.blank() is not None for c in cols[:4]):
        return False
    exp, imp, year, dataset, value = cols
    year_ids: dict = {}
    year_code = typed_codes(year, year_ids)
    years = list(year_ids)  # year code -> year
    imf = np.array([d == "IMF_DOTS" for d in dataset.values], dtype=np.int64)[dataset.indices]
    group = year_code * 2 + imf
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1]])
    ends = np.r_[starts[1:], len(order)]
    exporters, importers = objects(exp.values), objects(imp.values)
    values = (
        value.numbers.to_numpy()
        if value.numbers is not None and not value.numbers.null_count
        else objects(value.to_list())
    )
    for start, end in sorted(zip(starts, ends), key=lambda se: order[se[0]]):  # by first row
        rows = order[start:end]
        code = int(group[rows[0]])
        pairs = zip(exporters[exp.indices[rows]].tolist(), importers[imp.indices[rows]].tolist())
        flows = (inp.trade if code % 2 else cow).setdefault(years[code // 2], {})
        flows.update(zip(pairs, values[rows].tolist()))
    return True


def _take(inp: RiskInputs, cow: dict, u: str, v: str, group) -> None:
    """Record what risk scoring reads from the edges from u to v."""
    ab = None
    for e in group:
        t = e["type"]
        if t == "TRADES_WITH":
            if ab is None:
                ab = (u[8:], v[8:])
            (inp.trade if e["dataset"] == "IMF_DOTS" else cow)[e["year"]][ab] = e["value_usd_mn"]
        elif t == "CONTIGUOUS":
            inp.contig.append((e["iso3_a"], e["iso3_b"], e["kind"], e.get("from_year"), e.get("to_year")))
        elif t == "DISTANCE":
            km = e.get("distcap_km", e.get("dist_km"))
            if km is not None:
                inp.distcap[pair(e["iso3_a"], e["iso3_b"])] = km
            inp.cepii.update((e["iso3_a"], e["iso3_b"]))
        elif t == "ALLIED_WITH":
            p = pair(e["iso3_a"], e["iso3_b"])
            inp.alliances[e["year"]][p] = max(inp.alliances[e["year"]].get(p, 0.0), _alliance_strength(e))
            inp.cow_system.update((e["iso3_a"], e["iso3_b"]))
        elif t == "SHARES_IGO":
            inp.igos[e["year"]][pair(e["iso3_a"], e["iso3_b"])] = e["count"]
            inp.cow_system.update((e["iso3_a"], e["iso3_b"]))
        elif t == "LANGUAGE_TIE":
            inp.language[pair(e["iso3_a"], e["iso3_b"])] = 1.0 if e["official"] else 0.5 if e["ethnic"] else 0.0
        elif t == "COLONIAL_TIE":
            inp.colonial[pair(e["iso3_a"], e["iso3_b"])] = (
                1.0 if e["colony"] or e["same_country"] else 0.5 if e["common_colonizer"] else 0.0
            )
        elif t == "HISTORICAL_TIE":
            inp.recorded.append((e["iso3_a"], e["iso3_b"], e["year"], e["strength"]))
        elif t == "RIVALRY":
            inp.rivalries.append((e["iso3_a"], e["iso3_b"], e["start_year"], e.get("end_year")))


# the types _take reads (the edges of the others, an activity's links, are not looked at)
_READ = {
    "TRADES_WITH",
    "CONTIGUOUS",
    "DISTANCE",
    "ALLIED_WITH",
    "SHARES_IGO",
    "LANGUAGE_TIE",
    "COLONIAL_TIE",
    "HISTORICAL_TIE",
    "RIVALRY",
}


def risk_inputs(g: nx.MultiDiGraph) -> RiskInputs:
    """Everything risk scoring reads, from the graph's nodes and edges and its bulk tables (read in place)."""
    inp = RiskInputs()
    for _, d in g.nodes(data=True):
        if d["label"] == "Country":
            inp.countries[d["iso3"]] = d
            if d.get("concern"):
                inp.concern.add(d["iso3"])
        elif d["label"] == "CountryYear":
            inp.cy[(d["iso3"], d["year"])] = d
        elif d["label"] == "Assessment":
            inp.assessments.setdefault(d["iso3"], []).append((d["assessed_on"], d["category"], d.get("risk_assessed")))
    for found in inp.assessments.values():
        found.sort(key=lambda a: a[0])
    cow = defaultdict(dict)
    for u, v, e in g.edges(data=True):
        if e["type"] in _READ:
            _take(inp, cow, u, v, (e,))
    for table in tables(g).values():
        if table.rtype == "TRADES_WITH":
            _trade_table(inp, cow, table)
        elif table.rtype in _READ:
            for u, v, e in table.edges():
                _take(inp, cow, u, v, (e,))
    for year, flows in cow.items():
        merged = inp.trade[year]
        for k, val in flows.items():
            merged.setdefault(k, val)  # IMF DOTS first, COW where IMF has no record
        if any(a not in inp.concern and b not in inp.concern for a, b in flows):
            inp.cow_years.add(year)
    inp.years = sorted(inp.trade)
    return inp


# ------------------------------------------------------------------------------------------------ factors
@dataclass
class Factor:
    value: float | None
    parts: dict[str, float | None]
    notes: list[str]


def combine(parts: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Weighted mean over the parts that have a value; None when none has."""
    have = {k: v for k, v in parts.items() if v is not None}
    total = sum(weights[k] for k in have)
    return None if not have or total == 0 else sum(weights[k] * v for k, v in have.items()) / total


def _nearest(inp: RiskInputs, iso3: str, year: int, attr: str) -> tuple[float | None, int | None]:
    for delta in range(IMPUTE_WINDOW + 1):
        for y in (year - delta, year + delta):
            v = inp.cy.get((iso3, y), {}).get(attr)
            if v is not None:
                return v, y
    return None, None


def technology(inp: RiskInputs, iso3: str, year: int) -> Factor:
    notes, raw = [], {}
    for attr in ("eci", "hightech_exports_pct"):
        v, y = _nearest(inp, iso3, year, attr)
        raw[attr] = v
        if v is None:
            notes.append(f"technology: no {attr} within {IMPUTE_WINDOW} years of {year}")
        elif y != year:
            notes.append(f"technology: {attr} imputed from {y}")
    parts = {
        "eci": None if raw["eci"] is None else clamp((raw["eci"] + 2) / 4),
        "hightech": None if raw["hightech_exports_pct"] is None else clamp(raw["hightech_exports_pct"] / 50),
    }
    return Factor(combine(parts, {"eci": 0.5, "hightech": 0.5}), parts, notes)


def _world_total(inp: RiskInputs, iso3: str, year: int, notes: list[str] | None) -> float | None:
    """World exports + imports; imports imputed from the last observed import/export ratio when missing."""
    d = inp.cy.get((iso3, year), {})
    exp, imp = d.get("exports_world_usd_mn"), d.get("imports_world_usd_mn")
    if exp is None:
        return None
    if imp is None:
        past = [
            (y, r)
            for (c, y), r in inp.cy.items()
            if c == iso3 and y < year and r.get("imports_world_usd_mn") is not None and r.get("exports_world_usd_mn")
        ]
        if not past:
            return None
        y0, r0 = max(past, key=lambda t: t[0])
        imp = exp * r0["imports_world_usd_mn"] / r0["exports_world_usd_mn"]
        if notes is not None:
            notes.append(f"trade: world imports imputed from the {y0} import/export ratio")
    return exp + imp


def trade_graph(inp: RiskInputs, year: int) -> nx.Graph:
    """Undirected trade graph of a year; edge weight = exports both ways (USD mn)."""
    weights: dict[tuple, float] = {}  # pair in the orientation first seen -> running sum, in flow order
    for (a, b), v in inp.trade.get(year, {}).items():
        k = (a, b) if (a, b) in weights or (b, a) not in weights else (b, a)
        weights[k] = weights.get(k, 0.0) + v
    tg = nx.Graph()
    tg.add_edges_from((a, b, {"weight": w}) for (a, b), w in weights.items())
    return tg


def _concern_trade(tg: nx.Graph, iso3: str, concern: set) -> float:
    # sorted: a float sum in set order differs in the last bit from one process to the next (string hashing
    # is randomised), which made every re-sync rewrite hundreds of RiskScore nodes
    return sum(tg[iso3][k]["weight"] for k in sorted(concern) if tg.has_edge(iso3, k))


def trade(inp: RiskInputs, iso3: str, year: int, tg: nx.Graph | None = None, memo: dict | None = None) -> Factor:
    """`memo`: a dict shared by the calls for one year and one trade graph (factor_table passes one), so each
    hub's world total and concern trade are worked out once per year instead of once per country."""
    tg = tg if tg is not None else trade_graph(inp, year)
    memo = {} if memo is None else memo
    k_set = inp.concern - {iso3}
    notes: list[str] = []
    has_concern_data = iso3 in tg and any(tg.has_edge(iso3, k) for k in k_set)
    if not has_concern_data:
        return Factor(
            None,
            {"volume": None, "share": None, "indirect": None},
            [f"trade: no trade data with nations of concern in {year}"],
        )
    direct = _concern_trade(tg, iso3, k_set)
    world = _world_total(inp, iso3, year, notes)
    rel = None if not world else clamp(direct / world / 0.5)
    if world is None:
        notes.append(f"trade: no world totals for {year} (relative exposure left out)")
    ind = None
    if year in inp.cow_years and world:
        exposure = 0.0
        excluded = iso3 if iso3 in inp.concern else None  # inp.concern - {iso3} is the same set otherwise
        for h in tg.neighbors(iso3):
            if h in inp.concern:
                continue
            key = ("world", h, year)
            wh = memo[key] if key in memo else memo.setdefault(key, _world_total(inp, h, year, None))
            if wh:
                ct = memo.get(("concern", h, excluded, year))
                if ct is None:
                    ct = memo[("concern", h, excluded, year)] = _concern_trade(tg, h, inp.concern - {iso3})
                exposure += tg[iso3][h]["weight"] / world * ct / wh
        ind = clamp(exposure / 0.10)
    elif year not in inp.cow_years:
        notes.append(f"trade: no trade among intermediaries in {year} (indirect exposure left out)")
    else:
        notes.append(f"trade: no world totals for {year} (indirect exposure left out)")
    parts = {"volume": volume_n(direct), "share": rel, "indirect": ind}
    return Factor(combine(parts, TRADE_PARTS), parts, notes)


TRADE_PARTS = {"volume": 0.5, "share": 0.25, "indirect": 0.25}


def volume_n(direct: float) -> float:
    """Trade volume with the nations of concern on a log scale: 100 USD mn → 0, 300 bn → 1."""
    return clamp((math.log10(direct) - 2) / (math.log10(300_000) - 2)) if direct > 0 else 0.0


def _in_force(start, end, year: int) -> bool:
    return (start is None or start <= year) and (end is None or end >= year)


def geography(inp: RiskInputs, iso3: str, year: int) -> Factor:
    c, k_set, notes = inp.countries.get(iso3, {}), inp.concern - {iso3}, []
    border = 0.0
    for a, b, kind, start, end in inp.contig:
        if iso3 in (a, b) and ({a, b} - {iso3}) & k_set and _in_force(start, end, year):
            border = max(border, CONTIG_STRENGTH[kind])
    dists = [inp.distcap[pair(iso3, k)] for k in k_set if pair(iso3, k) in inp.distcap]
    prox = clamp(1 - min(dists) / 5000) if dists else None
    if iso3 not in inp.cepii and not any(iso3 in (a, b) for a, b, *_ in inp.contig):
        border = None
    if c.get("n_ports") is None:
        ports = None
    else:
        large, medium = c.get("n_large_ports", 0), c.get("n_medium_ports", 0)
        capacity = 4 * large + 2 * medium + 0.5 * (c["n_ports"] - large - medium)
        ports = clamp(math.log1p(capacity) / math.log(41))
    parts = {"border": border, "proximity": prox, "ports": ports}
    notes += [f"geography: no {k} data" for k, v in parts.items() if v is None]
    return Factor(combine(parts, {"border": 0.5, "proximity": 0.3, "ports": 0.2}), parts, notes)


def _carried(table: dict, year: int, label: str, notes: list[str]) -> dict:
    if year in table:
        return table[year]
    earlier = [y for y in table if y < year]
    if not earlier:
        return {}
    y0 = max(earlier)
    notes.append(f"ties: {label} carried forward from {y0}")
    return table[y0]


def ties(inp: RiskInputs, iso3: str, year: int) -> Factor:
    k_set, notes = inp.concern - {iso3}, []
    parts: dict[str, float | None] = {}
    if iso3 in inp.cow_system:
        al = _carried(inp.alliances, year, "alliances", notes)
        ig = _carried(inp.igos, year, "shared IGOs", notes)
        parts["alliance"] = max((al.get(pair(iso3, k), 0.0) for k in k_set), default=0.0) if al else None
        parts["igo"] = clamp(max((ig.get(pair(iso3, k), 0) for k in k_set), default=0) / 80) if ig else None
        notes += [
            f"ties: no {name} data for {year} or earlier"
            for name, v in (("alliance", parts["alliance"]), ("shared IGO", parts["igo"]))
            if v is None
        ]
    else:
        parts["alliance"] = parts["igo"] = None
        notes.append("ties: not covered by ATOP / COW IGO")
    if iso3 in inp.cepii:
        parts["language"] = max((inp.language.get(pair(iso3, k), 0.0) for k in k_set), default=0.0)
        parts["colonial"] = max((inp.colonial.get(pair(iso3, k), 0.0) for k in k_set), default=0.0)
    else:
        parts["language"] = parts["colonial"] = None
        notes.append("ties: not covered by CEPII (language, colonial)")
    recorded = [s for a, b, y, s in inp.recorded if iso3 in (a, b) and ({a, b} - {iso3}) & k_set and y <= year]
    covered = any(v is not None for v in parts.values())
    # no recorded tie counts as 0 only where other tie data show the country is covered at all
    parts["recorded"] = max(recorded) if recorded else (0.0 if covered else None)
    positive = combine(parts, {"alliance": 0.35, "igo": 0.2, "language": 0.15, "colonial": 0.15, "recorded": 0.15})
    rivalry = any(
        iso3 in (a, b)
        and ({a, b} - {iso3}) & k_set
        and start <= year
        and (end is None or end >= year or end >= RIVALRY_DATA_END)
        for a, b, start, end in inp.rivalries
    )
    parts["rivalry"] = 1.0 if rivalry else 0.0
    value = None if positive is None else clamp(positive - 0.3 * parts["rivalry"])
    return Factor(value, parts, notes)


def assessment_in(inp: RiskInputs, iso3: str, year: int) -> tuple | None:
    """The latest assessment (assessed_on, category, tier) dated in or before `year`, or None."""
    found = [a for a in inp.assessments.get(iso3, ()) if int(a[0][:4]) <= year]
    return found[-1] if found else None


NO_ASSESSMENT_WEAKNESS = 0.5


def weakness(inp: RiskInputs, iso3: str, year: int, model: Model) -> tuple[float | None, int | None, list[str]]:
    """(V, the category it rests on, notes) of a recipient; (None, None, []) for any other country."""
    if not inp.countries.get(iso3, {}).get("recipient"):
        return None, None, []
    now = assessment_in(inp, iso3, year)
    if now is not None:
        return model.weakness(now[1]), now[1], []
    later = inp.assessments.get(iso3)
    if later:
        first = later[0]
        return (
            model.weakness(first[1]),
            first[1],
            [f"weakness: category of the {first[0][:4]} assessment carried back to {year}"],
        )
    return NO_ASSESSMENT_WEAKNESS, None, [f"weakness: no assessment; taken as {NO_ASSESSMENT_WEAKNESS}"]


# ------------------------------------------------------------------------------------------------- scores
def _score(factors: dict[str, Factor], weights: dict[str, float]) -> tuple[float | None, dict[str, float]]:
    """Exposure E and each factor's contribution w_f · F_f / Σ w (they sum to E)."""
    have = {f: fac.value for f, fac in factors.items() if fac.value is not None and weights[f] > 0}
    total = sum(weights[f] for f in have)
    if not have or total == 0:
        return None, {f: 0.0 for f in FACTORS}
    contrib = {f: (weights[f] * have[f] / total if f in have else 0.0) for f in FACTORS}
    return sum(contrib.values()), contrib


def natural_breaks(values: list[float], classes: int = 3) -> list[float]:
    """Fisher-Jenks breaks [min, b1, ..., max]; equal-interval fallback when too few distinct values."""
    distinct = sorted(set(values))
    if len(distinct) <= classes:
        lo, hi = (distinct[0], distinct[-1]) if distinct else (0.0, 1.0)
        return [lo + (hi - lo) * i / classes for i in range(classes + 1)]
    import jenkspy

    return [float(b) for b in jenkspy.jenks_breaks(values, n_classes=classes)]


def tier_of(score: float | None, breaks: list[float]) -> str | None:
    if score is None:
        return None
    if score > breaks[2]:
        return "High"
    return "Medium" if score > breaks[1] else "Low"


def check_year(inp: RiskInputs, year: int | None) -> int:
    if not inp.years:
        raise ConfigError("no trade data in the graph: risk cannot be scored")
    if year is None:
        return inp.years[-1]
    if year not in inp.years:
        raise ConfigError(f"no data for year {year} (trade data cover {inp.years[0]}–{inp.years[-1]})")
    return year


def factor_table(inp: RiskInputs, year: int) -> dict[str, dict[str, Factor]]:
    """Every country's four factors for one year (countries with no data at all are left out)."""
    tg, memo = trade_graph(inp, year), {}
    out = {}
    for iso3 in sorted(inp.countries):
        f = {
            "technology": technology(inp, iso3, year),
            "trade": trade(inp, iso3, year, tg, memo),
            "geography": geography(inp, iso3, year),
            "ties": ties(inp, iso3, year),
        }
        if any(x.value is not None for x in f.values()):
            out[iso3] = f
    return out


def rank_rows(inp: RiskInputs, year: int, model=None, factors=None) -> list[dict]:
    """Scored rows for one year, highest risk first (then highest exposure), tiers by natural breaks over the
    recipients' risk. `model`: a Model, a dict of factor weights, or None (the default preset).

    Each row: exposure, weakness, score (= risk, None for non-recipients), tier (model, recipients only),
    contributions (to risk), exposure_contributions, factors, components, missing, assessed_tier and
    assessed_on (the analysts' assessment in force that year, if any), category, recipient."""
    model = as_model(model)
    factors = factors if factors is not None else factor_table(inp, year)
    rows = []
    for iso3, f in factors.items():
        exposure, exp_contrib = _score(f, model.weights)
        weak, category, weak_notes = weakness(inp, iso3, year, model)
        missing = [n for fac in f.values() for n in fac.notes] + weak_notes
        missing += [f"{name}: no data (weight redistributed)" for name, fac in f.items() if fac.value is None]
        c = inp.countries[iso3]
        risk = None if weak is None or exposure is None else weak * exposure
        now = assessment_in(inp, iso3, year)
        rows.append(
            {
                "iso3": iso3,
                "name": c["name"],
                "year": year,
                "exposure": exposure,
                "weakness": weak,
                "score": risk,
                "tier": None,
                "contributions": {
                    k: (v * weak if weak is not None and risk is not None else None) for k, v in exp_contrib.items()
                },
                "exposure_contributions": exp_contrib,
                "factors": {name: fac.value for name, fac in f.items()},
                "components": {name: fac.parts for name, fac in f.items()},
                "missing": missing,
                "assessed_tier": now[2] if now else None,
                "assessed_on": now[0] if now else None,
                "recipient": bool(c.get("recipient")),
                "category": category,
            }
        )
    breaks = natural_breaks([r["score"] for r in rows if r["recipient"] and r["score"] is not None])
    for r in rows:
        r["tier"] = tier_of(r["score"], breaks) if r["recipient"] else None
    rows.sort(
        key=lambda r: (
            -(r["score"] if r["score"] is not None else -1),
            -(r["exposure"] if r["exposure"] is not None else -1),
            r["iso3"],
        )
    )
    return rows


TIER_SOURCES = ("assessment", "model")


def tiers_by_source(rows: list[dict], source: str) -> dict[str, tuple[str | None, str]]:
    """{iso3: (tier, 'analysts' | 'model')} of the recipients in `rows` (one year's rank_rows): with source
    'assessment', the analysts' tier of the assessment in force where there is one, else the model's."""
    if source not in TIER_SOURCES:
        raise ConfigError(f"unknown tier source {source!r} (expected one of: {', '.join(TIER_SOURCES)})")
    out = {}
    for r in rows:
        if r["recipient"]:
            analysts = source == "assessment" and r["assessed_tier"] is not None
            out[r["iso3"]] = (r["assessed_tier"], "analysts") if analysts else (r["tier"], "model")
    return out


def scored_year(inp: RiskInputs, year: int) -> int:
    """The year itself when it has trade data, else the nearest one that has (risk of a window's last year)."""
    check_year(inp, None)
    return min(inp.years, key=lambda y: (abs(y - year), -y))


def diversion_risk(
    g: nx.MultiDiGraph, year: int | None = None, model=None, inputs: RiskInputs | None = None
) -> list[dict]:
    """Risk rows for one year (default: the latest year with trade data). See the module docstring."""
    inp = inputs or risk_inputs(g)
    return rank_rows(inp, check_year(inp, year), model)


# ------------------------------------------------------------------------------------ judgement & stability
def agreement(rows: list[dict]) -> dict:
    """Compare model tiers with the analysts' tentative High/Low (Annex I): High = High, Medium/Low = Low.

    Returns the side-by-side rows, the share that agree and Cohen's kappa (agreement beyond chance).
    """
    pairs = [
        (r["iso3"], r["name"], r["assessed_tier"], r["tier"], "High" if r["tier"] == "High" else "Low")
        for r in rows
        if r.get("assessed_tier") and r["tier"]
    ]
    n = len(pairs)
    if n == 0:
        return {"n": 0, "agree": 0, "share": None, "kappa": None, "auc_within_category": None, "rows": []}
    agree = sum(a == m for *_, a, _, m in pairs)
    p_o = agree / n
    p_e = sum(
        (sum(a == c for *_, a, _, _ in pairs) / n) * (sum(m == c for *_, m in pairs) / n) for c in ("High", "Low")
    )
    kappa = None if p_e == 1 else (p_o - p_e) / (1 - p_e)
    return {
        "n": n,
        "agree": agree,
        "share": p_o,
        "kappa": kappa,
        "auc_within_category": within_category_auc(rows),
        "rows": [
            {"iso3": i, "name": nm, "assessed_tier": a, "model_tier": t, "agrees": a == m} for i, nm, a, t, m in pairs
        ],
    }


def within_category_auc(rows: list[dict]) -> float | None:
    """Share of (assessed High, assessed Low) pairs in the same category that the model orders the same way.

    Annex I marks High only inside category 1, so analysts judged exposure among equally immature
    countries; this rank measure (an AUC; 0.5 = chance, 1 = perfect) compares like with like.
    """
    wins = total = 0.0
    for cat in {r.get("category") for r in rows}:
        group = [r for r in rows if r.get("category") == cat and r.get("assessed_tier") and r["score"] is not None]
        for hi in (r for r in group if r["assessed_tier"] == "High"):
            for lo in (r for r in group if r["assessed_tier"] == "Low"):
                total += 1
                wins += 1.0 if hi["score"] > lo["score"] else 0.5 if hi["score"] == lo["score"] else 0.0
    return wins / total if total else None


def spearman(a: list[float], b: list[float]) -> float | None:
    import pandas as pd

    if len(a) < 3:
        return None
    return float(pd.Series(a).rank().corr(pd.Series(b).rank()))


def sensitivity(inp: RiskInputs, year: int, model=None, delta: float = 0.25) -> list[dict]:
    """Scale each weight by (1 ± delta) in turn: how many recipients change tier, and the Spearman rank
    correlation of the recipients' risk with the base ranking."""
    from dataclasses import replace

    model = as_model(model)
    weights = model.weights
    factors = factor_table(inp, year)
    base = {r["iso3"]: r for r in rank_rows(inp, year, model, factors)}
    out = []
    for f in FACTORS:
        for m in (1 - delta, 1 + delta):
            w = dict(weights, **{f: weights[f] * m})
            if sum(w.values()) == 0:
                continue
            rows = {r["iso3"]: r for r in rank_rows(inp, year, replace(model, weights=w, name="varied"), factors)}
            keys = [k for k in base if base[k]["score"] is not None]
            changed = sorted(k for k in keys if base[k]["recipient"] and rows[k]["tier"] != base[k]["tier"])
            out.append(
                {
                    "factor": f,
                    "multiplier": m,
                    "weights": w,
                    "tier_changes": len(changed),
                    "changed": changed,
                    "spearman": spearman([base[k]["score"] for k in keys], [rows[k]["score"] for k in keys]),
                }
            )
    return out


# ------------------------------------------------------------------------------------- writing to the graph
def write_scores(g: nx.MultiDiGraph, model=None, default_year: int | None = None) -> int:
    """Score every year; add RiskScore nodes + SCORED edges, and the default year's figures on Country nodes.

    This is the build step that makes scores visible to every store and query. Returns the default year.
    RiskScore: exposure, weakness, score (risk), tier (the model's), technology…ties (contributions to the
    risk; to the exposure for non-recipients), assessed_tier/assessed_on (the analysts' assessment in force
    that year, if any) — so a query can take its tiers from either source."""
    model = as_model(model)
    inp = risk_inputs(g)
    if not inp.years:
        return None
    default_year = check_year(inp, default_year)
    g.remove_nodes_from([n for n, label in g.nodes(data="label") if label == "RiskScore"])  # re-scoring replaces
    for year in inp.years:
        for r in rank_rows(inp, year, model):
            _write_row(g, r, year == default_year)
    g.graph["risk_model"] = model.name
    return default_year


def _write_row(g: nx.MultiDiGraph, r: dict, default: bool) -> None:
    sid = f"{r['iso3']}-{r['year']}"
    c = r["contributions"] if r["score"] is not None else r["exposure_contributions"]
    attrs = {
        "label": "RiskScore",
        "score_id": sid,
        "iso3": r["iso3"],
        "year": r["year"],
        "technology": c["technology"],
        "trade": c["trade"],
        "geography": c["geography"],
        "ties": c["ties"],
        "missing": "; ".join(r["missing"]),
    }
    optional = {
        "exposure": r["exposure"],
        "weakness": r["weakness"],
        "score": r["score"],
        "tier": r["tier"],
        "assessed_tier": r["assessed_tier"],
        "assessed_on": r["assessed_on"],
    }
    attrs.update({k: v for k, v in optional.items() if v is not None})
    g.add_node(f"RiskScore:{sid}", **attrs)
    g.add_edge(f"Country:{r['iso3']}", f"RiskScore:{sid}", type="SCORED")
    if default:
        node = g.nodes[f"Country:{r['iso3']}"]
        node.update(
            risk_year=r["year"],
            risk_technology=c["technology"],
            risk_trade=c["trade"],
            risk_geography=c["geography"],
            risk_ties=c["ties"],
            risk_missing=attrs["missing"],
        )
        node.update(
            {
                f"risk_{k}": v
                for k, v in (
                    ("exposure", r["exposure"]),
                    ("weakness", r["weakness"]),
                    ("score", r["score"]),
                    ("tier", r["tier"]),
                )
                if v is not None
            }
        )
