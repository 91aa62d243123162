"""Calibration against the analysts' judgement: agreement per year, the factor behind each disagreement, and the
fitted preset — reproducible from the data and checked leaving one country out."""

from __future__ import annotations

import pytest

from graph_loader import calibration, risk


@pytest.fixture(scope="module")
def tiny_inp(tiny_graph):
    return risk.risk_inputs(tiny_graph)


@pytest.fixture(scope="module")
def real_inp(real_graph):
    return risk.risk_inputs(real_graph)


def test_labels_are_the_assessment_in_force_or_the_first_one_a_year_ahead(tiny_inp):
    assert calibration.labels(tiny_inp, 2008) == {"THA": "High", "MYS": "Low", "SGP": "Low", "CHN": "Low"}
    assert calibration.labels(tiny_inp, 2007) == calibration.labels(tiny_inp, 2008)  # carried back one year
    assert calibration.labels(tiny_inp, 2006) == {}


def test_kappa_is_agreement_beyond_chance():
    assert calibration.kappa([("High", "High"), ("Low", "Low")]) == 1.0
    # p_o = 0.5; p_e = 0.5·0.5 + 0.5·0.5 = 0.5 → 0
    assert calibration.kappa([("High", "High"), ("Low", "High"), ("High", "Low"), ("Low", "Low")]) == 0.0
    assert calibration.kappa([("Low", "Low")]) is None
    assert calibration.kappa([]) is None


def test_a_year_report_counts_the_confusion_and_explains_each_disagreement(tiny_inp):
    rep = calibration.year_report(tiny_inp, 2008, risk.load_model())
    # model tiers (test_risk): THA High, MYS High, CHN High, LAO Medium, SGP Low; analysts THA High, others Low
    assert (rep["n"], rep["agree"]) == (4, 2)
    assert rep["confusion"] == {"High": {"High": 1, "Medium": 0, "Low": 0}, "Low": {"High": 2, "Medium": 0, "Low": 1}}
    assert [(d["iso3"], d["assessed"], d["model"]) for d in rep["disagreements"]] == [
        ("CHN", "Low", "High"),
        ("MYS", "Low", "High"),
    ]
    mys = rep["disagreements"][1]
    # against the analysts' other Low recipients (CHN, SGP): MYS's technology contribution stands out most
    peers = [r for r in risk.rank_rows(tiny_inp, 2008) if r["iso3"] in ("CHN", "SGP")]
    row = next(r for r in risk.rank_rows(tiny_inp, 2008) if r["iso3"] == "MYS")
    assert calibration.driver(row, peers) == (mys["driver"], pytest.approx(mys["difference"]))
    assert mys["why"].startswith(f"{mys['driver']} contributes ")


def test_the_hand_set_model_agrees_with_annex_i_on_18_of_20_and_says_why_not_the_other_two(real_inp):
    for year in calibration.CALIBRATION_YEARS:
        rep = calibration.year_report(real_inp, year, risk.load_model("hand-set"))
        assert (rep["agree"], rep["n"]) == (18, 20), year
        assert rep["auc_within_category"] == 1.0
        assert [(d["iso3"], d["model"], d["driver"]) for d in rep["disagreements"]] == [
            ("MNG", "High", "trade"),
            ("MYS", "High", "technology"),
        ], year


def test_the_fitted_preset_agrees_with_annex_i_in_every_year_around_the_proposal(real_inp):
    for year in calibration.CALIBRATION_YEARS:
        rep = calibration.year_report(real_inp, year, risk.load_model("fitted-annex-i"))
        assert (rep["agree"], rep["n"], rep["kappa"], rep["disagreements"]) == (20, 20, 1.0, []), year


def test_the_shipped_fitted_preset_is_what_the_fit_finds_and_is_checked_leaving_one_country_out(real_inp):
    got = calibration.fit(real_inp, start=risk.load_model("hand-set"))
    shipped = risk.load_model("fitted-annex-i")
    assert got["model"].weights == shipped.weights
    assert got["model"].intention_share == shipped.intention_share
    assert (got["agree"], got["of"]) == (60, 60)
    assert (got["loo_agree"], got["loo_of"]) == (54, 60)
    assert sorted(o["iso3"] for o in got["loo"] if o["agree"] < o["of"]) == ["MNG", "MYS"]


def test_the_fit_scores_tiers_exactly_as_rank_rows_does(real_inp):
    model = risk.load_model("fitted-annex-i")
    year = calibration._Year(real_inp, 2008)
    import numpy as np

    weights = np.array([[model.weights[f] for f in risk.FACTORS]])
    high = year.highs(weights, model.intention_share)[:, 0]
    tiers = {r["iso3"]: r["tier"] for r in risk.rank_rows(real_inp, 2008, model)}
    assert {i: bool(h) for i, h in zip(year.isos, high)} == {i: tiers[i] == "High" for i in year.isos}
