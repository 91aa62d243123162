"""The ties view: strengths of the tie kinds between two countries, their weighted sum, and the strongest path —
the one whose product of strengths is largest, not the one with the fewest hops."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from graph_loader import risk
from graph_loader import ties_view as tv


def test_a_pair_s_strength_is_the_weighted_sum_of_its_kinds():
    assert tv.strength({"trade": 1.0}) == pytest.approx(0.40)
    assert tv.strength({"trade": 0.5, "border": 1.0, "language": 1.0}) == pytest.approx(0.2 + 0.2 + 0.075)
    assert tv.strength({k: 1.0 for k in tv.WEIGHTS}) == pytest.approx(1.0)


def test_the_strongest_path_beats_the_shortest_one():
    g = nx.Graph()
    for a, b, s in (("A", "Z", 0.05), ("A", "H", 0.6), ("H", "Z", 0.7)):
        g.add_edge(a, b, strength=s, kinds={"trade": s}, cost=-math.log(s))
    assert nx.shortest_path(g, "A", "Z") == ["A", "Z"]  # one hop, strength 0.05
    assert tv.strongest_path(g, "A", "Z") == ["A", "H", "Z"]  # 0.6 × 0.7 = 0.42
    assert tv.strongest_path(g, "A", "nowhere") is None


def test_tiny_ties_read_the_year_s_trade_and_borders(tiny_graph):
    inp = risk.risk_inputs(tiny_graph)
    ties = tv.tie_strengths(inp, 2008, {"THA", "MYS", "CHN", "PRK", "LAO", "SGP"})
    # THA↔CHN: IMF 100 + 100 USD mn in 2008 → volume (log10 200 − 2)/(log10 300 000 − 2)
    assert ties[risk.pair("THA", "CHN")]["trade"] == pytest.approx(risk.volume_n(200.0))
    assert ties[risk.pair("LAO", "CHN")]["border"] == 1.0  # a land border in force
    g = tv.ties_graph(inp, 2008, {"THA", "MYS", "CHN", "PRK", "LAO", "SGP"}, min_strength=0.15)
    assert all(d["strength"] >= 0.15 for *_, d in g.edges(data=True))
    data = tv.view_data(g, {}, {"CHN": "concern", "PRK": "concern"})
    assert {n["id"] for n in data["nodes"]} == {n for n in g.nodes if g.degree(n)}
