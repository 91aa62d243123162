"""Review: the annual review of the shared evaluation — each recipient's assessment history as a timeline, the
recipients due for a new assessment (last one over a year before the end of the context's window, or outreach held
since it — and whether that outreach built the element its category lacks, so the category may have changed), and
the results of those activities beside the assessment they inform (graph_loader/review.py)."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from graph_loader import review
from graph_loader.rules import ELEMENTS
from ui import context, render, state

render.setup("Review")
st.title("Review")
ctx = context.sidebar()
g = state.graph()[0]
as_of = date(ctx.year_to, 12, 31)
rows = review.review(g, as_of)
due = [r for r in rows if r["due"]]
st.caption(
    f"As of {as_of.isoformat()} (the end of the context's window). {len(due)} of {len(rows)} recipients are "
    "due for review. Record a new assessment on the Plans page."
)
render.table(
    [
        {
            "iso3": r["iso3"],
            "country": r["country"],
            "last assessed": r["assessed_on"],
            "category": r["category"],
            "analysts' tier": r["analysts_tier"],
            "assessor": r["assessor"],
            "held since": len(r["held_since"]),
            "why due": r["due"],
        }
        for r in rows
    ],
    ["iso3", "country", "last assessed", "category", "analysts' tier", "assessor", "held since", "why due"],
    "review_due",
)

st.subheader("One country's history")
iso3 = st.selectbox("Country", [r["iso3"] for r in rows], key="review_country", format_func=state.country_label)
history = review.assessments(g).get(iso3, [])
if history:
    points = pd.DataFrame(
        [
            {
                "assessed on": a["assessed_on"],
                "category": a["category"],
                "assessor": a.get("assessor"),
                "tier": a.get("risk_assessed") or "—",
                "note": a.get("note") or "",
            }
            for a in history
        ]
    )
    chart = (
        alt.Chart(points)
        .mark_line(point=alt.OverlayMarkDef(size=120), interpolate="step-after")
        .encode(
            x=alt.X("assessed on:T", title="assessed on"),
            y=alt.Y("category:O", sort="descending", title="category (1 = no intention … 4 = no industry cooperation)"),
            tooltip=["assessed on", "category", "assessor", "tier", "note"],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch")
cols = ["assessed_on", "assessor", "category", *ELEMENTS, "risk_assessed", "confidence", "note", "source"]
render.table(
    [{c: a.get(c) for c in cols} for a in history],
    cols,
    "review_history",
    empty="No assessment recorded for this country.",
)
row = next(r for r in rows if r["iso3"] == iso3)
st.markdown(
    f"**Outreach held since the last assessment** ({render.md(row['assessed_on'] or 'ever')}): the results "
    "the next assessment should weigh"
)
render.table(
    row["held_since"],
    ["when", "activity_id", "partner", "tool", "title", "result"],
    "review_results",
    empty="None held since.",
)
