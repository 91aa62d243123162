"""The annual review: a recipient is due when its last assessment is over a year old or outreach was held since it,
and those activities' results are listed beside it."""

from __future__ import annotations

from datetime import date

from graph_loader import review


def test_the_tiny_recipients_are_due_a_year_after_their_2008_assessment(tiny_graph):
    rows = {r["iso3"]: r for r in review.review(tiny_graph, date(2008, 12, 31))}
    assert rows["LAO"]["due"] == "never assessed"
    # assessed 2008-06-20; THA's A5 and MYS's A7 were held after it: results to weigh; CHN and SGP are not due yet
    assert {i: [a["activity_id"] for a in r["held_since"]] for i, r in rows.items()} == {
        "LAO": [],
        "MYS": ["A7"],
        "THA": ["A5"],
        "CHN": [],
        "SGP": [],
    }
    assert rows["THA"]["due"] == "1 activities held since, with results to weigh" and rows["CHN"]["due"] == ""
    later = {r["iso3"]: r for r in review.review(tiny_graph, date(2009, 12, 31))}
    assert later["SGP"]["due"].startswith("last assessed 1 year(s)")
    assert later["SGP"]["age_days"] == (date(2009, 12, 31) - date(2008, 6, 20)).days


def test_due_countries_come_first(tiny_graph):
    rows = review.review(tiny_graph, date(2009, 12, 31))
    flags = [bool(r["due"]) for r in rows]
    assert flags == sorted(flags, reverse=True)


def test_the_real_2008_assessments_are_due_by_the_end_of_2009(real_graph):
    rows = review.review(real_graph, date(2009, 12, 31))
    annex = [r for r in rows if r["assessed_on"] == "2008-06-20"]
    assert len(annex) == 20 and all("last assessed 1 year(s)" in r["due"] for r in annex)
    mys = next(r for r in rows if r["iso3"] == "MYS")
    assert "USA-2009-MYS-EXBS" in {a["activity_id"] for a in mys["held_since"]}


def test_outreach_that_builds_the_missing_element_says_the_category_may_have_changed(tiny_copy):
    from graph_loader.pipeline import load

    with (tiny_copy / "activities.csv").open("a", encoding="utf-8") as f:  # MYS is category 2: it lacks laws
        f.write(
            "A10,Legal assistance Malaysia,USA,MYS,legal_assistance,,,held,2008,10,,,1,Draft law reviewed,fixture,"
            "outreach\n"
        )
    g, _ = load(tiny_copy, risk_year=2008)
    mys = next(r for r in review.review(g, date(2008, 12, 31)) if r["iso3"] == "MYS")
    assert mys["due"].endswith(
        "legal_assistance held since builds laws, the element its category 2 lacks: the category may have changed"
    )
    assert {a["activity_id"]: a["result"] for a in mys["held_since"]}["A10"] == "Draft law reviewed"
