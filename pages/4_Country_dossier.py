"""Country dossier: one country on one page — category and the four elements, risk and why, ties to the
nations of concern, activities on a timeline, requests, gaps, handovers and contacts, each with its source.
Every section is a library query's rows (country_profile, ties_to_concern, coverage_gaps, unmet_requests,
handover_risk)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import altair as alt  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from ui import render, state  # noqa: E402

FACTORS = ("technology", "trade", "geography", "ties")
ELEMENTS = ("intention", "laws", "enforcement", "industry_cooperation")

render.setup("Country dossier")
st.title("Country dossier")
state.backend_sidebar()
ch = state.choices()


def defaults(name: str) -> str:
    q = state.registry()[name]
    return ", ".join(f"{p.name}={p.default}" for p in q.params)


def columns(rows: list[dict]) -> list[str]:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return [c for c in cols if c != "source"] + (["source"] if "source" in cols else [])


def facts(p: dict) -> None:
    c = st.columns(5)
    c[0].metric("Roles", p["roles"] or "—")
    c[1].metric("Category", p["category"] if p["category"] is not None else "—", help=render.md(p.get("objective")) or None)
    c[2].metric("Risk score", f"{p['risk_score']:.3f}" if p["risk_score"] is not None else "—",
                help=f"risk year {p['risk_year']}")
    c[3].metric("Risk tier", p["risk_tier"] or "—")
    c[4].metric("Analysts' tier", p["assessed_tier"] or "—")
    st.caption(f"Region: {render.md(p['region'])} · objective of its category: {render.md(p['objective'] or '—')} · "
               f"source: {render.md(p['source'])}")


def elements(p: dict) -> None:
    st.subheader("Category and the four elements")
    rows = sorted(p["assessments"] or [], key=lambda a: a.get("assessed_on") or "", reverse=True)
    cols = ["assessed_on", "assessor", "category", *ELEMENTS, "risk_assessed", "confidence", "source"]
    render.table(rows, cols, "dossier_assessments", empty="No assessment recorded for this country.")


def risk_why(p: dict) -> None:
    st.subheader(f"Risk and why ({p['risk_year']})")
    contrib = [{"factor": f, "contribution": p[f"risk_{f}"]} for f in FACTORS if p.get(f"risk_{f}") is not None]
    if contrib:
        chart = (alt.Chart(pd.DataFrame(contrib)).mark_bar()
                 .encode(x=alt.X("contribution:Q", title="contribution to the score"),
                         y=alt.Y("factor:N", sort=list(FACTORS)),
                         color=alt.Color("factor:N", sort=list(FACTORS), legend=None),
                         tooltip=["factor", alt.Tooltip("contribution:Q", format=".3f")])
                 .properties(height=170))
        st.altair_chart(chart, width="stretch")
    missing = [m for m in (p["risk_missing"] or "").split("; ") if m]
    st.markdown("**Missing or imputed inputs:**\n" + ("\n".join(f"- {render.md(m)}" for m in missing) or "none"))


def timeline(acts: list[dict]) -> None:
    st.subheader("Activities")
    if acts:
        data = pd.DataFrame([{**a, "when": a["year"] + ((a.get("month") or 12) - 1) / 12} for a in acts])
        chart = (alt.Chart(data).mark_point(size=120, filled=True)
                 .encode(x=alt.X("when:Q", title="year (month as fraction)", scale=alt.Scale(zero=False),
                                 axis=alt.Axis(format="d")),
                         y=alt.Y("tool:N", title=None), color="partner:N", shape="status:N",
                         tooltip=["activity_id", "title", "partner", "tool", "status", "year", "month", "source"])
                 .properties(height=60 + 40 * data["tool"].nunique()))
        st.altair_chart(chart, width="stretch")
    rows = sorted(acts, key=lambda a: (a["year"], a.get("month") or 12, a["activity_id"]))
    render.table(rows, columns(rows), "dossier_activities", empty="No activity targeted this country.")


countries = list(ch["countries"])
iso3 = st.selectbox("Country", countries, index=countries.index("MYS") if "MYS" in countries else 0,
                    key="dossier_country", format_func=state.country_label)
try:
    with st.spinner("Reading the country profile …"):
        prof = state.query("country_profile", iso3=iso3)[1]
except Exception as e:
    st.error(f"The country profile query failed: {render.md(e)}")
    st.stop()
if not prof:
    st.warning("No profile row for this country.")
    st.stop()
p = prof[0]
st.header(f"{render.md(p['country'])} ({render.md(p['iso3'])})")
facts(p)
elements(p)
risk_why(p)

st.subheader("Ties to nations of concern")
years = ch["risk_years"]
ty = st.selectbox("Year of the ties", years, index=years.index(ch["risk_year"]) if ch["risk_year"] in years else 0,
                  key="dossier_ties_year")
t_cols, ties = state.query_or_error("ties_to_concern", iso3=iso3, year=ty)
render.table(ties, t_cols, "dossier_ties", empty="No tie to a nation of concern in this year.")

timeline(p["activities"] or [])
st.subheader("Requests")
render.table(p["requests"] or [], columns(p["requests"] or []), "dossier_requests", empty="No request voiced.")

st.subheader("Gaps")
y0, y1 = st.slider("Coverage window", ch["activity_years"][0], ch["activity_years"][1], (2008, 2010), key="dossier_years")
g_cols, gaps = state.query_or_error("coverage_gaps", year_from=y0, year_to=y1, min_priority=0.0)
render.table([r for r in gaps if r["iso3"] == iso3], g_cols, "dossier_gaps", empty="No coverage gap in this window.")
st.caption("Tools the category needs that no partner ever held or planned here: "
           + (render.md(", ".join(p["never_delivered"])) if p["never_delivered"] else "none"))
u_cols, unmet = state.query_or_error("unmet_requests")
st.markdown(f"**Unmet requests** ({render.md(defaults('unmet_requests'))})")
render.table([r for r in unmet if r["iso3"] == iso3], u_cols, "dossier_unmet", empty="No unmet request.")
h_cols, hand = state.query_or_error("handover_risk")
st.markdown(f"**Handover risk** ({render.md(defaults('handover_risk'))})")
render.table([r for r in hand if r["iso3"] == iso3], h_cols, "dossier_handover", empty="No point of contact leaving.")

st.subheader("Contacts")
render.table(p["contacts"] or [], columns(p["contacts"] or []), "dossier_contacts", empty="No named contact.")
