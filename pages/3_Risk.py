"""Risk: the diversion-risk score per country for a year, with adjustable factor weights, the factor
contributions, missing-data flags, the ±25 % sensitivity and agreement with the analysts' own tiers.
All numbers come from graph_loader.risk (pure functions; its docstring states every formula)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import altair as alt  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from graph_loader import risk  # noqa: E402
from graph_loader.errors import ConfigError  # noqa: E402
from graph_loader.schema import load_schema  # noqa: E402
from ui import render, state  # noqa: E402

render.setup("Risk")
st.title("Risk")
state.backend_sidebar()
ch = state.choices()
TIER_COLORS = load_schema().styles.get("tier_colors", {})


@st.cache_resource(show_spinner=False)
def inputs():
    return risk.risk_inputs(state.graph()[0])


@st.cache_data(show_spinner=False, max_entries=64)
def ranked(year: int, weights: tuple) -> list[dict]:
    """risk.rank_rows for (year, weights) — cached by both."""
    return risk.rank_rows(inputs(), year, dict(weights))


@st.cache_data(show_spinner=False, max_entries=16)
def sensitivity(year: int, weights: tuple) -> list[dict]:
    return risk.sensitivity(inputs(), year, dict(weights))


def weight_widgets() -> dict[str, float]:
    defaults, why = risk.load_weights(), risk.weight_reasons()
    st.sidebar.header("Factor weights")
    st.sidebar.caption("Relative weights: score = Σ w·factor / Σ w over the factors with data.")
    return {f: st.sidebar.slider(f.capitalize(), 0.0, 1.0, float(defaults[f]), 0.05, key=f"w_{f}", help=why[f])
            for f in risk.FACTORS}


def ranking_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"rank": i + 1, "iso3": r["iso3"], "country": r["name"],
                          "category": "" if r["category"] is None else str(r["category"]),
                          "recipient": r["recipient"], "score": r["score"], "tier": r["tier"],
                          "analysts' tier": r["assessed_tier"], **r["contributions"],
                          "missing data": "; ".join(r["missing"])} for i, r in enumerate(rows)])


def contributions_chart(rows: list[dict]) -> alt.Chart:
    data = pd.DataFrame([{"country": f"{r['name']} ({r['iso3']})", "factor": f, "stack": i,
                          "contribution": r["contributions"][f], "score": r["score"]}
                         for r in rows if r["score"] is not None for i, f in enumerate(risk.FACTORS)])
    order = [f"{r['name']} ({r['iso3']})" for r in rows if r["score"] is not None]
    return (alt.Chart(data).mark_bar()
            .encode(y=alt.Y("country:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)),
                    x=alt.X("sum(contribution):Q", title="score"),
                    color=alt.Color("factor:N", sort=list(risk.FACTORS)), order=alt.Order("stack:Q"),
                    tooltip=["country", "factor", alt.Tooltip("contribution:Q", format=".3f"),
                             alt.Tooltip("score:Q", format=".3f")])
            .properties(height=max(300, 24 * len(order))))


def tier_style(v) -> str:
    c = TIER_COLORS.get(v)
    return f"background-color: {c}55" if c else ""


years = ch["risk_years"]
year = st.selectbox("Risk year", years, index=years.index(ch["risk_year"]) if ch["risk_year"] in years else len(years) - 1,
                    key="risk_year")
try:
    weights = risk.check_weights(weight_widgets())
except ConfigError as e:
    st.error(f"Weights: {render.md(e)}")
    st.stop()
wkey = tuple(sorted(weights.items()))
with st.spinner("Scoring …"):
    rows = ranked(year, wkey)
scored = [r for r in rows if r["score"] is not None]
top = scored[0] if scored else None
m = st.columns(4)
m[0].metric("Top score", f"{top['score']:.3f}" if top else "—", help=render.md(f"{top['name']} ({top['iso3']})") if top else None)
m[1].metric("Top country", top["iso3"] if top else "—")
m[2].metric("High-tier countries", sum(r["tier"] == "High" for r in rows))
m[3].metric("Countries with missing data", sum(bool(r["missing"]) for r in rows))
st.caption("Tiers: natural breaks (Fisher–Jenks, 3 classes) over the recipients' scores of the year. "
           "Contributions are w·factor/Σw and sum to the score.")

tabs = st.tabs(["Ranking", "Contributions", "Sensitivity ±25 %", "Agreement with analysts"])
with tabs[0]:
    frame = ranking_frame(rows)
    st.dataframe(frame.style.map(tier_style, subset=["tier", "analysts' tier"]).format(
        {c: "{:.3f}" for c in ("score", *risk.FACTORS)}, na_rep="—"), hide_index=True, height=560)
    flat = [{**{k: r[k] for k in ("iso3", "name", "year", "score", "tier", "assessed_tier")}, **r["contributions"],
             "missing": "; ".join(r["missing"])} for r in rows]
    render.download(flat, ["iso3", "name", "year", "score", "tier", "assessed_tier", *risk.FACTORS, "missing"],
                    "risk_ranking", file_name=f"risk_{year}.csv")
with tabs[1]:
    st.altair_chart(contributions_chart(rows), width="stretch")
with tabs[2]:
    with st.spinner("Re-scoring with each weight at 75 % and 125 % …"):
        sens = sensitivity(year, wkey)
    srows = [{"factor": s["factor"], "multiplier": s["multiplier"], "tier_changes": s["tier_changes"],
              "spearman": s["spearman"], "changed": ", ".join(s["changed"])} for s in sens]
    st.caption("Each weight scaled by 0.75 and 1.25 in turn: recipients that change tier, and the Spearman rank "
               "correlation of all scores with the current ranking.")
    render.table(srows, ["factor", "multiplier", "tier_changes", "spearman", "changed"], "risk_sensitivity")
with tabs[3]:
    ag = risk.agreement(rows)
    num = lambda x: "n/a" if x is None else f"{x:.2f}"
    a = st.columns(4)
    a[0].metric("Compared", ag["n"])
    a[1].metric("Agree", f"{ag['agree']}/{ag['n']}" if ag["n"] else "—", help=f"share {num(ag['share'])}")
    a[2].metric("Cohen's kappa", num(ag["kappa"]))
    a[3].metric("AUC within category", num(ag.get("auc_within_category")))
    st.caption("Model High = analysts' High; model Medium/Low = analysts' Low. Kappa is agreement beyond chance; "
               "the within-category AUC compares the ordering of assessed High vs Low inside each category.")
    render.table(ag["rows"], ["iso3", "name", "assessed_tier", "model_tier", "agrees"], "risk_agreement")
