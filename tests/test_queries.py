"""The Cypher library on the embedded store: every query on the tiny fixture with hand-computed rows, the
runner's refusals and limits, the store cache, the command line, and end-to-end answers on the real data that
an analyst can check against the two source cables (shared/seeds/000_88eff998cedc8c26.txt, Annex I/II, and
shared/seeds/003_721d2adba7d6240b.txt, ASTOP-VI).

The tiny fixture (tests/fixtures/tiny), in one paragraph: recipients THA (category 1), MYS (2), CHN (3, also a
nation of concern), SGP (4) and LAO (no assessment, so no category); partners AUS, JPN, USA. Activities
A1 JPN industry seminar THA held 2008-03; A2 USA officer training MYS held 2008-03; A3 AUS officer training MYS
planned 2008-05; A4 JPN industry seminar MYS held 2008-03; A5 USA legal assistance THA held 2008-06; A6 JPN
industry seminar CHN *proposed* 2008 (no month); A7 USA officer training MYS held 2008-09; A8 JPN multilateral
seminar, no target, 2008-02; A9 AUS officer training MYS planned 2009-04. Trade data cover 2008 and 2009 (one
THA→PRK row), so the store's default risk year is 2009.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from graph_loader.risk import diversion_risk
from graph_loader.stores.embedded import EmbeddedStore, StoreError, ensure_built, fingerprint
from queries.registry import QueryError, load_registry
from queries.runner import Runner

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"
REAL = ROOT / "data"


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """A private store cache for the session; set before any store is opened, inherited by subprocesses."""
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("outreach-cache")
    mp.setenv("OUTREACH_CACHE", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="session")
def tiny(cache) -> Runner:
    return Runner(data_dir=TINY)


@pytest.fixture(scope="session")
def real(cache) -> Runner:
    return Runner(data_dir=REAL)


@pytest.fixture(scope="session")
def risk(tiny_graph) -> dict[int, dict[str, dict]]:
    """risk.py's own rows for the tiny data, by year and country."""
    return {y: {r["iso3"]: r for r in diversion_risk(tiny_graph, y)} for y in (2008, 2009)}


def rows(runner: Runner, name: str, **params) -> list[dict]:
    return runner.run(name, params).rows


def score(risk_rows: dict, iso3: str) -> float:
    return risk_rows[iso3]["score"]


TIER_POINTS = {"High": 2, "Medium": 1, "Low": 0, None: 0}


def tier_of(risk_row: dict, source: str = "assessment") -> str | None:
    """The tier a query shows: the analysts' where an assessment is in force (source 'assessment'), else the model's."""
    return risk_row["assessed_tier"] if source == "assessment" and risk_row["assessed_tier"] else risk_row["tier"]


def priority(risk_row: dict, requirement: str, years_uncovered: int, source: str = "assessment") -> float:
    """100 × T + 10 × S + Y + R (queries/coverage_gaps.cypher)."""
    return (
        100 * TIER_POINTS[tier_of(risk_row, source)]
        + 10 * (requirement == "primary")
        + years_uncovered
        + (risk_row["score"] or 0.0)
    )


def approx(x):
    return pytest.approx(x, abs=1e-9)


# ======================================================================================== coverage_gaps
def test_coverage_gaps_2008_are_the_needed_tools_nobody_held_or_planned(tiny, risk):
    r = risk[2008]
    # Needs (category_needs.csv) against 2008 held/planned activities:
    #   THA (1): bilateral_discussion primary — none → gap; industry_seminar if_necessary — A1 → covered
    #   MYS (2): legal_assistance primary — none → gap; officer_training — A2, A3 → covered; industry — A4 → covered
    #   CHN (3): officer_training primary, industry_seminar primary (A6 is only proposed), legal_assistance
    #            if_necessary — all gaps
    #   SGP (4): industry_seminar primary, officer_training if_necessary — both gaps
    #   LAO: no category → no needs → no rows
    # Nothing was delivered before 2008, so years_uncovered = 5:
    #   priority = 100 × tier points + 10 × primary + 5 + risk(2008); THA's tier is the analysts' High (2 points),
    #   MYS, CHN and SGP are assessed Low (0 points)
    expected = {
        ("THA", "bilateral_discussion", "primary", ("AUS", "JPN", "USA"), 200 + 10 + 5 + score(r, "THA")),
        ("MYS", "legal_assistance", "primary", ("AUS", "USA"), 10 + 5 + score(r, "MYS")),
        ("CHN", "officer_training", "primary", ("AUS", "USA"), 10 + 5 + score(r, "CHN")),
        ("CHN", "industry_seminar", "primary", ("JPN",), 10 + 5 + score(r, "CHN")),
        ("CHN", "legal_assistance", "if_necessary", ("AUS", "USA"), 5 + score(r, "CHN")),
        ("SGP", "industry_seminar", "primary", ("JPN",), 10 + 5 + score(r, "SGP")),
        ("SGP", "officer_training", "if_necessary", ("AUS", "USA"), 5 + score(r, "SGP")),
    }
    got = rows(tiny, "coverage_gaps", year_from=2008, year_to=2008)
    assert {(g["iso3"], g["tool"], g["requirement"], tuple(g["assigned_partners"])) for g in got} == {
        e[:4] for e in expected
    }
    by_key = {(g["iso3"], g["tool"]): g for g in got}
    for iso3, tool, _, _, priority in expected:
        g = by_key[(iso3, tool)]
        assert g["priority"] == approx(priority), (iso3, tool)
        assert g["risk_score"] == approx(score(r, iso3)) and g["risk_tier"] == tier_of(r[iso3])
        assert g["tier_source"] == "analysts"  # every recipient with a category has a 2008 assessment
        assert (g["last_covered"], g["years_uncovered"]) == (None, 5)
    assert {g["category"] for g in got if g["iso3"] == "CHN"} == {3}
    assert [(g["iso3"], g["tool"]) for g in got] == [
        (g["iso3"], g["tool"]) for g in sorted(got, key=lambda g: (-g["priority"], g["iso3"], g["tool"]))
    ]


def test_coverage_gaps_count_years_since_the_tool_was_last_delivered(tiny, risk):
    r = risk[2009]
    # 2009 alone: only A9 (AUS officer training MYS, planned) falls in the window, so MYS officer_training is
    # covered. THA and MYS industry seminars were last held in 2008 (A1, A4): years_uncovered = 2009 − 2008 = 1.
    # Everything else was never delivered: 5 years. The 2008 assessments are still in force in 2009.
    got = {(g["iso3"], g["tool"]): g for g in rows(tiny, "coverage_gaps", year_from=2009, year_to=2009)}
    assert set(got) == {
        ("THA", "bilateral_discussion"),
        ("THA", "industry_seminar"),
        ("MYS", "legal_assistance"),
        ("MYS", "industry_seminar"),
        ("CHN", "officer_training"),
        ("CHN", "industry_seminar"),
        ("CHN", "legal_assistance"),
        ("SGP", "industry_seminar"),
        ("SGP", "officer_training"),
    }
    for iso3 in ("THA", "MYS"):
        g = got[(iso3, "industry_seminar")]
        assert (g["last_covered"], g["years_uncovered"]) == (2008, 1)
        assert g["priority"] == approx(priority(r[iso3], "if_necessary", 1))
    assert got[("MYS", "legal_assistance")]["priority"] == approx(priority(r["MYS"], "primary", 5))


def test_coverage_gaps_take_their_tiers_from_the_tier_source(tiny, risk):
    r = risk[2008]
    by_model = {
        (g["iso3"], g["tool"]): g
        for g in rows(tiny, "coverage_gaps", year_from=2008, year_to=2008, tier_source="model")
    }
    # the model puts MYS and CHN in the High tier (test_risk.py), the analysts Low
    for (iso3, _tool), g in by_model.items():
        assert (g["risk_tier"], g["tier_source"]) == (r[iso3]["tier"], "model")
    assert by_model[("MYS", "legal_assistance")]["priority"] == approx(priority(r["MYS"], "primary", 5, "model"))
    assert by_model[("MYS", "legal_assistance")]["priority"] > 200


