"""Calibration against the analysts' judgement: how the model's tiers compare with the assessed High/Low, why they
differ, and a fit of the model's parameters to those judgements that is checked leaving one country out.

Labels: a recipient's assessed tier in year y is that of the assessment in force in y (risk.assessment_in); for a
year before its first assessment, the first assessment's when it is at most CARRY_BACK years later (Annex I is
a 2008 survey of the situation then, so it stands for 2007 too). A model tier of High counts as High; Medium and
Low count as Low (the analysts use two tiers).

Agreement per year: counts, Cohen's κ, the within-category AUC (risk.within_category_auc), a confusion table, and
each disagreement with the factor that drives it: the factor whose contribution to the country's risk differs
most from its mean contribution among the recipients the analysts put in the country's own tier.

Fit (`fit`): every factor-weight vector on a 0.05 grid with each weight ≥ 0.05 (969 vectors) times intention_share
0.25, 0.30, …, 0.60 — the tiers of each recipient in each year computed as rank_rows computes them (natural
breaks over all recipients' risk). The fitted model has the most (country, year) agreements; among equals, the
one nearest the hand-set model (sum of absolute weight differences + |Δ intention_share|), then the first in grid
order. Leave-one-country-out: for each labelled recipient, the fit is redone without its labels (its risk still
counts in the breaks) and predicts its tiers; the out-of-sample agreement is the share of those predictions that
match. No parameter is per country.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from .risk import (
    FACTORS,
    Model,
    RiskInputs,
    as_model,
    assessment_in,
    factor_table,
    natural_breaks,
    rank_rows,
    within_category_auc,
)

CARRY_BACK = 1  # years a first assessment may stand for before its date
CALIBRATION_YEARS = (2007, 2008, 2009)  # "the years around the proposal" (June 2008)
STEP = 0.05
SHARES = tuple(round(0.25 + 0.05 * k, 2) for k in range(8))


def labels(inp: RiskInputs, year: int) -> dict[str, str]:
    """{iso3: 'High' | 'Low'} of the recipients the analysts assessed for `year`."""
    out = {}
    for iso3, found in inp.assessments.items():
        if not inp.countries.get(iso3, {}).get("recipient"):
            continue
        now = assessment_in(inp, iso3, year)
        if now is None and found and int(found[0][0][:4]) - year <= CARRY_BACK:
            now = found[0]
        if now is not None and now[2]:
            out[iso3] = now[2]
    return out


def _binary(tier: str | None) -> str:
    return "High" if tier == "High" else "Low"


def kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's κ of (analysts, model) High/Low pairs; None when undefined (one class only, both sides)."""
    n = len(pairs)
    if not n:
        return None
    p_o = sum(a == m for a, m in pairs) / n
    p_e = sum((sum(a == c for a, _ in pairs) / n) * (sum(m == c for _, m in pairs) / n) for c in ("High", "Low"))
    return None if p_e == 1 else (p_o - p_e) / (1 - p_e)


def driver(row: dict, peers: list[dict]) -> tuple[str, float]:
    """(factor, difference): the factor whose risk contribution differs most from its mean among `peers`."""
    gaps = {}
    for f in FACTORS:
        mean = np.mean([p["contributions"][f] for p in peers]) if peers else 0.0
        gaps[f] = row["contributions"][f] - float(mean)
    f = max(gaps, key=lambda k: abs(gaps[k]))
    return f, gaps[f]


def year_report(inp: RiskInputs, year: int, model=None) -> dict:
    """Agreement of the model's tiers with the analysts' in one year (see the module docstring)."""
    model = as_model(model)
    rows = [r for r in rank_rows(inp, year, model) if r["recipient"] and r["score"] is not None]
    assessed = labels(inp, year)
    judged = [r for r in rows if r["iso3"] in assessed]
    pairs = [(assessed[r["iso3"]], _binary(r["tier"])) for r in judged]
    confusion = {
        a: {t: sum(1 for r in judged if assessed[r["iso3"]] == a and r["tier"] == t) for t in ("High", "Medium", "Low")}
        for a in ("High", "Low")
    }
    disagreements = []
    for r in judged:
        a = assessed[r["iso3"]]
        if a == _binary(r["tier"]):
            continue
        peers = [p for p in judged if assessed[p["iso3"]] == a and p is not r]
        f, gap = driver(r, peers)
        disagreements.append(
            {
                "iso3": r["iso3"],
                "name": r["name"],
                "assessed": a,
                "model": r["tier"],
                "driver": f,
                "difference": gap,
                "risk": r["score"],
                "exposure": r["exposure"],
                "weakness": r["weakness"],
                "why": (
                    f"{f} contributes {abs(gap):.3f} {'more' if gap > 0 else 'less'} to its risk than on average "
                    f"among the recipients the analysts rated {a} (risk {r['score']:.3f} = weakness "
                    f"{r['weakness']:.2f} × exposure {r['exposure']:.3f})"
                ),
            }
        )
    for_auc = [dict(r, assessed_tier=assessed.get(r["iso3"])) for r in rows]
    return {
        "year": year,
        "model": model.name,
        "n": len(pairs),
        "agree": sum(a == m for a, m in pairs),
        "kappa": kappa(pairs),
        "auc_within_category": within_category_auc(for_auc),
        "confusion": confusion,
        "disagreements": sorted(disagreements, key=lambda d: d["iso3"]),
    }


SUMMARY_COLUMNS = [
    "preset",
    "year",
    "agree",
    "kappa",
    "auc_within_category",
    "analysts High → model High/Medium/Low",
    "analysts Low → model High/Medium/Low",
]


