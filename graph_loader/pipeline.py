"""The one way to get a graph: validate data/, build the graph, score risk onto it."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from .build import build_graph
from .risk import write_scores
from .schema import load_schema
from .validate import Dataset, validate

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "data"


def load(
    data_dir: Path | str | None = None, weights=None, risk_year: int | None = None
) -> tuple[nx.MultiDiGraph, Dataset]:
    """Validated, built and risk-scored graph of a data folder (raises DataError; never returns a partial graph).
    `weights`: the risk model — a risk.Model, a dict of factor weights, or None for the default preset."""
    ds = validate(Path(data_dir) if data_dir else DEFAULT_DATA, load_schema())
    g = build_graph(ds)
    g.graph["risk_year"] = write_scores(g, weights, risk_year)
    g.graph["data_dir"] = str(ds.root)
    return g, ds