def test_coverage_gaps_min_priority_leaves_out_lower_priorities(tiny, risk):
    every = rows(tiny, "coverage_gaps", year_from=2008, year_to=2008)
    kept = rows(tiny, "coverage_gaps", year_from=2008, year_to=2008, min_priority=100)
    assert 0 < len(kept) < len(every)  # the threshold really splits the 2008 gaps: High tier only
    assert kept == [g for g in every if g["priority"] >= 100]


def test_coverage_gaps_are_empty_above_the_highest_possible_priority(tiny):
    # priority ≤ 100 × 2 + 10 + 5 + 1 = 216
    assert rows(tiny, "coverage_gaps", year_from=2008, year_to=2008, min_priority=217) == []


def test_a_recipient_without_category_never_has_coverage_gaps(tiny, risk):
    assert risk[2008]["LAO"]["score"] is not None  # LAO is scored: it is left out for its missing category
    for window in ((2008, 2008), (2009, 2009), (2000, 2100)):
        got = rows(tiny, "coverage_gaps", year_from=window[0], year_to=window[1])
        assert got and "LAO" not in {g["iso3"] for g in got}


# ====================================================================================== assignment_gaps
def test_assignment_gaps_2008_name_each_assigned_partner_that_did_not_deliver(tiny, risk):
    # role_sharing.csv against 2008 held/planned activities, needed tools only:
    #   THA (1): AUS, JPN, USA bilateral_discussion → nobody; JPN industry_seminar → A1 (delivered)
    #   MYS (2): AUS, USA legal_assistance → nobody; USA officer_training → A2/A7; AUS → A3; JPN industry → A4
    #   CHN (3): AUS, USA officer_training; AUS, USA legal_assistance; JPN industry_seminar (A6 only proposed)
    #   SGP (4): AUS, USA officer_training; JPN industry_seminar
    #   JPN multilateral_seminar is assigned to every category but needed by none → left out
    got = rows(tiny, "assignment_gaps", year_from=2008, year_to=2008)
    assert {(g["iso3"], g["partner"], g["tool"]) for g in got} == {
        ("THA", "AUS", "bilateral_discussion"),
        ("THA", "JPN", "bilateral_discussion"),
        ("THA", "USA", "bilateral_discussion"),
        ("MYS", "AUS", "legal_assistance"),
        ("MYS", "USA", "legal_assistance"),
        ("CHN", "AUS", "officer_training"),
        ("CHN", "USA", "officer_training"),
        ("CHN", "AUS", "legal_assistance"),
        ("CHN", "USA", "legal_assistance"),
        ("CHN", "JPN", "industry_seminar"),
        ("SGP", "AUS", "officer_training"),
        ("SGP", "USA", "officer_training"),
        ("SGP", "JPN", "industry_seminar"),
    }
    assert all(g["delivered_by"] == [] and g["needed"] is not None for g in got)
    assert all(g["risk_score"] == approx(score(risk[2008], g["iso3"])) for g in got)
    chn_legal = next(g for g in got if (g["iso3"], g["partner"], g["tool"]) == ("CHN", "USA", "legal_assistance"))
    assert (chn_legal["category"], chn_legal["assignment"], chn_legal["needed"]) == (3, "if_necessary", "if_necessary")


def test_assignment_gaps_without_needed_only_add_the_multilateral_seminar(tiny):
    needed = rows(tiny, "assignment_gaps", year_from=2008, year_to=2008, needed_only=True)
    every = rows(tiny, "assignment_gaps", year_from=2008, year_to=2008, needed_only="false")
    extra = [g for g in every if g not in needed]
    # JPN is assigned the multilateral seminar in every category; no category lists it as a need
    assert {(g["iso3"], g["partner"], g["tool"], g["needed"]) for g in extra} == {
        (c, "JPN", "multilateral_seminar", None) for c in ("THA", "MYS", "CHN", "SGP")
    }
    assert len(every) == len(needed) + 4


def test_assignment_gaps_say_who_delivered_instead(tiny):
    # 2009: AUS held A9 (officer training, MYS); USA, also assigned officer training for category 2, did not.
    got = [g for g in rows(tiny, "assignment_gaps", year_from=2009, year_to=2009) if g["iso3"] == "MYS"]
    assert {(g["partner"], g["tool"]): g["delivered_by"] for g in got} == {
        ("USA", "officer_training"): ["AUS"],
        ("USA", "legal_assistance"): [],
        ("AUS", "legal_assistance"): [],
        ("JPN", "industry_seminar"): [],  # A4 was in 2008
    }


# ====================================================================================== partner_overlap
def test_partner_overlap_2008_finds_malaysia_officer_training_from_two_partners(tiny):
    # MYS officer training 2008: A2 (USA, held), A3 (AUS, planned), A7 (USA, held) → 2 partners, 3 activities.
    # Every other country/tool pair has one partner and one activity.
    assert rows(tiny, "partner_overlap") == [
        {
            "iso3": "MYS",
            "country": "Malaysia",
            "tool": "officer_training",
            "n_partners": 2,
            "n_activities": 3,
            "partners": ["AUS", "USA"],
            "activities": ["A2", "A3", "A7"],
        }
    ]


def test_partner_overlap_max_activities_flags_any_pair_above_it(tiny):
    # max_activities 0: every targeted country/tool pair of 2008 (proposed offers count: A6); A8 targets nobody
    got = rows(tiny, "partner_overlap", max_activities=0)
    assert {(g["iso3"], g["tool"], tuple(g["activities"])) for g in got} == {
        ("MYS", "officer_training", ("A2", "A3", "A7")),
        ("THA", "industry_seminar", ("A1",)),
        ("THA", "legal_assistance", ("A5",)),
        ("MYS", "industry_seminar", ("A4",)),
        ("CHN", "industry_seminar", ("A6",)),
    }
    assert got[0]["iso3"] == "MYS"  # most partners first
    # 2009 alone: A9 is one activity by one partner — flooding only when max_activities is 0
    assert rows(tiny, "partner_overlap", year_from=2009, year_to=2009) == []
    assert [g["activities"] for g in rows(tiny, "partner_overlap", year_from=2009, year_to=2009, max_activities=0)] == [
        ["A9"]
    ]


# =================================================================================== schedule_conflicts
def test_schedule_conflicts_pair_two_partners_in_malaysia_in_march_2008(tiny):
    # Same country, year and month: only MYS 2008-03 (A2 USA officer training, A4 JPN industry seminar).
    # THA has A1 (March) and A5 (June); A6 has no month.
    assert rows(tiny, "schedule_conflicts") == [
        {
            "iso3": "MYS",
            "country": "Malaysia",
            "year": 2008,
            "month": 3,
            "activity_a": "A2",
            "partner_a": "USA",
            "tool_a": "officer_training",
            "activity_b": "A4",
            "partner_b": "JPN",
            "tool_b": "industry_seminar",
            "same_partner": False,
        }
    ]
    assert rows(tiny, "schedule_conflicts", year_from=2009, year_to=2009) == []


# ====================================================================================== role_compliance
def test_role_compliance_flags_us_legal_assistance_to_a_category_1_country(tiny):
    # Category 1 assigns only bilateral discussion to the USA; A5 is USA legal assistance to THA (category 1).
    # A1/A4/A6 are JPN industry seminars, assigned to JPN in categories 1–3; A2/A3/A7 are assigned officer training.
    assert rows(tiny, "role_compliance") == [
        {
            "activity_id": "A5",
            "title": "Legal assistance Thailand",
            "partner": "USA",
            "iso3": "THA",
            "country": "Thailand",
            "category": 1,
            "tool": "legal_assistance",
            "year": 2008,
            "status": "held",
            "assigned_tools": ["bilateral_discussion"],
        }
    ]
    assert rows(tiny, "role_compliance", year_from=2009, year_to=2009) == []


# ========================================================================================= risk_ranking
def ranking_from_risk_py(risk_rows: dict) -> list[tuple]:
    out = [
        (
            r["iso3"],
            r["year"],
            r["score"],
            r["exposure"],
            r["weakness"],
            r["tier"],
            tier_of(r),
            *(
                (r["contributions"] if r["score"] is not None else r["exposure_contributions"])[f]
                for f in ("technology", "trade", "geography", "ties")
            ),
            "; ".join(r["missing"]),
        )
        for r in risk_rows.values()
        if r["exposure"] is not None
    ]
    return sorted(out, key=lambda t: (-(t[2] if t[2] is not None else -1), -t[3], t[0]))


