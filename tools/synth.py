#!/usr/bin/env python3
"""Deterministic synthetic data folder for scale tests: every file graph_loader/schema.yaml names, valid against it.

    python tools/synth.py --out DIR [--scale small|world] [--countries 200] [--years 25] [--activities 50000]
                          [--seed 1] [--start-year 2000] [--trade-density 0.65]

The same arguments (and numpy version) always give byte-identical files. categories.csv, tools.csv,
category_needs.csv and role_sharing.csv are copied from the real data/ folder; countries are real ISO 3166-1
alpha-3 codes (pycountry) with synthetic facts. Nations of concern: CHN (also a recipient, as in the real
data), PRK, IRN; partners: JPN, USA, AUS and up to five more donors (GBR, DEU, CAN, FRA, NZL).

Trade (TRADES_WITH, trade.csv) follows a gravity model: a directed pair trades when its score
log(mass_a) + log(mass_b) - log(distance) + noise is in the top `trade-density` share of all directed pairs;
every trading pair has an IMF_DOTS row in each year (3 % drop out) and a COW row in the first 60 % of the
years (3 % drop out). At world scale (200 countries, 25 years, density 0.65) that is about 1,000,000 rows.

--scale small = 30 countries, 5 years, 500 activities; --scale world = 200 / 25 / 50,000 (the defaults).
Explicit --countries/--years/--activities override the scale. A manifest (synth_manifest.json: arguments,
row counts per file, generation seconds) is written next to the CSV files; the loader ignores it.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pycountry

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data"
COPIED = ("categories.csv", "tools.csv", "category_needs.csv", "role_sharing.csv")
SCALES = {
    "small": {"countries": 30, "years": 5, "activities": 500},
    "world": {"countries": 200, "years": 25, "activities": 50_000},
}
CONCERN = ("CHN", "PRK", "IRN")
CORE_PARTNERS = ("JPN", "USA", "AUS")
DONORS = ("GBR", "DEU", "CAN", "FRA", "NZL")
KNOWN_CAPITALS = {
    "JPN": (35.68, 139.69),
    "USA": (38.90, -77.04),
    "AUS": (-35.30, 149.10),
    "CHN": (39.90, 116.40),
    "PRK": (39.02, 125.75),
    "IRN": (35.69, 51.39),
    "GBR": (51.51, -0.13),
    "DEU": (52.52, 13.40),
    "CAN": (45.42, -75.70),
    "FRA": (48.86, 2.35),
    "NZL": (-41.29, 174.78),
}
LANGUAGES = (
    "English",
    "French",
    "Spanish",
    "Arabic",
    "Portuguese",
    "Russian",
    "Chinese",
    "Malay",
    "Hindi",
    "Swahili",
    "German",
    "Persian",
    "Korean",
    "Japanese",
    "Thai",
    "Turkish",
)
TOOLS = (
    "bilateral_discussion",
    "legal_assistance",
    "officer_training",
    "industry_seminar",
    "multilateral_seminar",
    "equipment",
)
TOOL_WEIGHTS = (0.2, 0.15, 0.25, 0.2, 0.12, 0.08)
ORGS = (
    ("IAEA", "International Atomic Energy Agency", "international organisation"),
    ("ASEAN", "Association of Southeast Asian Nations", "regional organisation"),
    ("ARF", "ASEAN Regional Forum", "forum"),
    ("UN_1540", "UN Security Council 1540 Committee", "committee"),
    ("WCO", "World Customs Organization", "international organisation"),
)
TOPICS = (
    ("north_korea", "North Korea"),
    ("iran", "Iran"),
    ("unscr_1540", "UNSCR 1540 implementation"),
    ("transshipment", "Transshipment controls"),
    ("catch_all", "Catch-all controls"),
    ("icp", "Internal compliance programmes"),
    ("licensing", "Licensing systems"),
    ("enforcement", "Customs enforcement"),
)
ELEMENTS = ("intention", "laws", "enforcement", "industry_cooperation")


def haversine(lat1, lng1, lat2, lng2):
    """Great-circle km; works on numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lng2) - np.radians(lng1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def region_of(lat: float, lng: float) -> tuple[str, str]:
    if lng < -30:
        return "Americas", "North America" if lat > 15 else "Latin America and the Caribbean"
    if lng < 60:
        if lat > 35:
            return "Europe", "Western Europe" if lng < 15 else "Eastern Europe"
        return ("Asia", "Western Asia") if lng > 35 and lat > 12 else ("Africa", "Sub-Saharan Africa")
    if lat < -10:
        return "Oceania", "Australia and New Zealand"
    return "Asia", "Eastern Asia" if lat > 20 else "South-eastern Asia"


class Writer:
    """Writes one CSV per call and counts rows."""

    def __init__(self, out: Path):
        self.out, self.counts = out, {}

    def write(self, name: str, header: list[str], rows) -> None:
        n = 0
        with (self.out / name).open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            if isinstance(rows, list):
                w.writerows(rows)
                n = len(rows)
            else:
                for chunk in rows:  # an iterator of row lists (big files, streamed)
                    w.writerows(chunk)
                    n += len(chunk)
        self.counts[name] = n


def b(x: bool) -> str:
    return "true" if x else "false"


def generate(
    out: Path,
    countries: int = 200,
    years: int = 25,
    activities: int = 50_000,
    seed: int = 1,
    start_year: int = 2000,
    trade_density: float = 0.65,
) -> dict:
    if countries < 8:
        raise SystemExit("synth: --countries must be at least 8 (3 nations of concern, 3 partners, recipients)")
    if years < 1 or not 1980 <= start_year <= 2100 - years:
        raise SystemExit("synth: years must be >= 1 and the years must lie in 1980-2100")
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    w = Writer(out)
    src = f"synthetic (tools/synth.py --seed {seed})"
    yrs = list(range(start_year, start_year + years))
    last = yrs[-1]

    for name in COPIED:
        shutil.copyfile(REAL / name, out / name)
        with (out / name).open(encoding="utf-8") as f:
            w.counts[name] = sum(1 for _ in csv.reader(f)) - 1

    # ------------------------------------------------------------------------------------------ countries
    n_donors = min(len(DONORS), max(0, (countries - 12) // 8))
    partners = list(CORE_PARTNERS) + list(DONORS[:n_donors])
    fixed = list(CONCERN) + partners
    pool = sorted(c.alpha_3 for c in pycountry.countries if c.alpha_3 not in fixed)
    rnd.shuffle(pool)
    if countries > len(fixed) + len(pool):
        raise SystemExit(f"synth: at most {len(fixed) + len(pool)} countries (ISO 3166-1 has no more)")
    isos = sorted(fixed + pool[: countries - len(fixed)])
    others = [c for c in isos if c not in fixed]
    n_recip = max(2, round(0.75 * len(others)))
    recipients = set(rnd.sample(others, min(n_recip, len(others)))) | {"CHN"}
    idx = {c: i for i, c in enumerate(isos)}
    n = len(isos)
    lat = np.empty(n)
    lng = np.empty(n)
    for c, i in idx.items():
        if c in KNOWN_CAPITALS:
            lat[i], lng[i] = KNOWN_CAPITALS[c]
        else:  # uniform on the sphere (between the polar circles)
            lat[i] = math.degrees(math.asin(rnd.uniform(-0.9, 0.9)))
            lng[i] = rnd.uniform(-180, 180)
    mass = rng.lognormal(mean=0.0, sigma=1.4, size=n)  # economic size (GDP-like, relative)
    for c, m in (
        ("USA", 60.0),
        ("CHN", 50.0),
        ("JPN", 20.0),
        ("DEU", 15.0),
        ("GBR", 10.0),
        ("FRA", 10.0),
        ("AUS", 6.0),
        ("CAN", 6.0),
        ("IRN", 2.5),
        ("PRK", 0.05),
        ("NZL", 0.8),
    ):
        if c in idx:
            mass[idx[c]] = m
    langs = {}
    rows = []
    for c in isos:
        i = idx[c]
        pc = pycountry.countries.get(alpha_3=c)
        region, sub = region_of(lat[i], lng[i])
        ls = sorted(set(rnd.sample(LANGUAGES, rnd.choice((1, 1, 2)))))
        langs[c] = set(ls)
        n_ports = rnd.choice((0, 0, 1, 3, 5, 8, 12, 20, 40, 80))
        large = min(n_ports, rnd.randint(0, 5))
        medium = min(n_ports - large, rnd.randint(0, 10))
        landlocked = n_ports == 0
        rows.append(
            [
                c,
                pc.name,
                getattr(pc, "alpha_2", ""),
                region,
                sub,
                b(c in recipients),
                b(c in CONCERN),
                b(c in partners),
                f"Capital of {pc.name}",
                f"{lat[i]:.4f}",
                f"{lng[i]:.4f}",
                b(landlocked),
                ";".join(ls),
                "" if rnd.random() < 0.05 else n_ports,
                "" if rnd.random() < 0.05 else large,
                "" if rnd.random() < 0.05 else medium,
                src,
                "" if rnd.random() < 0.8 else "synthetic country facts",
            ]
        )
    w.write(
        "countries.csv",
        [
            "iso3",
            "name",
            "iso2",
            "region",
            "subregion",
            "recipient",
            "concern",
            "partner",
            "capital",
            "lat",
            "lng",
            "landlocked",
            "official_languages",
            "n_ports",
            "n_large_ports",
            "n_medium_ports",
            "source",
            "note",
        ],
        rows,
    )
    recip_list = sorted(recipients)

    # --------------------------------------------------------------------------------------- country years
    rows = []
    for c in isos:
        m = mass[idx[c]]
        eci0 = float(np.clip(rng.normal(0.3 * math.log(m), 0.8), -3, 3))
        ht0 = float(np.clip(rng.normal(12 + 5 * math.log1p(m), 8), 0, 70))
        for t, y in enumerate(yrs):
            exp = m * 20_000 * 1.05**t * rnd.lognormvariate(0, 0.1)
            imp = exp * rnd.uniform(0.8, 1.25)
            rows.append(
                [
                    c,
                    y,
                    "" if rnd.random() < 0.02 else f"{exp:.3f}",
                    "" if rnd.random() < 0.03 and t > 0 else f"{imp:.3f}",
                    "" if rnd.random() < 0.05 else f"{np.clip(eci0 + rnd.gauss(0, 0.1), -4.9, 4.9):.6f}",
                    "" if rnd.random() < 0.08 else f"{np.clip(ht0 + rnd.gauss(0, 1.5), 0, 100):.4f}",
                    src,
                ]
            )
    w.write(
        "country_years.csv",
        ["iso3", "year", "exports_world_usd_mn", "imports_world_usd_mn", "eci", "hightech_exports_pct", "source"],
        rows,
    )

    # ------------------------------------------------------------------------------------- pairs: geometry
    ia, ib = np.triu_indices(n, 1)  # undirected pairs a < b (isos is sorted, so codes compare the same way)
    dist = haversine(lat[ia], lng[ia], lat[ib], lng[ib])
    dist = np.maximum(dist, 50.0)
    order = np.argsort(dist, kind="stable")
    near = set(order[: max(3 * n // 2, 10)].tolist())  # ~1.5 neighbours per country
    for k in CONCERN:  # every nation of concern gets its three nearest neighbours
        ki = idx[k]
        mine = np.where((ia == ki) | (ib == ki))[0]
        near.update(mine[np.argsort(dist[mine], kind="stable")[:3]].tolist())
    contig, land = [], set()
    for p in sorted(near):
        a, bb = isos[ia[p]], isos[ib[p]]
        d = dist[p]
        kind = (
            "land" if d < 900 and rnd.random() < 0.6 else rnd.choice(("sea_12mi", "sea_24mi", "sea_150mi", "sea_400mi"))
        )
        if kind == "land":
            land.add(p)
        fy = "" if rnd.random() < 0.1 else rnd.randint(1816, 1995)
        ty = "" if rnd.random() < 0.9 or fy == "" else rnd.randint(fy, 2020)
        contig.append([a, bb, kind, fy, ty, src])
    w.write("contiguity.csv", ["iso3_a", "iso3_b", "kind", "from_year", "to_year", "source"], contig)

    def dist_rows():
        chunk = []
        noise = rng.uniform(0.85, 1.15, size=len(ia))
        gap = rng.uniform(0, 900, size=len(ia))
        blank = rng.random(size=len(ia))
        for p in range(len(ia)):
            d = dist[p]
            mind = 0.0 if p in land else max(0.0, d - gap[p])
            chunk.append(
                [
                    isos[ia[p]],
                    isos[ib[p]],
                    f"{d * noise[p]:.1f}",
                    "" if blank[p] < 0.01 else f"{d:.1f}",
                    "" if blank[p] > 0.97 else f"{mind:.1f}",
                    src,
                ]
            )
            if len(chunk) == 50_000:
                yield chunk
                chunk = []
        yield chunk

    w.write("distances.csv", ["iso3_a", "iso3_b", "dist_km", "distcap_km", "mindist_km", "source"], dist_rows())

    # ------------------------------------------------------------------------------------------------ trade
    # directed pairs (a -> b), a != b
    ea = np.concatenate([ia, ib])
    eb = np.concatenate([ib, ia])
    ed = np.concatenate([dist, dist])
    score = np.log(mass[ea]) + np.log(mass[eb]) - np.log(ed) + rng.gumbel(0, 1.0, size=len(ea))
    n_trade = int(round(trade_density * len(ea)))
    chosen = np.argsort(-score, kind="stable")[:n_trade]
    concern_i = [idx[k] for k in CONCERN]
    forced = np.where(np.isin(ea, concern_i) | np.isin(eb, concern_i))[0]  # everyone reports concern trade
    chosen = np.unique(np.concatenate([chosen, forced]))
    ta, tb = ea[chosen], eb[chosen]
    base = mass[ta] * mass[tb] / (ed[chosen] / 1000.0) * 400.0
    cow_years = set(yrs[: max(1, round(0.6 * years))])
    names = np.array(isos, dtype=object)
    na, nb = names[ta], names[tb]

    def trade_rows():
        for t, y in enumerate(yrs):
            growth = 1.05**t
            for dataset in ("IMF_DOTS", "COW"):
                if dataset == "COW" and y not in cow_years:
                    continue
                keep = rng.random(len(ta)) >= 0.03
                vals = base[keep] * growth * rng.lognormal(0, 0.25, size=int(keep.sum()))
                est = rng.random(int(keep.sum()))
                vtxt = np.char.mod("%.3f", vals).tolist()
                etxt = np.where(est < 0.07, "true", np.where(est > 0.99, "", "false")).tolist()
                yield [[a, bb, y, v, dataset, e, src] for a, bb, v, e in zip(na[keep], nb[keep], vtxt, etxt)]

    w.write(
        "trade.csv", ["exporter", "importer", "year", "value_usd_mn", "dataset", "estimate", "source"], trade_rows()
    )

    # ------------------------------------------------------------------------------------ alliances & IGOs
    region = {c: region_of(lat[idx[c]], lng[idx[c]])[0] for c in isos}
    allies = set()
    for p in range(len(ia)):
        a, bb = isos[ia[p]], isos[ib[p]]
        pr = 0.06 if region[a] == region[bb] else 0.004
        if a in partners and bb in partners:
            pr = 0.7
        if rnd.random() < pr:
            allies.add((a, bb))
    allies.add(("CHN", "PRK"))
    if "JPN" in idx and "USA" in idx:
        allies.add(("JPN", "USA"))
    al_end = last - 2 if years >= 5 else last  # alliance data end before the other data: carried forward
    rows = []
    for a, bb in sorted(allies):
        kinds = [rnd.random() < 0.5, rnd.random() < 0.1, rnd.random() < 0.2, rnd.random() < 0.4, rnd.random() < 0.5]
        if (a, bb) == ("CHN", "PRK"):
            kinds = [True, False, False, False, True]
        first = rnd.choice(yrs[: max(1, len(yrs) // 2)])
        for y in range(first, al_end + 1):
            for x, z in ((a, bb), (bb, a)):
                rows.append([x, z, y, *map(b, kinds), src])
    w.write(
        "alliances.csv",
        ["iso3_a", "iso3_b", "year", "defense", "offense", "neutrality", "nonaggression", "consultation", "source"],
        rows,
    )

    igo_end = yrs[min(len(yrs) - 1, 14)] if years > 3 else last  # IGO data end earlier too
    key_set = set(CONCERN) | set(partners)
    base_igo = rng.integers(5, 90, size=len(ia))
    pick = rng.random(size=len(ia))

    def igo_rows():
        chunk = []
        for p in range(len(ia)):
            a, bb = isos[ia[p]], isos[ib[p]]
            if not (a in key_set or bb in key_set or pick[p] < 0.08):
                continue
            for t, y in enumerate(range(start_year, igo_end + 1)):
                chunk.append([a, bb, y, int(base_igo[p]) + t // 3, src])
            if len(chunk) >= 50_000:
                yield chunk
                chunk = []
        yield chunk

    w.write("shared_igos.csv", ["iso3_a", "iso3_b", "year", "count", "source"], igo_rows())

    # ------------------------------------------------------------------------- language, colonial, rivalry
    rows, col = [], []
    for p in range(len(ia)):
        a, bb = isos[ia[p]], isos[ib[p]]
        official = bool(langs[a] & langs[bb])
        ethnic = official and rnd.random() < 0.6 or rnd.random() < 0.01
        if official or ethnic:
            rows.append([a, bb, b(official), b(ethnic), src])
        if rnd.random() < 0.012:
            colony = rnd.random() < 0.4
            same = rnd.random() < 0.05
            col.append([a, bb, b(colony), b(not colony and not same or rnd.random() < 0.3), b(same), src])
    w.write("language_ties.csv", ["iso3_a", "iso3_b", "official", "ethnic", "source"], rows)
    w.write("colonial_ties.csv", ["iso3_a", "iso3_b", "colony", "common_colonizer", "same_country", "source"], col)

    rows = []
    riv_pairs = sorted(rnd.sample(sorted(near), min(len(near), max(2, n // 5))))
    for p in riv_pairs:
        a, bb = isos[ia[p]], isos[ib[p]]
        start = rnd.randint(1816, 2005)
        end = "" if rnd.random() < 0.3 else min(2010, rnd.randint(start, start + 80))
        rows.append(
            [a, bb, f"{a}-{bb} rivalry", start, end, rnd.choice(("spatial", "positional", "spatial;positional")), src]
        )
    w.write("rivalries.csv", ["iso3_a", "iso3_b", "name", "start_year", "end_year", "kind", "source"], rows)

    rows, seen = [], set()
    for _ in range(max(2, n // 4)):
        a = rnd.choice(recip_list)
        k = rnd.choice([c for c in CONCERN if c != a])
        y = rnd.choice(yrs)
        kind = rnd.choice(("UN vote with the nation of concern", "arms purchase", "high-level visit"))
        if (a, k, y, kind) in seen:
            continue
        seen.add((a, k, y, kind))
        rows.append([a, k, y, kind, round(rnd.uniform(0.1, 0.9), 2), round(rnd.uniform(0.4, 0.9), 2), "", src])
    w.write(
        "historical_ties.csv", ["iso3_a", "iso3_b", "year", "kind", "strength", "confidence", "note", "source"], rows
    )

    # ----------------------------------------------------------------------- organisations, meetings, topics
    orgs = ORGS[: 2 if countries < 20 else len(ORGS)]
    w.write("organisations.csv", ["org_id", "name", "kind", "source"], [[o, nm, k, src] for o, nm, k in orgs])
    w.write("topics.csv", ["topic_id", "name", "source"], [[t, nm, src] for t, nm in TOPICS])
    per_year = max(1, min(6, activities // 5000 + 1))
    meetings, rows, parts, mtopics = {}, [], [], []
    for y in yrs:
        for j in range(per_year):
            mid = f"MTG-{y}-{j + 1}"
            d = date(y, rnd.randint(1, 12), rnd.randint(1, 28))
            host = rnd.choice(partners + recip_list[:10])
            meetings.setdefault(y, []).append(mid)
            rows.append(
                [
                    mid,
                    f"Export control dialogue {y} #{j + 1}",
                    "" if rnd.random() < 0.1 else d.isoformat(),
                    y,
                    host,
                    f"Capital of {pycountry.countries.get(alpha_3=host).name}",
                    "",
                    src,
                ]
            )
            who = sorted(set(partners) | set(rnd.sample(recip_list, min(len(recip_list), rnd.randint(5, 40)))))
            for c in who:
                st = rnd.choices(("attended", "invited_absent", "announced"), (0.85, 0.1, 0.05))[0]
                parts.append([mid, c, st, rnd.choice(("", "", "ministerial", "senior officials")), "", src])
            for o, *_ in rnd.sample(orgs, rnd.randint(0, min(2, len(orgs)))):
                parts.append([mid, o, "attended", "", "", src])
            for t, _ in rnd.sample(TOPICS, rnd.randint(1, 3)):
                mtopics.append([mid, t, src])
    w.write("meetings.csv", ["meeting_id", "name", "date", "year", "host", "venue", "chair", "source"], rows)
    w.write(
        "meeting_participants.csv", ["meeting_id", "participant", "status", "representation", "note", "source"], parts
    )
    w.write("meeting_topics.csv", ["meeting_id", "topic_id", "source"], mtopics)

    # --------------------------------------------------------------------------------------- programmes
    progs = {p: [f"{p}-P{k}" for k in range(1, 4)] for p in partners}
    w.write(
        "programmes.csv",
        ["programme_id", "name", "owner", "agency", "description", "source"],
        [
            [pid, f"{p} outreach programme {k + 1}", p, rnd.choice(("", "Ministry of Trade", "Customs")), "", src]
            for p in partners
            for k, pid in enumerate(progs[p])
        ],
    )

    # --------------------------------------------------------------------------------------- activities
    pw = [0.35, 0.3, 0.2] + [0.15 / max(1, n_donors)] * n_donors
    rows = []
    p_choice = rnd.choices(partners, pw, k=activities)
    t_choice = rnd.choices(TOOLS, TOOL_WEIGHTS, k=activities)
    for i in range(activities):
        p, tool, y = p_choice[i], t_choice[i], rnd.choice(yrs)
        if tool == "multilateral_seminar":
            targets = (
                ""
                if rnd.random() < 0.3
                else ";".join(sorted(rnd.sample(recip_list, min(len(recip_list), rnd.randint(2, 6)))))
            )
        else:
            targets = (
                rnd.choice(recip_list)
                if rnd.random() < 0.9
                else ";".join(sorted(rnd.sample(recip_list, min(2, len(recip_list)))))
            )
        month = rnd.randint(1, 12) if rnd.random() < 0.8 else ""
        day = date(y, month, rnd.randint(1, 28)).isoformat() if month and rnd.random() < 0.4 else ""
        status = rnd.choices(("held", "planned", "proposed", "cancelled"), (0.6, 0.2, 0.15, 0.05))[0]
        rows.append(
            [
                f"ACT{i + 1:07d}",
                f"{tool.replace('_', ' ').capitalize()} by {p} ({targets or 'regional'})",
                p,
                targets,
                tool,
                rnd.choice(progs[p]) if rnd.random() < 0.7 else "",
                rnd.choice(meetings[y]) if rnd.random() < 0.05 else "",
                status,
                y,
                month,
                day,
                "" if rnd.random() < 0.7 else "Venue TBC",
                round(rnd.uniform(0.5, 1.0), 2),
                "",
                src,
            ]
        )
    w.write(
        "activities.csv",
        [
            "activity_id",
            "title",
            "partner",
            "targets",
            "tool",
            "programme",
            "meeting",
            "status",
            "year",
            "month",
            "date",
            "venue",
            "confidence",
            "note",
            "source",
        ],
        rows,
    )

    # ---------------------------------------------------------------------------------------- requests
    rows = []
    for i in range(max(5, activities // 20)):
        y = rnd.choice(yrs)
        rows.append(
            [
                f"REQ{i + 1:06d}",
                rnd.choice(recip_list),
                rnd.choice(meetings[y]) if rnd.random() < 0.3 else "",
                rnd.choice(TOOLS) if rnd.random() < 0.8 else "",
                rnd.choices(("assistance", "timing", "coordination"), (0.7, 0.15, 0.15))[0],
                "Asked for help with export controls",
                y,
                rnd.randint(1, 12) if rnd.random() < 0.7 else "",
                round(rnd.uniform(0.5, 1.0), 2),
                "",
                src,
            ]
        )
    w.write(
        "requests.csv",
        [
            "request_id",
            "country",
            "meeting",
            "tool",
            "kind",
            "summary",
            "year",
            "month",
            "confidence",
            "note",
            "source",
        ],
        rows,
    )

    # ---------------------------------------------------------------------------------------- contacts
    rows, k = [], 0
    for c in recip_list + partners:
        for _ in range(rnd.randint(1, 2)):
            k += 1
            org = rnd.random() < 0.03
            poc = rnd.random() < 0.6
            ly = rnd.randint(start_year, last + 2) if poc and rnd.random() < 0.4 else ""
            rows.append(
                [
                    f"C{k:06d}",
                    f"Official {k}",
                    rnd.choice(("Director", "Deputy Director", "Officer")),
                    "Ministry of Foreign Affairs",
                    "" if org else c,
                    orgs[0][0] if org else "",
                    rnd.choice(meetings[rnd.choice(yrs)]) if rnd.random() < 0.2 else "",
                    b(poc),
                    ly,
                    rnd.randint(1, 12) if ly and rnd.random() < 0.6 else "",
                    "",
                    src,
                ]
            )
    w.write(
        "contacts.csv",
        [
            "contact_id",
            "name",
            "title",
            "agency",
            "country",
            "organisation",
            "meeting",
            "export_control_poc",
            "leaving_year",
            "leaving_month",
            "note",
            "source",
        ],
        rows,
    )

    # -------------------------------------------------------------------------------------- assessments
    rows = []
    for c in recip_list:
        cat = rnd.choices((1, 2, 3, 4), (0.35, 0.3, 0.2, 0.15))[0]
        for j in range(rnd.randint(1, 3)):
            y = rnd.choice(yrs)
            elems = ["yes"] * (cat - 1) + ["no"] + [rnd.choice(("yes", "no", "unknown")) for _ in range(4 - cat)]
            risk = ("High" if rnd.random() < 0.5 else "Low") if cat == 1 else rnd.choice(("Low", ""))
            rows.append(
                [
                    f"AS-{c}-{j + 1}",
                    c,
                    date(y, rnd.randint(1, 12), rnd.randint(1, 28)).isoformat(),
                    rnd.choice(CORE_PARTNERS),
                    cat,
                    *elems,
                    risk,
                    round(rnd.uniform(0.5, 0.95), 2),
                    "",
                    src,
                ]
            )
            if rnd.random() < 0.3:
                cat = min(4, cat + 1)  # a later assessment may find the country more mature
    w.write(
        "assessments.csv",
        [
            "assessment_id",
            "iso3",
            "assessed_on",
            "assessor",
            "category",
            *ELEMENTS,
            "risk_assessed",
            "confidence",
            "note",
            "source",
        ],
        rows,
    )

    seconds = time.perf_counter() - t0
    manifest = {
        "args": {
            "countries": countries,
            "years": years,
            "activities": activities,
            "seed": seed,
            "start_year": start_year,
            "trade_density": trade_density,
        },
        "countries": {"concern": list(CONCERN), "partners": partners, "recipients": len(recipients)},
        "rows": dict(sorted(w.counts.items())),
        "total_rows": sum(w.counts.values()),
        "bytes": sum((out / f).stat().st_size for f in w.counts),
        "seconds": round(seconds, 3),
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }
    (out / "synth_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python tools/synth.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder to write (created; files are overwritten)")
    ap.add_argument(
        "--scale", choices=sorted(SCALES), default="world", help="preset sizes (small: 30/5/500, world: 200/25/50000)"
    )
    ap.add_argument("--countries", type=int)
    ap.add_argument("--years", type=int)
    ap.add_argument("--activities", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start-year", type=int, default=2000)
    ap.add_argument(
        "--trade-density",
        type=float,
        default=0.65,
        help="share of directed country pairs that trade (gravity-ranked); 0.65 ≈ 1M rows at world scale",
    )
    a = ap.parse_args(argv)
    size = dict(SCALES[a.scale])
    for k in size:
        if getattr(a, k) is not None:
            size[k] = getattr(a, k)
    m = generate(a.out, seed=a.seed, start_year=a.start_year, trade_density=a.trade_density, **size)
    print(
        f"synth: wrote {m['total_rows']:,} rows ({m['bytes'] / 1e6:.1f} MB) to {a.out} in {m['seconds']:.1f} s "
        f"(trade.csv: {m['rows']['trade.csv']:,} rows)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
