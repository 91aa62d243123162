"""Risk: exposure and diversion risk per country for the context's year and model, with the factor contributions,
missing-data flags, the ±25 % sensitivity and the calibration against the analysts' own tiers (Annex I).
All numbers come from graph_loader.risk and graph_loader.calibration (pure functions; their docstrings state
every formula). The weight sliders try other weights here; the context's model drives every other page."""

from __future__ import annotations

from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from graph_loader import calibration, risk
from graph_loader.errors import ConfigError
from graph_loader.schema import load_schema
from ui import context, render, state

render.setup("Risk")
st.title("Risk")
ctx = context.sidebar()
TIER_COLORS = load_schema().styles.get("tier_colors", {})


@st.cache_resource(show_spinner=False)
def inputs():
    """Risk inputs do not depend on the model: one copy for every model the page tries."""
    return risk.risk_inputs(state.graph()[0])


@st.cache_data(show_spinner=False, max_entries=64)
def ranked(year: int, weights: tuple, share: float, name: str) -> list[dict]:
    """risk.rank_rows for (year, model) — cached by both."""
    return risk.rank_rows(inputs(), year, risk.Model(dict(weights), share, name))


@st.cache_data(show_spinner=False, max_entries=16)
def sensitivity(year: int, weights: tuple, share: float) -> list[dict]:
    return risk.sensitivity(inputs(), year, risk.Model(dict(weights), share))


@st.cache_data(show_spinner="Comparing with the analysts' tiers …", max_entries=16)
def calibrated(weights: tuple, share: float, name: str, years: tuple) -> list[dict]:
    return [calibration.year_report(inputs(), y, risk.Model(dict(weights), share, name)) for y in years]


def model_widgets(base: risk.Model) -> risk.Model:
    """The context's model, or other weights tried with the sliders (this page only)."""
    with st.expander(f"Try other weights (the context's model is {base.name}; other pages keep it)"):
        why = risk.weight_reasons() if base.name == risk.default_preset() else {}
        cols = st.columns(5)
        weights = {
            f: cols[i].slider(
                f.capitalize(), 0.0, 1.0, float(base.weights[f]), 0.05, key=f"w_{base.name}_{f}", help=why.get(f)
            )
            for i, f in enumerate(risk.FACTORS)
        }
        share = cols[4].slider(
            "Intention share",
            0.0,
            1.0,
            float(base.intention_share),
            0.05,
            key=f"w_{base.name}_share",
            help="Weakness of categories 2–4: (1 − i)·(5 − c)/3.",
        )
    if weights == base.weights and share == base.intention_share:
        return base
    return replace(base, weights=risk.check_weights(weights), intention_share=share, name=f"{base.name}, adjusted")


def ranking_frame(rows: list[dict], tiers: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "rank": i + 1,
                "iso3": r["iso3"],
                "country": r["name"],
                "category": "" if r["category"] is None else str(r["category"]),
                "risk": r["score"],
                "tier": tiers.get(r["iso3"], (None, ""))[0],
                "tier from": tiers.get(r["iso3"], (None, ""))[1],
                "model tier": r["tier"],
                "analysts' tier": r["assessed_tier"],
                "exposure": r["exposure"],
                "weakness": r["weakness"],
                **{f"{f} (risk)": v for f, v in r["contributions"].items()},
                "missing data": "; ".join(r["missing"]),
            }
            for i, r in enumerate(rows)
        ]
    )


def contributions_chart(rows: list[dict]) -> alt.Chart:
    data = pd.DataFrame(
        [
            {
                "country": f"{r['name']} ({r['iso3']})",
                "factor": f,
                "stack": i,
                "contribution": r["contributions"][f],
                "risk": r["score"],
            }
            for r in rows
            if r["score"] is not None
            for i, f in enumerate(risk.FACTORS)
        ]
    )
    order = [f"{r['name']} ({r['iso3']})" for r in rows if r["score"] is not None]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("country:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)),
            x=alt.X("sum(contribution):Q", title="diversion risk (weakness × exposure)"),
            color=alt.Color("factor:N", sort=list(risk.FACTORS)),
            order=alt.Order("stack:Q"),
            tooltip=[
                "country",
                "factor",
                alt.Tooltip("contribution:Q", format=".3f"),
                alt.Tooltip("risk:Q", format=".3f"),
            ],
        )
        .properties(height=max(300, 24 * len(order)))
    )


