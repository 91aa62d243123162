"""What-if planning: planned activities go into a copy, get a stable store key, and change the coverage
queries' answer on the variant store (the Coverage page's what-if mode)."""

from __future__ import annotations

import pytest

from graph_loader import whatif

PLAN = [{"partner": "USA", "target": "MYS", "tool": "legal_assistance", "year": 2008, "month": 10}]


def test_planned_activities_are_added_to_a_copy(tiny_graph):
    n, m = tiny_graph.number_of_nodes(), tiny_graph.number_of_edges()
    h = whatif.with_planned(tiny_graph, PLAN)
    aid = "Activity:" + whatif.activity_id(0, whatif.planned(PLAN[0]))
    assert h.nodes[aid]["status"] == "planned" and h.nodes[aid]["month"] == 10
    assert h.nodes[aid]["source"] == whatif.WHATIF_SOURCE
    assert sorted(d["type"] for *_, d in h.in_edges(aid, data=True)) == ["CONDUCTS"]
    assert sorted((v, d["type"]) for _, v, d in h.out_edges(aid, data=True)) == [
        ("Country:MYS", "TARGETS"),
        ("Tool:legal_assistance", "USES"),
    ]
    assert (tiny_graph.number_of_nodes(), tiny_graph.number_of_edges()) == (n, m)
    assert h.number_of_nodes() == n + 1 and h.number_of_edges() == m + 3


@pytest.mark.parametrize(
    "bad, why",
    [
        ({"partner": "THA", "target": "MYS", "tool": "legal_assistance", "year": 2008}, "not a partner"),
        ({"partner": "USA", "target": "XXX", "tool": "legal_assistance", "year": 2008}, "not a country"),
        ({"partner": "USA", "target": "MYS", "tool": "nope", "year": 2008}, "not a tool"),
        ({"partner": "USA", "target": "MYS", "tool": "legal_assistance", "year": 2008, "month": 13}, "not 1–12"),
        ({"partner": "USA", "target": "MYS", "tool": "legal_assistance"}, "needs year"),
    ],
)
def test_bad_plans_are_refused_with_a_clear_message(tiny_graph, bad, why):
    with pytest.raises(whatif.WhatIfError, match=why):
        whatif.with_planned(tiny_graph, [bad])


def test_variant_key_is_stable_and_changes_with_the_plan(tiny_graph):
    base = whatif.graph_fingerprint(tiny_graph)
    assert base == whatif.graph_fingerprint(tiny_graph.copy())
    k1 = whatif.variant_key(base, PLAN)
    assert k1 == whatif.variant_key(base, [dict(PLAN[0], partner="usa")])  # normalised
    assert k1 != whatif.variant_key(base, [dict(PLAN[0], year=2009)])
    assert k1 != whatif.variant_key("other-base", PLAN)


def test_coverage_recomputes_on_the_variant_store(tiny_graph, tmp_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_CACHE", str(tmp_path))
    from graph_loader.stores.embedded import store_for_graph
    from queries import Runner

    window = {"year_from": 2008, "year_to": 2008}
    gaps = lambda g, key: {
        (r["iso3"], r["tool"]) for r in Runner(store=store_for_graph(g, key)).run("coverage_gaps", window).rows
    }
    before = gaps(tiny_graph, "base-" + whatif.graph_fingerprint(tiny_graph))
    assert ("MYS", "legal_assistance") in before
    variant = whatif.with_planned(tiny_graph, PLAN)
    after = gaps(variant, whatif.variant_key(whatif.graph_fingerprint(tiny_graph), PLAN))
    assert after == before - {("MYS", "legal_assistance")}


def test_a_variant_made_from_the_base_store_answers_as_one_built_from_the_variant_graph(
    tiny_graph, tmp_path, monkeypatch
):
    monkeypatch.setenv("OUTREACH_CACHE", str(tmp_path))
    from graph_loader.stores.embedded import store_for_graph, store_with_additions
    from queries import Runner

    plan = PLAN + [{"partner": "JPN", "target": "THA", "tool": "officer_training", "year": 2008}]
    base = store_for_graph(tiny_graph, "base-" + whatif.graph_fingerprint(tiny_graph))
    rebuilt = store_for_graph(whatif.with_planned(tiny_graph, plan), "rebuilt")
    nodes, edges = whatif.additions(tiny_graph, plan)
    copied = store_with_additions(base.folder, "copied", tiny_graph, nodes, edges)
    window = {"year_from": 2008, "year_to": 2008}
    for name, params in [("coverage_gaps", window), ("coverage_matrix", window), ("partner_overlap", window)]:
        assert Runner(store=copied).run(name, params).rows == Runner(store=rebuilt).run(name, params).rows, name
    count = "MATCH (a:Activity) OPTIONAL MATCH (a)-[r]-() RETURN count(DISTINCT a) AS a, count(r) AS r"
    assert copied.query(count)[1] == rebuilt.query(count)[1]
    assert base.query(count)[1] != copied.query(count)[1]  # the base store itself is untouched