def ranking(got: list[dict]) -> list[tuple]:
    return [
        (
            g["iso3"],
            g["year"],
            g["score"],
            g["exposure"],
            g["weakness"],
            g["model_tier"],
            g["risk_tier"],
            g["technology"],
            g["trade"],
            g["geography"],
            g["ties"],
            g["missing"],
        )
        for g in got
    ]


def test_risk_ranking_for_a_year_equals_risk_py(tiny, risk):
    got = rows(tiny, "risk_ranking", year=2008)
    assert ranking(got) == [
        tuple(approx(v) if isinstance(v, float) else v for v in t) for t in ranking_from_risk_py(risk[2008])
    ]
    for g in got:  # the contributions sum to the risk, or to the exposure (each rounded to 9 decimals by the runner)
        total = g["score"] if g["score"] is not None else g["exposure"]
        assert g["technology"] + g["trade"] + g["geography"] + g["ties"] == pytest.approx(total, abs=5e-9)
    assert {g["iso3"]: g["tier_source"] for g in got if g["recipient"]}["THA"] == "analysts"
    assert {g["iso3"]: g["tier_source"] for g in got}["PRK"] is None  # no recipient: no tier


def test_risk_ranking_without_a_year_or_with_0_uses_the_default_year(tiny, risk):
    # the tiny data's latest trade year is 2009 (THA→PRK), the default risk year of the build
    default = rows(tiny, "risk_ranking")
    assert {g["year"] for g in default} == {2009}
    assert ranking(default) == [
        tuple(approx(v) if isinstance(v, float) else v for v in t) for t in ranking_from_risk_py(risk[2009])
    ]
    assert rows(tiny, "risk_ranking", year=0) == default
    assert rows(tiny, "risk_ranking", year=1990) == []


# ====================================================================================== country_profile
def test_country_profile_of_malaysia_gathers_everything_about_it(tiny, risk):
    (p,) = rows(tiny, "country_profile", iso3="MYS")
    assert (p["iso3"], p["country"], p["roles"], p["category"], p["objective"], p["assessed_tier"]) == (
        "MYS",
        "Malaysia",
        "recipient",
        2,
        "Establish strict legal system",
        "Low",
    )
    assert [(a["assessment_id"], a["category"], a["laws"]) for a in p["assessments"]] == [("A-MYS", 2, "no")]
    assert sorted(a["activity_id"] for a in p["activities"]) == ["A2", "A3", "A4", "A7", "A9"]
    assert sorted((q["request_id"], q["tool"]) for q in p["requests"]) == [("R2", "officer_training"), ("R3", None)]
    assert [(k["contact_id"], k["leaving_year"], k["leaving_month"]) for k in p["contacts"]] == [("C1", 2009, 6)]
    # category 2 needs legal assistance, officer training and industry seminars; only legal assistance was never
    # held or planned in Malaysia
    assert p["never_delivered"] == ["legal_assistance"]
    assert (p["risk_year"], p["risk_score"], p["risk_tier"]) == (
        2009,
        approx(score(risk[2009], "MYS")),
        risk[2009]["MYS"]["tier"],
    )


def test_country_profile_of_laos_has_no_category_and_empty_lists(tiny):
    (p,) = rows(tiny, "country_profile", iso3="LAO")
    assert (p["country"], p["category"], p["objective"], p["assessed_tier"]) == ("Laos", None, None, None)
    assert (p["assessments"], p["activities"], p["requests"], p["contacts"], p["never_delivered"]) == (
        [],
        [],
        [],
        [],
        [],
    )


def test_country_profile_of_an_unknown_country_is_empty_and_iso3_is_required(tiny):
    assert rows(tiny, "country_profile", iso3="ZZZ") == []
    with pytest.raises(QueryError, match=r"^country_profile: parameter iso3 is required \(string\)$"):
        tiny.run("country_profile")


# ====================================================================================== ties_to_concern
def test_ties_of_thailand_to_china_in_2008(tiny):
    # alliances.csv: THA→CHN non-aggression (0.3); shared_igos.csv: 40; distances.csv: capitals 3000 km;
    # trade.csv: THA→CHN 100 IMF_DOTS and 999 COW — IMF DOTS has the flow, so 100 — and CHN→THA 100 IMF_DOTS;
    # no border, language, colonial or recorded tie; the CHN–THA rivalry (1950–1960) is over by 2008.
    got = rows(tiny, "ties_to_concern", iso3="THA", year=2008)
    assert [(g["concern_iso3"], g["tie"], g["strength"], g["unit"], g["detail"]) for g in got] == [
        ("CHN", "alliance", 0.3, "score 0-1", "non-aggression"),
        ("CHN", "distance", 3000.0, "km", "capital to capital"),
        ("CHN", "shared_igos", 40.0, "count", "COW IGO"),
        ("CHN", "trade_exports", 100.0, "USD mn", "IMF_DOTS"),
        ("CHN", "trade_imports", 100.0, "USD mn", "IMF_DOTS"),
    ]


def test_ties_follow_the_year(tiny):
    # 2009: no alliance or IGO data for 2009; trade only THA→PRK (10, IMF_DOTS); the distance is timeless
    assert [
        (g["concern_iso3"], g["tie"], g["strength"]) for g in rows(tiny, "ties_to_concern", iso3="THA", year=2009)
    ] == [("CHN", "distance", 3000.0), ("PRK", "trade_exports", 10.0)]
    # 1955: the rivalry is active (a negative tie)
    assert [(g["tie"], g["strength"], g["detail"]) for g in rows(tiny, "ties_to_concern", iso3="THA", year=1955)] == [
        ("distance", 3000.0, "capital to capital"),
        ("rivalry", -1.0, "Fixture rivalry"),
    ]


def test_ties_of_all_countries_include_concern_to_concern_and_skip_non_concerns(tiny):
    got = rows(tiny, "ties_to_concern")
    assert ("CHN", "PRK", "alliance", 1.0, "defense") in [
        (g["iso3"], g["concern_iso3"], g["tie"], g["strength"], g["detail"]) for g in got
    ]
    assert ("LAO", "CHN", "border", 1.0, "land") in [
        (g["iso3"], g["concern_iso3"], g["tie"], g["strength"], g["detail"]) for g in got
    ]
    assert {g["concern_iso3"] for g in got} == {"CHN", "PRK"}  # MYS–THA trade and border are not ties of concern


@pytest.fixture(scope="session")
def mixed_ties(cache, tmp_path_factory) -> Runner:
    """The tiny data plus a second, stronger alliance and two sea borders of different kinds for THA–CHN."""
    data = tmp_path_factory.mktemp("mixed-ties") / "data"
    shutil.copytree(TINY, data)
    with (data / "alliances.csv").open("a", encoding="utf-8") as f:
        f.write("CHN,THA,2008,true,false,false,false,false,fixture\n")  # CHN→THA defense (ATOP is directed)
    with (data / "contiguity.csv").open("a", encoding="utf-8") as f:
        f.write("CHN,THA,sea_24mi,1990,,fixture\nTHA,CHN,sea_150mi,1990,,fixture\n")
    return Runner(data_dir=data)


def test_ties_detail_names_the_strongest_alliance_and_border(mixed_ties):
    # strength is the maximum over the pair's records; the detail must name that same record, not the
    # alphabetically largest/smallest kind ('non-aggression' > 'defense', 'sea_150mi' < 'sea_24mi')
    got = {g["tie"]: g for g in rows(mixed_ties, "ties_to_concern", iso3="THA", year=2008)}
    assert (got["alliance"]["strength"], got["alliance"]["detail"]) == (1.0, "defense")
    assert (got["border"]["strength"], got["border"]["detail"]) == (0.7, "sea_24mi")