def tier_style(v) -> str:
    c = TIER_COLORS.get(v)
    return f"background-color: {c}55" if c else ""


try:
    model = model_widgets(risk.load_model(ctx.model))
except ConfigError as e:
    st.error(f"Weights: {render.md(e)}")
    st.stop()
year = risk.scored_year(inputs(), ctx.year_to)
mkey = (tuple(sorted(model.weights.items())), model.intention_share)
with st.spinner("Scoring …"):
    rows = ranked(year, *mkey, model.name)
tiers = risk.tiers_by_source(rows, ctx.tier_source)
recipients = [r for r in rows if r["recipient"] and r["score"] is not None]
top = recipients[0] if recipients else None
m = st.columns(4)
m[0].metric(
    "Highest risk",
    f"{top['score']:.3f}" if top else "—",
    help=render.md(f"{top['name']} ({top['iso3']})") if top else None,
)
m[1].metric("Highest-risk recipient", top["iso3"] if top else "—")
m[2].metric(
    "High-tier recipients",
    sum(t == "High" for t, _ in tiers.values()),
    help="Recipients only; tiers from the context's tier source.",
)
m[3].metric("Countries with missing data", sum(bool(r["missing"]) for r in rows))
st.caption(
    f"Year {year}"
    + (f" (nearest scored year to {ctx.year_to})" if year != ctx.year_to else "")
    + f" · model {render.md(model.name)} · tiers: "
    + (
        "analysts' where an assessment is in force, else the model's"
        if ctx.tier_source == "assessment"
        else "the model's"
    )
    + ". Risk = weakness × exposure; exposure is the weighted mean of the four factors; tiers are natural "
    "breaks over the recipients' risk. Partners and nations of concern that are not recipients have an "
    "exposure and no tier."
)

tabs = st.tabs(["Ranking", "Contributions", "Calibration (analysts vs model)", "Sensitivity ±25 %"])
with tabs[0]:
    frame = ranking_frame(rows, tiers)
    number_cols = ["risk", "exposure", "weakness", *[f"{f} (risk)" for f in risk.FACTORS]]
    st.dataframe(
        frame.style.map(tier_style, subset=["tier", "model tier", "analysts' tier"]).format(
            {c: "{:.3f}" for c in number_cols}, na_rep="—"
        ),
        hide_index=True,
        height=560,
    )
    render.download(frame.to_dict("records"), list(frame.columns), "risk_ranking", file_name=f"risk_{year}.csv")
with tabs[1]:
    st.altair_chart(contributions_chart(rows), width="stretch")
with tabs[2]:
    years = tuple(sorted({*calibration.CALIBRATION_YEARS, year}))
    reports = calibrated(*mkey, model.name, years)
    st.caption(
        "The analysts' tentative High/Low (Annex I, 2008; it stands for 2007 too) against the model's tiers "
        "(model High = High; Medium and Low = Low). κ is agreement beyond chance; the within-category AUC "
        "compares the order of assessed High and Low inside each category. The presets: "
        + " · ".join(f"**{render.md(n)}**: {render.md(p.why)}" for n, p in risk.presets().items())
    )
    render.table(
        calibration.summary_rows(reports),
        calibration.SUMMARY_COLUMNS[1:],
        "risk_calibration",
    )
    disagreements = [{"year": r["year"], **d} for r in reports for d in r["disagreements"]]
    st.markdown("**Where model and analysts disagree, and the factor that drives it**")
    render.table(
        disagreements,
        ["year", "iso3", "name", "assessed", "model", "driver", "why"],
        "risk_disagreements",
        empty="None: the model agrees with every assessed tier in these years.",
    )
with tabs[3]:
    with st.spinner("Re-scoring with each weight at 75 % and 125 % …"):
        sens = sensitivity(year, *mkey)
    srows = [
        {
            "factor": s["factor"],
            "multiplier": s["multiplier"],
            "tier_changes": s["tier_changes"],
            "spearman": s["spearman"],
            "changed": ", ".join(s["changed"]),
        }
        for s in sens
    ]
    st.caption(
        "Each weight scaled by 0.75 and 1.25 in turn: recipients that change the model's tier, and the "
        "Spearman rank correlation of the risk with the current ranking."
    )
    render.table(srows, ["factor", "multiplier", "tier_changes", "spearman", "changed"], "risk_sensitivity")
