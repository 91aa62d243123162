"""Country dossier: one country on one page — category and the four elements, risk and why, ties to the
nations of concern, activities on a timeline, requests, gaps, handovers and contacts, each with its source.
Every section is a library query's rows (country_profile, ties_to_concern, coverage_gaps, unmet_requests,
handover_risk)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui import context, render, state

FACTORS = ("technology", "trade", "geography", "ties")
ELEMENTS = ("intention", "laws", "enforcement", "industry_cooperation")

render.setup("Country dossier")
st.title("Country dossier")
ctx = context.sidebar()
ch = state.choices()


def defaults(name: str) -> str:
    q = state.registry()[name]
    return ", ".join(f"{p.name}={p.default}" for p in q.params)


def columns(rows: list[dict]) -> list[str]:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return [c for c in cols if c != "source"] + (["source"] if "source" in cols else [])


def context_risk(iso3: str) -> tuple[dict | None, tuple]:
    """The country's risk row for the context's year and its tier by the context's tier source."""
    rows = state.risk_rows(ctx.year_to)
    from graph_loader.risk import tiers_by_source

    return next((r for r in rows if r["iso3"] == iso3), None), tiers_by_source(rows, ctx.tier_source).get(
        iso3, (None, "")
    )


def facts(p: dict) -> None:
    r, (tier, source) = context_risk(p["iso3"])
    year = r["year"] if r else "—"
    c = st.columns(6)
    c[0].metric("Roles", p["roles"] or "—")
    c[1].metric(
        "Category", p["category"] if p["category"] is not None else "—", help=render.md(p.get("objective")) or None
    )
    c[2].metric(
        "Exposure",
        f"{r['exposure']:.3f}" if r and r["exposure"] is not None else "—",
        help=f"risk year {year}: the four factors' weighted mean",
    )
    c[3].metric(
        "Diversion risk",
        f"{r['score']:.3f}" if r and r["score"] is not None else "—",
        help=f"risk year {year}: weakness {r['weakness'] if r else '—'} × exposure",
    )
    c[4].metric("Risk tier", tier or "—", help=f"from the {source or 'model'}; year {year}")
    c[5].metric(
        "Analysts' tier",
        (r or {}).get("assessed_tier") or "—",
        help=f"the assessment in force in {year}" + (f" ({r['assessed_on']})" if r and r.get("assessed_on") else ""),
    )
    st.caption(
        f"Region: {render.md(p['region'])} · objective of its category: {render.md(p['objective'] or '—')} · "
        f"source: {render.md(p['source'])}"
    )


def elements(p: dict) -> None:
    st.subheader("Category and the four elements")
    rows = sorted(p["assessments"] or [], key=lambda a: a.get("assessed_on") or "", reverse=True)
    cols = ["assessed_on", "assessor", "category", *ELEMENTS, "risk_assessed", "confidence", "source"]
    render.table(rows, cols, "dossier_assessments", empty="No assessment recorded for this country.")


def risk_why(p: dict) -> None:
    r, _ = context_risk(p["iso3"])
    st.subheader(f"Risk and why ({r['year'] if r else '—'})")
    parts = (r["contributions"] if r and r["score"] is not None else r["exposure_contributions"]) if r else {}
    contrib = [{"factor": f, "contribution": v} for f, v in parts.items() if v is not None]
    if contrib:
        chart = (
            alt.Chart(pd.DataFrame(contrib))
            .mark_bar()
            .encode(
                x=alt.X("contribution:Q", title="contribution to the score"),
                y=alt.Y("factor:N", sort=list(FACTORS)),
                color=alt.Color("factor:N", sort=list(FACTORS), legend=None),
                tooltip=["factor", alt.Tooltip("contribution:Q", format=".3f")],
            )
            .properties(height=170)
        )
        st.altair_chart(chart, width="stretch")
    missing = r["missing"] if r else []
    st.markdown("**Missing or imputed inputs:**\n" + ("\n".join(f"- {render.md(m)}" for m in missing) or "none"))


def timeline(acts: list[dict]) -> None:
    st.subheader("Activities")
    if acts:
        data = pd.DataFrame([{**a, "when": a["year"] + ((a.get("month") or 12) - 1) / 12} for a in acts])
        chart = (
            alt.Chart(data)
            .mark_point(size=120, filled=True)
            .encode(
                x=alt.X(
                    "when:Q", title="year (month as fraction)", scale=alt.Scale(zero=False), axis=alt.Axis(format="d")
                ),
                y=alt.Y("tool:N", title=None),
                color="partner:N",
                shape="status:N",
                tooltip=["activity_id", "title", "partner", "tool", "status", "year", "month", "source"],
            )
            .properties(height=60 + 40 * data["tool"].nunique())
        )
        st.altair_chart(chart, width="stretch")
    rows = sorted(acts, key=lambda a: (a["year"], a.get("month") or 12, a["activity_id"]))
    render.table(rows, columns(rows), "dossier_activities", empty="No activity targeted this country.")


countries = list(ch["countries"])
iso3 = st.selectbox(
    "Country",
    countries,
    index=countries.index("MYS") if "MYS" in countries else 0,
    key="dossier_country",
    format_func=state.country_label,
)
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
ty = min(years, key=lambda y: (abs(y - ctx.year_to), -y))
st.caption(f"Ties of {ty} (the scored year nearest the context's {ctx.year_to}).")
t_cols, ties = state.query_or_error("ties_to_concern", iso3=iso3, year=ty)
render.table(ties, t_cols, "dossier_ties", empty="No tie to a nation of concern in this year.")

timeline(p["activities"] or [])
st.subheader("Requests")
render.table(p["requests"] or [], columns(p["requests"] or []), "dossier_requests", empty="No request voiced.")

st.subheader("Gaps")
y0, y1 = ctx.year_from, ctx.year_to
st.caption(f"Coverage of {y0}–{y1}; tiers from the {ctx.tier_source}.")
g_cols, gaps = state.query_or_error(
    "coverage_gaps", year_from=y0, year_to=y1, min_priority=0.0, tier_source=ctx.tier_source
)
render.table([r for r in gaps if r["iso3"] == iso3], g_cols, "dossier_gaps", empty="No coverage gap in this window.")
st.caption(
    "Tools the category needs that no partner ever held or planned here: "
    + (render.md(", ".join(p["never_delivered"])) if p["never_delivered"] else "none")
)
u_cols, unmet = state.query_or_error("unmet_requests", as_of_year=y1)
st.markdown(f"**Unmet requests** (as of {y1})")
render.table([r for r in unmet if r["iso3"] == iso3], u_cols, "dossier_unmet", empty="No unmet request.")
h_cols, hand = state.query_or_error("handover_risk", as_of_year=y1)
st.markdown(f"**Handover risk** (as of December {y1}, six months ahead)")
render.table([r for r in hand if r["iso3"] == iso3], h_cols, "dossier_handover", empty="No point of contact leaving.")

st.subheader("Contacts")
render.table(p["contacts"] or [], columns(p["contacts"] or []), "dossier_contacts", empty="No named contact.")