# ======================================================================================= unmet_requests
def test_unmet_requests_are_the_equipment_request_and_the_coordination_complaint(tiny):
    # R1 THA equipment (2009-12): no activity uses equipment → unmet.
    # R2 MYS officer training (2008-01): A2, USA officer training in MYS, held 2008-03 → answered.
    # R3 MYS coordination (2009-12): not a request (kind coordination) → not a need, not listed.
    got = rows(tiny, "unmet_requests")
    assert [(g["request_id"], g["iso3"], g["kind"], g["tool"], g["meeting"], g["matching_offers"]) for g in got] == [
        ("R1", "THA", "request", "equipment", "M1", [])
    ]


def test_unmet_requests_only_count_answers_up_to_as_of_year(tiny):
    # with answers only up to 2007, A2 (2008) no longer answers R2
    assert [g["request_id"] for g in rows(tiny, "unmet_requests", as_of_year=2007)] == ["R2", "R1"]


# ================================================================================ meeting_participation
def test_meeting_participation_lists_countries_the_organisation_and_the_absent(tiny):
    expected = [
        ("IAEA", "organisation", "attended"),
        ("MYS", "country", "attended"),
        ("THA", "country", "attended"),
        ("SGP", "country", "invited_absent"),
    ]
    got = rows(tiny, "meeting_participation")
    assert [(g["participant"], g["participant_kind"], g["status"]) for g in got] == expected
    assert {(g["meeting_id"], g["date"], g["year"]) for g in got} == {("M1", "2009-12-11", 2009)}
    assert rows(tiny, "meeting_participation", meeting_id="M1") == got
    assert rows(tiny, "meeting_participation", meeting_id="M2") == []


# ======================================================================================== handover_risk
def test_handover_risk_finds_the_malaysian_contact_leaving_within_six_months(tiny):
    # C1 leaves 2009-06 (window 2009-06 to 2009-06); as of 2009-01: (2009·12 + 6) − (2009·12 + 1) = 5 months ≤ 6.
    # Planned/proposed activities in MYS from 2009-01 on: A9 (planned 2009-04); A3 (2008-05) is earlier.
    # C2 (THA) has no leaving date.
    assert rows(tiny, "handover_risk", as_of_year=2009, as_of_month=1, months=6) == [
        {
            "contact_id": "C1",
            "name": "Malaysian POC",
            "title": "Principal Assistant Secretary",
            "iso3": "MYS",
            "country": "Malaysia",
            "leaving_from_year": 2009,
            "leaving_from_month": 6,
            "leaving_year": 2009,
            "leaving_month": 6,
            "months_left": 5,
            "months_to_latest": 5,
            "n_activities": 1,
            "activities": ["A9"],
        }
    ]


def test_handover_risk_is_empty_once_the_contact_left_or_beyond_the_window(tiny):
    assert rows(tiny, "handover_risk", as_of_year=2009, as_of_month=12) == []  # left in June
    assert rows(tiny, "handover_risk", as_of_year=2009, as_of_month=1, months=4) == []  # 5 months away


# ================================================================================== unreached_high_risk
def test_unreached_high_risk_are_the_high_tier_recipients_nothing_held_or_planned_reached(tiny, risk):
    r = risk[2008]
    # recipients: CHN, LAO, MYS, SGP, THA. THA (A1, A5) and MYS (A2, A3, A4, A7) were reached in 2008;
    # CHN only got a proposal (A6), which does not count. The analysts' only High (THA) was reached: nothing
    # is unreached by their tiers; the model's High tier (THA, MYS, CHN) leaves CHN unreached.
    assert rows(tiny, "unreached_high_risk") == []
    high = {iso3 for iso3, x in r.items() if x["recipient"] and x["tier"] == "High"}
    got = rows(tiny, "unreached_high_risk", tier_source="model")
    assert got, "the tiny data should have at least one unreached High-tier recipient in 2008"
    assert {g["iso3"] for g in got} == high - {"THA", "MYS"} == {"CHN"}
    for g in got:
        assert (g["risk_tier"], g["tier_source"], g["risk_score"], g["last_reached"]) == (
            "High",
            "model",
            approx(score(r, g["iso3"])),
            None,
        )
    assert [g["risk_score"] for g in got] == sorted((g["risk_score"] for g in got), reverse=True)


def test_the_assessed_high_countries_nothing_reached_in_2008_are_thailand_and_the_philippines(real):
    got = rows(real, "unreached_high_risk", year_from=2008, year_to=2008)
    assert [(g["iso3"], g["risk_tier"], g["tier_source"], g["last_reached"]) for g in got] == [
        ("PHL", "High", "analysts", 2007),
        ("THA", "High", "analysts", 2007),
    ]


def test_the_2008_gap_list_is_led_by_the_high_risk_countries(real):
    got = rows(real, "coverage_gaps", year_from=2008, year_to=2008)
    leading = [g for g in got if g["risk_tier"] == "High"]
    assert got[: len(leading)] == leading and {g["iso3"] for g in leading} == {"PHL", "THA"}


# ========================================================================================== role_matrix
def test_role_matrix_has_the_21_assignments_of_the_proposal(tiny):
    got = rows(tiny, "role_matrix")
    assert len(got) == 21
    assert [sum(1 for g in got if g["category"] == c) for c in (1, 2, 3, 4)] == [5, 6, 6, 4]
    # the multilateral seminar is assigned to Japan everywhere but needed by no category
    assert {g["needed"] for g in got if g["tool"] == "multilateral_seminar"} == {None}


def test_role_matrix_for_category_1(tiny):
    assert [(g["partner"], g["tool"], g["assignment"], g["needed"]) for g in rows(tiny, "role_matrix", category=1)] == [
        ("AUS", "bilateral_discussion", "primary", "primary"),
        ("JPN", "bilateral_discussion", "primary", "primary"),
        ("JPN", "industry_seminar", "if_necessary", "if_necessary"),
        ("JPN", "multilateral_seminar", "primary", None),
        ("USA", "bilateral_discussion", "primary", "primary"),
    ]
    assert {g["objective"] for g in rows(tiny, "role_matrix", category=1)} == {"Increase awareness of government"}


# ===================================================================================== runner behaviour
def test_every_query_returns_exactly_the_columns_its_header_declares(tiny):
    for name, q in load_registry().items():
        res = tiny.run(name, {"iso3": "MYS"} if name == "country_profile" else {})
        assert res.columns == list(q.returns), name
        assert all(list(r) == res.columns for r in res.rows), name


def one_line_error(call) -> str:
    with pytest.raises(QueryError) as e:
        call()
    assert "\n" not in str(e.value)
    return str(e.value)


def test_an_unknown_query_is_refused(tiny):
    assert one_line_error(lambda: tiny.run("nope")) == "unknown query 'nope' (try: python -m queries list)"


def test_an_unknown_parameter_is_refused(tiny):
    assert (
        one_line_error(lambda: tiny.run("coverage_gaps", {"nope": 1}))
        == "coverage_gaps: unknown parameter 'nope' (expected one of: year_from, year_to, min_priority, tier_source)"
    )


def test_an_ill_typed_parameter_is_refused(tiny):
    assert (
        one_line_error(lambda: tiny.run("coverage_gaps", {"year_from": "abc"}))
        == "parameter year_from: 'abc' is not a valid int"
    )
    assert (
        one_line_error(lambda: tiny.run("assignment_gaps", {"needed_only": "maybe"}))
        == "parameter needed_only: 'maybe' is not a valid bool"
    )


def test_free_form_read_queries_run(tiny):
    assert tiny.run_text(
        "MATCH (c:Country) WHERE c.recipient = $r RETURN count(c) AS n ORDER BY n", {"r": True}
    ).rows == [{"n": 5}]


class Recording:
    """The real store, noting every text it is asked to run."""

    def __init__(self, store):
        self.store, self.texts = store, []

    def query(self, text, params=None):
        self.texts.append(text)
        return self.store.query(text, params)


