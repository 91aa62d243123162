"""What a statement, an activity and a leaving date may be taken to mean ("Answers an analyst can trust"):
only requests are needs, offers are matched to requests of the same tool, diplomatic contacts are not outreach,
low-confidence plans do not confirm a cell, and a leaving window is caught by any overlapping look-ahead.

Tiny-fixture cases edit a copy of tests/fixtures/tiny (see tests/test_queries.py for the fixture in one
paragraph); the end-to-end cases read data/ and can be checked against seed 003 (TOKYO 000153, ASTOP-VI).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from queries.runner import Runner

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data"


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    """A private store cache for this module (set before any store is opened)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("OUTREACH_CACHE", str(tmp_path_factory.mktemp("statements-cache")))
    yield
    mp.undo()


def append(path: Path, *lines: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "".join(line + "\n" for line in lines), encoding="utf-8")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def rows(data: Path, name: str, **params) -> list[dict]:
    return Runner(data_dir=data).run(name, params).rows


# ------------------------------------------------------------------------------------------- statements
def test_only_requests_count_as_unmet_needs(tiny_copy):
    # R1 THA equipment request (unmet), R3 MYS coordination (not a need); a question, a position and a proposal
    # about equipment are not needs either, even with a tool
    append(
        tiny_copy / "requests.csv",
        "Q1,THA,M1,equipment,question,Who bears liability?,2009,12,1,,fixture,",
        "P1,MYS,M1,,position,The AP brings no benefit,2009,12,1,,fixture,",
        "P2,SGP,M1,equipment,proposal,Share inspection costs,2009,12,1,,fixture,",
    )
    got = rows(tiny_copy, "unmet_requests")
    assert [(g["request_id"], g["kind"]) for g in got] == [("R1", "request")]


def test_an_offer_by_a_partner_matches_a_request_of_the_same_tool(tiny_copy):
    # R1: THA asks for equipment (2009-12). O1 USA offers equipment (2009) → matches. O2 USA offers legal
    # assistance (another tool), O3 THA (not a partner) offers equipment, O4 USA offered equipment in 2008
    # (before the request's year) → none of them match.
    append(tiny_copy / "contacts.csv", "C3,US offerer,Manager,NNSA,USA,,M1,true,,,,fixture,,")
    append(
        tiny_copy / "requests.csv",
        "O1,USA,M1,equipment,offer,Technical assistance as necessary,2009,12,1,,fixture,C3",
        "O2,USA,M1,legal_assistance,offer,Legal help,2009,12,1,,fixture,C3",
        "O3,THA,M1,equipment,offer,Thai equipment,2009,12,1,,fixture,",
        "O4,USA,,equipment,offer,An older offer,2008,1,1,,fixture,",
    )
    got = rows(tiny_copy, "unmet_requests")
    assert [(g["request_id"], g["matching_offers"]) for g in got] == [("R1", ["O1"])]
    # offers are statements, not needs: they are never listed themselves
    assert rows(tiny_copy, "unmet_requests", as_of_year=2008)[0]["matching_offers"] == []  # O1 is after 2008


# ------------------------------------------------------------------------------------ diplomatic contacts
def test_diplomatic_contacts_neither_cover_a_gap_nor_make_an_overlap(tiny_copy):
    # THA (category 1) needs bilateral discussion; A11 is a USA lunch with THA (diplomatic contact) → still a gap.
    # A10 is a USA talk on industry seminars with THA, where JPN held A1 → no JPN+USA overlap.
    append(
        tiny_copy / "activities.csv",
        "A10,Margin talk Thailand,USA,THA,industry_seminar,,M1,held,2008,7,,,1,,fixture,diplomatic_contact",
        "A11,Lunch Thailand,USA,THA,bilateral_discussion,,M1,held,2008,7,,,1,,fixture,diplomatic_contact",
    )
    matrix = {(g["iso3"], g["tool"]): g for g in rows(tiny_copy, "coverage_matrix")}
    assert (matrix[("THA", "bilateral_discussion")]["cell"], matrix[("THA", "bilateral_discussion")]["activities"]) == (
        "gap",
        [],
    )
    seminar = matrix[("THA", "industry_seminar")]
    assert (seminar["cell"], seminar["partners"], seminar["activities"]) == ("delivered", ["JPN"], ["A1"])
    overlap = {(g["iso3"], g["tool"]): g["activities"] for g in rows(tiny_copy, "partner_overlap", max_activities=0)}
    assert overlap[("THA", "industry_seminar")] == ["A1"] and ("THA", "bilateral_discussion") not in overlap
    # the same rows as outreach would overlap and cover
    replace(
        tiny_copy / "activities.csv", "2008,7,,,1,,fixture,diplomatic_contact\nA11", "2008,7,,,1,,fixture,outreach\nA11"
    )
    assert [g["partners"] for g in rows(tiny_copy, "partner_overlap") if g["iso3"] == "THA"] == [["JPN", "USA"]]