def summary_rows(reports: list[dict]) -> list[dict]:
    """year_report results as one printable row each (SUMMARY_COLUMNS): counts as 'a/n', κ and AUC to two decimals,
    the confusion as 'High/Medium/Low' counts of the model for each of the analysts' tiers."""
    num = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
    split = lambda r, a: "/".join(str(r["confusion"][a][t]) for t in ("High", "Medium", "Low"))  # noqa: E731
    return [
        {
            "preset": r["model"],
            "year": r["year"],
            "agree": f"{r['agree']}/{r['n']}",
            "kappa": num(r["kappa"]),
            "auc_within_category": num(r["auc_within_category"]),
            "analysts High → model High/Medium/Low": split(r, "High"),
            "analysts Low → model High/Medium/Low": split(r, "Low"),
        }
        for r in reports
    ]


def report(inp: RiskInputs, years=CALIBRATION_YEARS, models=None) -> list[dict]:
    """year_report for every year and model (default: every preset)."""
    from .risk import presets

    models = list(models) if models is not None else list(presets().values())
    return [year_report(inp, y, m) for m in models for y in years]


# ------------------------------------------------------------------------------------------------------ fit
def grid() -> np.ndarray:
    """Every factor-weight vector on the STEP grid with each weight ≥ STEP, summing to 1 (rows)."""
    units = round(1 / STEP)
    return (
        np.array([w for w in itertools.product(range(1, units), repeat=len(FACTORS)) if sum(w) == units], dtype=float)
        / units
    )


class _Year:
    """One year's factor values of the recipients, for scoring many models at once."""

    def __init__(self, inp: RiskInputs, year: int):
        factors = factor_table(inp, year)
        base = {r["iso3"]: r for r in rank_rows(inp, year, None, factors)}  # the weakness notes, categories
        self.isos = [i for i in sorted(factors) if base[i]["recipient"] and base[i]["exposure"] is not None]
        values = np.array(
            [[factors[i][f].value if factors[i][f].value is not None else np.nan for f in FACTORS] for i in self.isos]
        )
        self.mask = (~np.isnan(values)).astype(float)
        self.values = np.nan_to_num(values)
        self.category = [base[i]["category"] for i in self.isos]
        assessed = labels(inp, year)
        self.label = np.array([assessed.get(i) == "High" for i in self.isos])
        self.labelled = np.array([i in assessed for i in self.isos])

    def highs(self, weights: np.ndarray, share: float) -> np.ndarray:
        """Per model (rows of `weights`) and recipient: does the model put it in the High tier?"""
        probe = Model({f: 1.0 for f in FACTORS}, share)
        weak = np.array([probe.weakness(c) if c is not None else 0.5 for c in self.category])
        risk = weak[:, None] * (self.values @ weights.T) / (self.mask @ weights.T)  # recipients × models
        out = np.empty_like(risk, dtype=bool)
        for k in range(risk.shape[1]):
            breaks = natural_breaks(list(risk[:, k]))
            out[:, k] = risk[:, k] > breaks[2]
        return out


def fit(inp: RiskInputs, years=CALIBRATION_YEARS, start: Model | None = None) -> dict:
    """The fitted model, its in-sample agreement and the leave-one-country-out check (module docstring)."""
    start = as_model(start)
    weights = grid()
    data = [_Year(inp, y) for y in years]
    isos = sorted({i for d in data for i, ok in zip(d.isos, d.labelled) if ok})
    candidates = [(w, s) for s in SHARES for w in weights]
    # hits[c, i]: agreements of candidate c on country i, over the years
    hits = np.zeros((len(candidates), len(isos)), dtype=int)
    for d in data:
        cols = [isos.index(i) for i, ok in zip(d.isos, d.labelled) if ok]
        rows = np.flatnonzero(d.labelled)
        for s_index, share in enumerate(SHARES):
            high = d.highs(weights, share)  # recipients × weight vectors
            agree = (high[rows] == d.label[rows, None]).T.astype(int)  # weight vectors × labelled recipients
            hits[s_index * len(weights) : (s_index + 1) * len(weights)][:, cols] += agree
    hand = np.array([start.weights[f] for f in FACTORS]) / sum(start.weights.values())
    distance = np.array([np.abs(w - hand).sum() + abs(s - start.intention_share) for w, s in candidates])

    def best(columns: np.ndarray) -> int:
        total = hits[:, columns].sum(axis=1)
        top = np.flatnonzero(total == total.max())
        return int(top[np.argmin(distance[top])])  # argmin keeps the first in grid order among equals

    everyone = np.arange(len(isos))
    chosen = best(everyone)
    out_of_sample = []
    for k, iso3 in enumerate(isos):
        c = best(everyone[everyone != k])
        out_of_sample.append(
            {
                "iso3": iso3,
                "agree": int(hits[c, k]),
                "of": int(_count(data, iso3)),
                "model": _model(candidates[c], start),
            }
        )
    w, s = candidates[chosen]
    n = sum(int(d.labelled.sum()) for d in data)
    return {
        "model": _model((w, s), start, "fitted-annex-i"),
        "years": list(years),
        "agree": int(hits[chosen].sum()),
        "of": n,
        "loo_agree": sum(o["agree"] for o in out_of_sample),
        "loo_of": n,
        "loo": out_of_sample,
        "candidates": len(candidates),
    }


def _count(data: list[_Year], iso3: str) -> int:
    return sum(1 for d in data for i, ok in zip(d.isos, d.labelled) if ok and i == iso3)


def _model(candidate, start: Model, name: str = "loo") -> Model:
    w, s = candidate
    return replace(
        start, weights={f: round(float(x), 2) for f, x in zip(FACTORS, w)}, intention_share=float(s), name=name, why=""
    )