@pytest.mark.parametrize(
    "text",
    [
        "CREATE (n:Country {iso3:'ZZZ'})",
        "MATCH (n) DETACH DELETE n",
        "MATCH (c:Country) SET c.name = 'x' RETURN c.iso3 AS iso3 ORDER BY iso3",
    ],
)
def test_a_free_form_write_is_refused_before_running_and_changes_nothing(tiny, text):
    count = "MATCH (n) RETURN count(n) AS n ORDER BY n"
    before = tiny.run_text(count).rows
    store = Recording(tiny.store)
    guarded = Runner(store=store, registry=tiny.registry)
    message = one_line_error(lambda: guarded.run_text(text))
    assert message.startswith("only read queries are accepted; refused before running: ")
    assert store.texts == []
    assert tiny.run_text(count).rows == before
    assert tiny.run_text(
        "MATCH (c:Country) WHERE c.iso3 = 'ZZZ' OR c.name = 'x' RETURN count(c) AS n ORDER BY n"
    ).rows == [{"n": 0}]


def test_the_embedded_store_itself_is_read_only(tiny):
    with pytest.raises(StoreError, match="read-only"):
        tiny.store.query("CREATE (n:Country {iso3:'ZZZ'})")


def test_an_engine_error_becomes_one_line(tiny):
    message = one_line_error(lambda: tiny.run_text("MATCH (c:Country RETURN c.iso3 AS iso3 ORDER BY iso3"))
    assert message.startswith("engine error: ")
    message = one_line_error(lambda: tiny.run_text("MATCH (c:Country) RETURN c.no_such AS x ORDER BY x"))
    assert message.startswith("engine error: ")


def test_a_runaway_query_stops_at_the_timeout(real):
    quick = Runner(store=EmbeddedStore(real.store.folder, timeout_ms=200), registry=real.registry)
    start = time.monotonic()
    message = one_line_error(
        lambda: quick.run_text(
            "MATCH (a:Country)-[:TRADES_WITH*1..2]-(b:Country)-[:TRADES_WITH*1..2]-(c:Country) "
            "RETURN count(*) AS n ORDER BY n"
        )
    )
    elapsed = time.monotonic() - start
    assert message == "engine error: query stopped after the 0.2 s timeout (OUTREACH_QUERY_TIMEOUT_MS)"
    assert elapsed < 5, f"took {elapsed:.1f} s"
    # the handle is still usable afterwards
    assert quick.run_text("MATCH (c:Country) WHERE c.iso3 = 'MYS' RETURN c.name AS name ORDER BY name").rows == [
        {"name": "Malaysia"}
    ]


# ========================================================================================== store cache
def test_the_store_is_rebuilt_when_a_data_file_changes(cache, tiny, tiny_copy):
    before = fingerprint(tiny_copy)
    path = tiny_copy / "activities.csv"
    text = path.read_text(encoding="utf-8")
    old = "A5,Legal assistance Thailand,USA,THA,legal_assistance,USA-EXBS,,held,"
    assert text.count(old) == 1
    path.write_text(text.replace(old, old.replace(",held,", ",cancelled,")), encoding="utf-8")
    assert fingerprint(tiny_copy) != before
    edited = Runner(data_dir=tiny_copy, registry=tiny.registry)
    assert edited.store.folder != tiny.store.folder
    assert rows(edited, "role_compliance") == []  # A5 is cancelled in the edited copy
    assert [g["activity_id"] for g in rows(tiny, "role_compliance")] == ["A5"]  # the original is untouched