# ------------------------------------------------------------------------------------------- confidence
def test_a_cell_resting_only_on_low_confidence_activities_is_unconfirmed(tiny_copy):
    # A1 (JPN industry seminar, THA, held 2008-03) read at confidence 0.7, like an Annex II item
    replace(
        tiny_copy / "activities.csv",
        "held,2008,3,,,1,,fixture,outreach\nA2,",
        "held,2008,3,,,0.7,,fixture,outreach\nA2,",
    )
    cell = {(g["iso3"], g["tool"]): g for g in rows(tiny_copy, "coverage_matrix", min_confidence=0.75)}
    tha = cell[("THA", "industry_seminar")]
    assert (tha["cell"], tha["statuses"], tha["min_confidence"], tha["activities"]) == (
        "unconfirmed",
        ["held"],
        0.7,
        ["A1"],
    )
    # MYS industry seminar (A4 at 1.0) stays delivered; the default threshold 0 keeps today's cells
    assert cell[("MYS", "industry_seminar")]["cell"] == "delivered"
    default = {(g["iso3"], g["tool"]): g for g in rows(tiny_copy, "coverage_matrix")}
    assert default[("THA", "industry_seminar")]["cell"] == "delivered"
    # statuses show what a cell rests on: MYS officer training = held (A2, A7) + planned (A3)
    assert default[("MYS", "officer_training")]["statuses"] == ["held", "planned"]


# -------------------------------------------------------------------------------------------- handover
def test_the_handover_window_catches_a_contact_whose_earliest_leaving_month_is_within_three_months(tiny_copy):
    # C1 may leave from 2010-02 to 2010-06; an AUS training is planned in MYS in 2010-03.
    replace(tiny_copy / "contacts.csv", "MYS,,M1,true,2009,6,,fixture,2009,6", "MYS,,M1,true,2010,6,,fixture,2010,2")
    append(
        tiny_copy / "activities.csv",
        "A12,Officer training Malaysia (AU 2010),AUS,MYS,officer_training,,,planned,2010,3,,,1,,fixture,outreach",
    )
    got = rows(tiny_copy, "handover_risk", as_of_year=2009, as_of_month=12, months=3)
    assert [(g["contact_id"], g["months_left"], g["months_to_latest"], g["activities"]) for g in got] == [
        ("C1", 2, 6, ["A12"])
    ]
    # a 1-month look-ahead ends before the window starts; once the window has passed, nothing
    assert rows(tiny_copy, "handover_risk", as_of_year=2009, as_of_month=12, months=1) == []
    assert rows(tiny_copy, "handover_risk", as_of_year=2010, as_of_month=7, months=12) == []
    # a window without a start (earliest unknown) may end any month up to its end: caught at once
    replace(tiny_copy / "contacts.csv", "fixture,2010,2", "fixture,,")
    assert [g["months_left"] for g in rows(tiny_copy, "handover_risk", as_of_year=2009, as_of_month=12, months=1)] == [
        0
    ]


# ------------------------------------------------------------------------------------ the real data (003)
@pytest.fixture(scope="module")
def real() -> Runner:
    return Runner(data_dir=REAL)


def test_lunch_and_margin_talks_make_no_usa_jpn_overlap_in_viet_nam(real):
    # para 21 (margin talk on the NAM) and para 22 (lunch) are diplomatic contacts, not outreach
    for window in ({"year_from": 2008, "year_to": 2009}, {"year_from": 2009, "year_to": 2009}):
        assert [g for g in real.run("partner_overlap", window).rows if g["iso3"] == "VNM"] == []
        vnm = {g["tool"]: g for g in real.run("coverage_matrix", window).rows if g["iso3"] == "VNM"}
        assert "USA" not in vnm["bilateral_discussion"]["partners"]
        assert "USA-2009-VNM-ASTOP" not in vnm["bilateral_discussion"]["activities"]
    mys = {
        g["tool"]: g
        for g in real.run("coverage_matrix", {"year_from": 2009, "year_to": 2009}).rows
        if g["iso3"] == "MYS"
    }
    assert mys["bilateral_discussion"]["activities"] == ["USA-2009-MYS-EXBS"]  # para 23: EXBS talk is outreach
    # the lunch and the EXBS talk on the same day are no schedule conflict
    assert real.run("schedule_conflicts", {"year_from": 2009, "year_to": 2009}).rows == []


def test_shazryll_is_flagged_by_a_three_month_look_ahead_from_december_2009(real):
    # para 24: "moving on to a new assignment in the next six months" (said 2009-12-11): window 2009-12..2010-06
    got = real.run("handover_risk", {"as_of_year": 2009, "as_of_month": 12, "months": 3}).rows
    assert [
        (
            g["contact_id"],
            g["leaving_from_year"],
            g["leaving_from_month"],
            g["leaving_year"],
            g["leaving_month"],
            g["months_left"],
        )
        for g in got
    ] == [("MYS-SHAZRYLL", 2009, 12, 2010, 6, 0)]


def test_unmet_requests_of_2009_contain_no_questions_positions_or_offers(real):
    got = [g for g in real.run("unmet_requests", {}).rows if g["year"] == 2009]
    assert got and {g["kind"] for g in got} == {"request"}
    ids = {g["request_id"] for g in got}
    assert not ids & {
        "REQ-THA-2009-INSPECTION-LIABILITY",
        "REQ-MYS-2009-SEIZURE-PRACTICE",
        "REQ-KOR-2009-PYROPROCESSING",
        "REQ-THA-2009-AP-INCENTIVES",
        "REQ-THA-2009-1540-CAPACITY",
    }
    # para 14: Viet Nam's regulator need is a request, but under no export-control tool
    assert [g["tool"] for g in got if g["request_id"] == "REQ-VNM-2009-REGULATOR"] == [None]