def test_the_fingerprint_is_the_content_not_the_file_times(tiny_copy):
    before = fingerprint(tiny_copy)
    st = (tiny_copy / "trade.csv").stat()
    os.utime(tiny_copy / "trade.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert fingerprint(tiny_copy) == before  # touched, same bytes: the same store
    with (tiny_copy / "trade.csv").open("a", encoding="utf-8") as f:
        f.write("THA,CHN,2009,1,IMF_DOTS,false,fixture\n")
    assert fingerprint(tiny_copy) != before


def test_old_stores_are_pruned_least_recently_used_first_never_a_recent_one(tmp_path, three_countries):
    import time

    from graph_loader.stores.embedded import ensure_built, prune

    made = [ensure_built(f"s{i}", lambda: three_countries, tmp_path) for i in range(4)]
    now = time.time()
    for i, folder in enumerate(made):  # s0 used longest ago, s3 just now
        os.utime(folder / ".used", (now - 3600 * (4 - i), now - 3600 * (4 - i)))
    os.utime(made[3] / ".used", (now, now))
    assert prune(tmp_path, keep=2, now=now) == [made[1], made[0]]
    assert [f.exists() for f in made] == [False, False, True, True]
    os.utime(made[2] / ".used", (now - 60, now - 60))
    assert prune(tmp_path, keep=0, now=now) == []  # both used within the hour: kept


def test_a_temporary_variant_store_is_removed_when_dropped(three_countries):
    import gc

    from graph_loader.stores.embedded import store_for_graph

    store = store_for_graph(three_countries, "variant", temporary=True)
    folder = store.folder
    assert (folder / "db").exists()
    store.close()
    del store
    gc.collect()
    assert not folder.parent.exists()


@pytest.fixture()
def three_countries():
    """A graph small enough to build a store from in a fraction of a second."""
    import networkx as nx

    g = nx.MultiDiGraph()
    for iso3 in ("AUS", "JPN", "USA"):
        g.add_node(
            f"Country:{iso3}",
            label="Country",
            iso3=iso3,
            name=iso3,
            recipient=False,
            concern=False,
            partner=True,
            source="test",
        )
    return g


def test_a_reader_never_sees_a_half_built_store(tmp_path, three_countries):
    root, key = tmp_path / "cache", "k1"
    final = root / key
    seen, done = [], threading.Event()

    def reader():
        # open the store the moment it appears; it must already be complete
        while True:
            finished = done.is_set()
            if (final / "db").exists():
                store = EmbeddedStore(final)
                seen.append(store.query("MATCH (c:Country) RETURN count(c) AS n ORDER BY n")[1])
                store.close()
                return
            if finished:
                return
            time.sleep(0.001)

    def make_graph():
        assert not final.exists()  # nothing at the final path while building
        assert len(list(root.glob(f".{key}.*"))) == 1  # the build goes into one temporary folder
        return three_countries

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        assert ensure_built(key, make_graph, root=root) == final
    finally:
        done.set()
        watcher.join(30)
    assert seen == [[{"n": 3}]]
    assert sorted(p.name for p in root.iterdir()) == [key]  # no temporary folder left behind


def test_a_failed_build_leaves_nothing_behind(tmp_path, three_countries):
    root = tmp_path / "cache"
    broken = three_countries.copy()
    broken.add_node("Bogus:1", label="Bogus")  # write_store fails after creating the database
    with pytest.raises(KeyError):
        ensure_built("k2", lambda: broken, root=root)
    assert list(root.iterdir()) == []


def test_concurrent_builders_build_once(tmp_path, three_countries):
    root, calls, results = tmp_path / "cache", [], []
    gate = threading.Barrier(2)

    def make_graph():
        calls.append(1)
        time.sleep(0.2)
        return three_countries

    def build():
        gate.wait()
        results.append(ensure_built("k3", make_graph, root=root))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert calls == [1] and results == [root / "k3", root / "k3"]


# ======================================================================================= command line
def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "queries", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


@pytest.fixture(scope="module")
def real_gaps_2008(real) -> list[dict]:
    """coverage_gaps on the real data for 2008, as a user runs it (the store is already built by `real`)."""
    done = cli("run", "coverage_gaps", "--param", "year_from=2008", "--param", "year_to=2008", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_list_describes_every_query_with_params_and_returns(cache):
    done = cli("list", "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = {q["name"]: q for q in json.loads(done.stdout)}
    reg = load_registry()
    assert set(listed) == set(reg) and {
        "assignment_gaps",
        "country_profile",
        "coverage_gaps",
        "handover_risk",
        "meeting_participation",
        "partner_overlap",
        "risk_ranking",
        "role_compliance",
        "role_matrix",
        "schedule_conflicts",
        "ties_to_concern",
        "unmet_requests",
        "unreached_high_risk",
    } <= set(listed)
    for name, q in reg.items():
        assert listed[name]["returns"] == list(q.returns)
        assert [(p["name"], p["type"], p["default"], p["required"]) for p in listed[name]["params"]] == [
            (p.name, p.type, p.default, p.required) for p in q.params
        ]
    assert listed["coverage_gaps"]["params"][0] == {
        "name": "year_from",
        "type": "int",
        "default": 2008,
        "required": False,
        "help": "first year of the window",
    }


def test_cli_coverage_gaps_json_rows_have_exactly_the_header_columns(real_gaps_2008):
    columns = list(load_registry()["coverage_gaps"].returns)
    assert real_gaps_2008 and all(list(r) == columns for r in real_gaps_2008)


def test_cli_coverage_gaps_2008_name_the_category_1_countries_without_bilateral_talks(real_gaps_2008):
    # Annex I, category 1: Thailand, Philippines, Indonesia, Vietnam (High); Mongolia, Cambodia, Laos, Myanmar,
    # Brunei, Bangladesh, Sri Lanka (Low). Annex II's 2008 bilateral consultations: Chinese Taipei, Israel,
    # Malaysia, Singapore, Korea, Hong Kong, India, Viet Nam, Indonesia — of category 1 only VNM and IDN.
    bilateral = {g["iso3"] for g in real_gaps_2008 if g["tool"] == "bilateral_discussion"}
    assert bilateral == {"THA", "PHL", "MNG", "KHM", "LAO", "MMR", "BRN", "BGD", "LKA"}
    assert all(
        g["category"] == 1 and g["requirement"] == "primary"
        for g in real_gaps_2008
        if g["tool"] == "bilateral_discussion"
    )


def test_cli_coverage_gaps_2008_malaysia_lacks_legal_assistance(real_gaps_2008):
    # Annex I: Malaysia is category 2 (needs legal assistance, primary); no 2008 activity gives it
    (mys,) = [g for g in real_gaps_2008 if (g["iso3"], g["tool"]) == ("MYS", "legal_assistance")]
    assert (mys["category"], mys["requirement"], mys["assigned_partners"]) == (2, "primary", ["AUS", "USA"])


def test_cli_coverage_gaps_2008_spare_the_countries_of_the_2008_industry_seminars(real_gaps_2008):
    # Annex II, Industrial Outreach Seminar 2008: Chinese Taipei, India, Malaysia, Viet Nam, Korea, Indonesia, UAE.
    # Thailand and the Philippines had theirs in 2007: still a gap in 2008, one year uncovered.
    industry = {g["iso3"]: g for g in real_gaps_2008 if g["tool"] == "industry_seminar"}
    assert not {"TWN", "IND", "MYS", "VNM", "KOR", "IDN", "ARE"} & set(industry)
    for iso3 in ("THA", "PHL"):
        assert (industry[iso3]["last_covered"], industry[iso3]["years_uncovered"]) == (2007, 1)


def test_cli_coverage_gaps_priorities_use_the_2008_risk_and_tiers(real, real_gaps_2008):
    ranked = {g["iso3"]: g for g in rows(real, "risk_ranking", year=2008)}
    for g in real_gaps_2008:
        r = ranked[g["iso3"]]
        assert (g["risk_score"], g["risk_tier"], g["tier_source"]) == (
            approx(r["score"]),
            r["risk_tier"],
            r["tier_source"],
        )
        assert g["priority"] == pytest.approx(
            100 * TIER_POINTS[r["risk_tier"]]
            + 10 * (g["requirement"] == "primary")
            + g["years_uncovered"]
            + r["score"],
            abs=1e-8,
        )


def test_cli_csv_header_is_the_columns(real):
    done = cli("run", "coverage_gaps", "--param", "year_from=2008", "--param", "year_to=2008", "--format", "csv")
    assert done.returncode == 0, done.stderr
    table = list(csv.reader(io.StringIO(done.stdout)))
    assert table[0] == list(load_registry()["coverage_gaps"].returns)
    assert len(table) > 1


@pytest.mark.parametrize(
    "args, message",
    [
        (("run", "nope"), "error: unknown query 'nope' (try: python -m queries list)"),
        (
            ("run", "coverage_gaps", "--param", "nope=1"),
            "error: coverage_gaps: unknown parameter 'nope' (expected one of: year_from, year_to, min_priority, "
            "tier_source)",
        ),
        (("run", "coverage_gaps", "--param", "year_from=abc"), "error: parameter year_from: 'abc' is not a valid int"),
    ],
)
def test_cli_errors_exit_2_with_one_line_on_stderr(cache, args, message):
    done = cli(*args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message + "\n")


# ================================================================================ real data, end to end
def test_astop_vi_had_16_countries_and_the_iaea_and_indonesia_stayed_away(real):
    # cable 003, para 1–2: "Sixteen countries ... and the IAEA were represented"; "Indonesia had been invited,
    # but did not attend". Para 2 names 14 delegations at DAS/AS level plus China and Canada.
    got = rows(real, "meeting_participation", meeting_id="ASTOP-VI")
    attended = {g["participant"] for g in got if g["status"] == "attended" and g["participant_kind"] == "country"}
    assert attended == {
        "AUS",
        "BRN",
        "MMR",
        "KHM",
        "KOR",
        "LAO",
        "MYS",
        "NZL",
        "PHL",
        "SGP",
        "THA",
        "USA",
        "VNM",
        "JPN",
        "CHN",
        "CAN",
    }
    assert [(g["participant"], g["status"]) for g in got if g["participant_kind"] == "organisation"] == [
        ("IAEA", "attended")
    ]
    assert [g["participant"] for g in got if g["status"] == "invited_absent"] == ["IDN"]
    assert len(got) == 18 and {g["meeting_id"] for g in got} == {"ASTOP-VI"}


def test_handover_risk_names_shazryll_and_the_malaysian_commodity_training(real):
    # cable 003, para 23–24: Shazryll, the GoM point of contact, moves on "in the next six months" (from
    # December 2009: window 2009-12 to 2010-06, so he may leave now); a CIT was proposed for January 2010.
    assert [
        (g["contact_id"], g["name"], g["iso3"], g["months_left"], g["months_to_latest"], g["activities"])
        for g in rows(real, "handover_risk")
    ] == [("MYS-SHAZRYLL", "Shazryll bin Zahiran", "MYS", 0, 6, ["USA-2010-MYS-CIT"])]


def test_unmet_requests_include_the_philippine_cargo_equipment_request(real):
    # cable 003, para 6: the Philippines "noted the need for equipment and related training ... for cargo
    # identification"; para 24: Malaysia's complaint about donors flooding it is coordination, not a need.
    got = {g["request_id"]: g for g in rows(real, "unmet_requests")}
    phl = got["REQ-PHL-2009-CARGO-EQUIPMENT"]
    assert (phl["iso3"], phl["tool"], phl["meeting"], phl["year"], phl["month"]) == (
        "PHL",
        "equipment",
        "ASTOP-VI",
        2009,
        12,
    )
    assert "REQ-MYS-2009-DONOR-COORDINATION" not in got


# ================================================================= scale: the coverage queries on synthetic data
# The coverage queries were rewritten for world-scale data (50,000 activities): schedule_conflicts filters the
# window first and pairs only inside one (country, year, month) — it used to pair every two activities of a country
# and ran out of the store's memory; coverage_matrix, partner_overlap and assignment_gaps aggregate once per country
# and tool instead of per row. Their rows must be exactly those of the previous formulations, kept here as the
# reference (slow, and schedule_conflicts' unusable on large windows), and of a plain-Python reading of the graph.
PREVIOUS = {
    "schedule_conflicts": """
MATCH (pa:Country)-[:CONDUCTS]->(a:Activity)-[:TARGETS]->(c:Country)<-[:TARGETS]-(b:Activity)<-[:CONDUCTS]-(pb:Country)
MATCH (a)-[:USES]->(ta:Tool)
MATCH (b)-[:USES]->(tb:Tool)
WHERE a.activity_id < b.activity_id AND a.year = b.year AND a.month = b.month
  AND a.year >= $year_from AND a.year <= $year_to
  AND a.status <> 'cancelled' AND b.status <> 'cancelled'
RETURN c.iso3 AS iso3, c.name AS country, a.year AS year, a.month AS month,
       a.activity_id AS activity_a, pa.iso3 AS partner_a, ta.tool_id AS tool_a,
       b.activity_id AS activity_b, pb.iso3 AS partner_b, tb.tool_id AS tool_b,
       pa.iso3 = pb.iso3 AS same_partner
ORDER BY iso3, year, month, activity_a, activity_b""",
    "coverage_matrix": """
MATCH (c:Country), (t:Tool)
WHERE c.recipient = true
OPTIONAL MATCH (cat:Category)-[n:NEEDS]->(t)
WHERE cat.category = c.category
OPTIONAL MATCH (p:Country)-[:CONDUCTS]->(a:Activity)-[:TARGETS]->(c)
WHERE EXISTS { MATCH (a)-[:USES]->(t) } AND a.year >= $year_from AND a.year <= $year_to
  AND a.status IN ['held', 'planned'] AND coalesce(a.kind, 'outreach') = 'outreach'
WITH c, t, n, collect(DISTINCT p.iso3) AS partners, count(DISTINCT a) AS n_activities,
     collect(DISTINCT a.activity_id) AS activities, collect(DISTINCT a.status) AS held_planned,
     min(a.confidence) AS min_confidence, max(a.confidence) AS max_confidence
OPTIONAL MATCH (c)<-[:TARGETS]-(o:Activity)-[:USES]->(t)
WHERE o.year >= $year_from AND o.year <= $year_to AND o.status = 'proposed' AND coalesce(o.kind, 'outreach') = 'outreach'
WITH c, t, n, partners, n_activities, activities, held_planned, min_confidence, max_confidence,
     count(DISTINCT o) AS n_proposed
WHERE n IS NOT NULL OR n_activities > 0 OR n_proposed > 0
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, t.tool_id AS tool,
       n.requirement AS requirement,
       CASE WHEN n IS NOT NULL AND n_activities = 0 THEN 'gap'
            WHEN size(partners) > 1 OR n_activities > $max_activities THEN 'overlap'
            WHEN n IS NOT NULL AND max_confidence < $min_confidence THEN 'unconfirmed'
            WHEN n IS NOT NULL THEN 'delivered'
            WHEN n_activities > 0 THEN 'extra'
            ELSE 'proposed only' END AS cell,
       partners, n_activities, n_proposed, activities,
       held_planned + CASE WHEN n_proposed > 0 THEN ['proposed'] ELSE [] END AS statuses, min_confidence,
       CASE WHEN r IS NULL THEN c.risk_score ELSE r.score END AS risk_score,
       CASE WHEN $tier_source = 'assessment' AND (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END) IS NOT NULL
            THEN (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END)
            ELSE (CASE WHEN r IS NULL THEN c.risk_tier ELSE r.tier END) END AS risk_tier,
       CASE WHEN $tier_source = 'assessment' AND (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END) IS NOT NULL
            THEN 'analysts' ELSE 'model' END AS tier_source
ORDER BY coalesce(risk_score, -1.0) DESC, iso3, tool""",
    "partner_overlap": """
MATCH (p:Country)-[:CONDUCTS]->(a:Activity)-[:TARGETS]->(c:Country)
MATCH (a)-[:USES]->(t:Tool)
WHERE a.year >= $year_from AND a.year <= $year_to AND a.status IN ['held', 'planned', 'proposed']
WITH c, t, count(DISTINCT p) AS n_partners, count(DISTINCT a) AS n_activities,
     collect(DISTINCT p.iso3) AS partners, collect(DISTINCT a.activity_id) AS activities
WHERE n_partners > 1 OR n_activities > $max_activities
RETURN c.iso3 AS iso3, c.name AS country, t.tool_id AS tool, n_partners, n_activities, partners, activities
ORDER BY n_partners DESC, n_activities DESC, iso3, tool""",
    "assignment_gaps": """
MATCH (c:Country)
WHERE c.recipient = true AND c.category IS NOT NULL
MATCH (p:Country)-[s:ASSIGNED]->(t:Tool)
WHERE s.category = c.category
  AND NOT EXISTS {
    MATCH (p)-[:CONDUCTS]->(a:Activity)-[:TARGETS]->(c), (a)-[:USES]->(t)
    WHERE a.year >= $year_from AND a.year <= $year_to AND a.status IN ['held', 'planned']
      AND coalesce(a.kind, 'outreach') = 'outreach'
  }
OPTIONAL MATCH (cat:Category)-[n:NEEDS]->(t)
WHERE cat.category = c.category
WITH c, p, s, t, n
WHERE n IS NOT NULL OR $needed_only = false
OPTIONAL MATCH (o:Country)-[:CONDUCTS]->(b:Activity)-[:TARGETS]->(c)
WHERE EXISTS { MATCH (b)-[:USES]->(t) } AND b.year >= $year_from AND b.year <= $year_to
  AND b.status IN ['held', 'planned'] AND coalesce(b.kind, 'outreach') = 'outreach'
WITH c, p, s, t, n, collect(DISTINCT o.iso3) AS delivered_by
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, p.iso3 AS partner, t.tool_id AS tool,
       s.requirement AS assignment, n.requirement AS needed, delivered_by,
       CASE WHEN r IS NULL THEN c.risk_score ELSE r.score END AS risk_score,
       CASE WHEN $tier_source = 'assessment' AND (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END) IS NOT NULL
            THEN (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END)
            ELSE (CASE WHEN r IS NULL THEN c.risk_tier ELSE r.tier END) END AS risk_tier,
       CASE WHEN $tier_source = 'assessment' AND (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END) IS NOT NULL
            THEN 'analysts' ELSE 'model' END AS tier_source
ORDER BY coalesce(risk_score, -1.0) DESC, iso3, partner, tool""",
}

SCALE_PARAMS = {
    "schedule_conflicts": [
        {},
        {"year_from": 2000, "year_to": 2004},
        {"year_from": 2002, "year_to": 2003},
        {"year_from": 2009, "year_to": 2009},
    ],
    "coverage_matrix": [
        {},
        {"year_from": 2000, "year_to": 2004},
        {"year_from": 2001, "year_to": 2002, "max_activities": 0},
        {"year_from": 2003, "year_to": 2003, "max_activities": 5},
        {"year_from": 2002, "year_to": 2002, "min_confidence": 0.9},
    ],
    "partner_overlap": [
        {},
        {"year_from": 2000, "year_to": 2004},
        {"year_from": 2001, "year_to": 2002, "max_activities": 0},
        {"year_from": 2003, "year_to": 2003, "max_activities": 5},
    ],
    "assignment_gaps": [
        {},
        {"year_from": 2000, "year_to": 2004},
        {"year_from": 2002, "year_to": 2002, "needed_only": False},
        {"year_from": 2000, "year_to": 2004, "needed_only": False},
    ],
}


def synthetic(tmp_path_factory, name: str, *args: str):
    """A tools/synth.py folder (start year 2000), its graph and a runner on its store (session cache)."""
    from graph_loader.pipeline import load

    out = tmp_path_factory.mktemp(name) / "data"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "synth.py"), "--out", str(out), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return load(out)[0], Runner(data_dir=out)


@pytest.fixture(scope="module")
def synth_small(cache, tmp_path_factory):
    """30 countries, 5 years, 800 activities: small enough for the previous formulations."""
    return synthetic(
        tmp_path_factory, "synth-small", "--countries", "30", "--years", "5", "--activities", "800", "--seed", "11"
    )


@pytest.fixture(scope="module")
def synth_large(cache, tmp_path_factory):
    """60 countries, 10 years, 8,000 activities: the previous schedule_conflicts ran out of memory on its span."""
    return synthetic(
        tmp_path_factory, "synth-large", "--countries", "60", "--years", "10", "--activities", "8000", "--seed", "3"
    )


@pytest.mark.parametrize("name", sorted(PREVIOUS))
def test_rewritten_coverage_queries_give_the_rows_of_their_previous_formulations(synth_small, name):
    _, runner = synth_small
    compared = 0
    for params in SCALE_PARAMS[name]:
        now = runner.run(name, params)
        before = runner.run_text(PREVIOUS[name], runner.query(name).bind(params))
        assert now.columns == before.columns
        assert now.rows == before.rows, f"{name} {params}"
        compared += len(now.rows)
    assert compared > 20


def activities(g) -> list[dict]:
    """Every activity with its partners (CONDUCTS), tools (USES) and target countries (TARGETS), read off the graph."""
    out = []
    for n, d in g.nodes(data=True):
        if d["label"] == "Activity":
            out.append(
                dict(
                    d,
                    partners=[g.nodes[u]["iso3"] for u, _, e in g.in_edges(n, data=True) if e["type"] == "CONDUCTS"],
                    tools=[g.nodes[v]["tool_id"] for _, v, e in g.out_edges(n, data=True) if e["type"] == "USES"],
                    to=[g.nodes[v]["iso3"] for _, v, e in g.out_edges(n, data=True) if e["type"] == "TARGETS"],
                )
            )
    return out


def expected_conflicts(g, year_from: int, year_to: int) -> list[dict]:
    by_country = defaultdict(list)
    for a in activities(g):
        for c in a["to"]:
            by_country[c].append(a)
    rows = []
    for c, acts in by_country.items():
        for a in acts:
            if a["status"] == "cancelled" or a.get("month") is None or not year_from <= a["year"] <= year_to:
                continue
            for b in acts:
                if (
                    b["status"] != "cancelled"
                    and (b["year"], b.get("month")) == (a["year"], a["month"])
                    and a["activity_id"] < b["activity_id"]
                ):
                    rows += [
                        {
                            "iso3": c,
                            "country": g.nodes[f"Country:{c}"]["name"],
                            "year": a["year"],
                            "month": a["month"],
                            "activity_a": a["activity_id"],
                            "partner_a": pa,
                            "tool_a": ta,
                            "activity_b": b["activity_id"],
                            "partner_b": pb,
                            "tool_b": tb,
                            "same_partner": pa == pb,
                        }
                        for pa in a["partners"]
                        for ta in a["tools"]
                        for pb in b["partners"]
                        for tb in b["tools"]
                    ]
    return sorted(rows, key=lambda r: (r["iso3"], r["year"], r["month"], r["activity_a"], r["activity_b"]))


def expected_overlap(g, year_from: int, year_to: int, max_activities: int) -> list[dict]:
    groups = defaultdict(lambda: (set(), set()))
    for a in activities(g):
        if a["status"] in ("held", "planned", "proposed") and year_from <= a["year"] <= year_to:
            for c in a["to"]:
                for t in a["tools"]:
                    groups[(c, t)][0].update(a["partners"])
                    groups[(c, t)][1].add(a["activity_id"])
    rows = [
        {
            "iso3": c,
            "country": g.nodes[f"Country:{c}"]["name"],
            "tool": t,
            "n_partners": len(ps),
            "n_activities": len(ids),
            "partners": sorted(ps),
            "activities": sorted(ids),
        }
        for (c, t), (ps, ids) in groups.items()
        if len(ps) > 1 or len(ids) > max_activities
    ]
    return sorted(rows, key=lambda r: (-r["n_partners"], -r["n_activities"], r["iso3"], r["tool"]))


def test_schedule_conflicts_over_a_long_window_of_thousands_of_activities(synth_large):
    g, runner = synth_large
    years = sorted({d["year"] for _, d in g.nodes(data=True) if d["label"] == "Activity"})
    assert (years[0], years[-1]) == (2000, 2009) and sum(
        d["label"] == "Activity" for _, d in g.nodes(data=True)
    ) == 8000
    # (the previous formulation paired every two activities of a country before filtering and ran out of the
    # store's 512 MB buffer pool on this window)
    got = runner.run("schedule_conflicts", {"year_from": 2000, "year_to": 2020}).rows
    assert len(got) > 5000
    assert got == expected_conflicts(g, 2000, 2020)
    assert runner.run("schedule_conflicts", {"year_from": 2004, "year_to": 2005}).rows == expected_conflicts(
        g, 2004, 2005
    )
    assert runner.run("schedule_conflicts", {}).rows == expected_conflicts(g, 2008, 2008)


def test_partner_overlap_over_a_long_window_of_thousands_of_activities(synth_large):
    g, runner = synth_large
    for params in ({"year_from": 2000, "year_to": 2020}, {}, {"year_from": 2003, "year_to": 2004, "max_activities": 0}):
        p = runner.query("partner_overlap").bind(params)
        got = runner.run("partner_overlap", params).rows
        assert got and got == expected_overlap(g, p["year_from"], p["year_to"], p["max_activities"]), params


def test_sync_batch_size_and_workers_have_one_default_for_the_command_line_and_sync_graph():
    import inspect

    from graph_loader.cli import build_parser
    from graph_loader.stores import DEFAULT_BATCH, DEFAULT_WORKERS, neo4j_sync

    args = build_parser().parse_args(["sync"])
    assert args.batch_size == DEFAULT_BATCH == neo4j_sync.DEFAULT_BATCH == 10000
    assert args.workers == DEFAULT_WORKERS == neo4j_sync.DEFAULT_WORKERS == 2
    for f in (neo4j_sync.sync_graph, neo4j_sync.Syncer):
        assert inspect.signature(f).parameters["batch_size"].default == DEFAULT_BATCH
        assert inspect.signature(f).parameters["workers"].default == DEFAULT_WORKERS
    assert build_parser().parse_args(["sync", "--batch-size", "500", "--workers", "1"]).batch_size == 500


@pytest.mark.parametrize("flag", ["--batch-size", "--workers"])
@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_sync_refuses_a_batch_size_or_worker_count_below_one(flag, value, capsys):
    from graph_loader.cli import build_parser

    with pytest.raises(SystemExit) as e:
        build_parser().parse_args(["sync", flag, value])
    assert e.value.code == 2
    assert f"argument {flag}: expected a whole number of at least 1, got {value!r}" in capsys.readouterr().err


def test_nested_folds_consecutive_rows_by_from_node_then_to_node_and_keeps_every_row_in_order():
    from graph_loader.stores.neo4j_sync import nested

    rows = [
        {"f": f, "t": t, "p": {"i": i}}
        for i, (f, t) in enumerate([("A", "X"), ("A", "X"), ("A", "Y"), ("B", "X"), ("A", "X")])
    ]
    assert nested(rows) == [
        {"f": "A", "ts": [{"t": "X", "ps": [{"i": 0}, {"i": 1}]}, {"t": "Y", "ps": [{"i": 2}]}]},
        {"f": "B", "ts": [{"t": "X", "ps": [{"i": 3}]}]},
        {"f": "A", "ts": [{"t": "X", "ps": [{"i": 4}]}]},
    ]
    assert nested([]) == []


def test_result_lists_are_sorted_by_their_json_text_as_before():
    from graph_loader.stores.embedded import normalise

    odd = ["b", "a", "Ä", "ab", 'a"b', "a\\b", "中", "", "Z", "a b", "é", "\u2028", "\x7f", "😀"]
    assert normalise(odd) == sorted(odd, key=lambda x: json.dumps(x, sort_keys=True, default=str))
    assert normalise([10, 9, 2.5]) == [10, 2.5, 9]  # mixed: by JSON text, as always
    assert [normalise(v) for v in ("x", 3, True, None)] == ["x", 3, True, None]


def test_rows_from_any_other_store_are_normalised_by_the_runner(tiny):
    from decimal import Decimal

    class Plain:  # e.g. the Neo4j store: values as its driver gives them
        def query(self, text, params=None):
            return ["n", "xs", "f"], [{"n": Decimal(3), "xs": ["b", "a"], "f": 0.1 + 0.2}]

    assert Runner(store=Plain(), registry=tiny.registry).run_text("RETURN 1 AS n ORDER BY n").rows == [
        {"n": 3, "xs": ["a", "b"], "f": 0.3}
    ]
    assert EmbeddedStore.rows_normalised  # the embedded store normalises as it reads: not done twice
    assert tiny.run_text(
        "MATCH (c:Country) WHERE c.iso3 IN ['THA', 'MYS'] RETURN collect(c.iso3) AS xs, sum(c.category) AS n ORDER BY n"
    ).rows == [{"xs": ["MYS", "THA"], "n": 3}]
