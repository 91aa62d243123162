"""Coverage: who delivers which tool to which recipient in a year window, the gaps, flooding and clashes,
and a what-if mode that re-runs the coverage queries with planned activities added (data/ untouched)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from graph_loader import whatif
from graph_loader.schema import load_schema
from ui import context, render, state

render.setup("Coverage")
st.title("Coverage")
ctx = context.sidebar()
ch = state.choices()
STYLES = load_schema().styles


# --------------------------------------------------------------------------------------------- what-if
def whatif_form() -> list[dict]:
    """The analyst's planned activities (kept in session_state['whatif'])."""
    plan = st.session_state.setdefault("whatif", [])
    with st.expander(f"What-if: planned activities ({len(plan)})", expanded=bool(plan)):
        with st.form("whatif_form"):
            c = st.columns(5)
            partner = c[0].selectbox("Partner", ch["partners"], key="wf_partner", format_func=state.country_label)
            target = c[1].selectbox("Country", ch["recipients"], key="wf_country", format_func=state.country_label)
            tool = c[2].selectbox("Tool", ch["tools"], key="wf_tool")
            year = c[3].number_input(
                "Year", 1980, 2100, ctx.year_to, key=f"wf_year_{ctx.year_to}"
            )  # follows the window
            month = c[4].number_input("Month", 1, 12, 6, key="wf_month")
            if st.form_submit_button("Add planned activity"):
                try:
                    a = whatif.planned(
                        {"partner": partner, "target": target, "tool": tool, "year": year, "month": month}
                    )
                    whatif.check_planned(state.graph()[0], a)
                    plan.append(a)
                    st.rerun()
                except whatif.WhatIfError as e:
                    st.error(render.md(e))
        if plan:
            render.table(plan, list(whatif.FIELDS), "whatif_plan")
            c1, c2 = st.columns(2)
            c1.toggle("Apply the what-if plan", value=True, key="wf_apply")
            if c2.button("Clear the plan", key="wf_clear"):
                plan.clear()
                st.rerun()
    return plan if st.session_state.get("wf_apply", True) else []


def query_fn(plan: list[dict]):
    """state.query on the current backend, or on the what-if plan's embedded store."""
    if not plan:
        return state.query
    key = whatif.variant_key(state.base_fingerprint(), plan)
    frozen = tuple(tuple(sorted(a.items())) for a in plan)
    with st.spinner("Adding the plan to a copy of the store (once per plan) …"):
        state.variant_store(key, frozen)
    return lambda name, **p: state.variant_query(key, frozen, name, **p)


# ---------------------------------------------------------------------------------------------- matrix
def cell_text(r: dict) -> str:
    """GAP / OVERLAP / ✓ / extra, then who, then what the cell rests on: planned only (◔), proposed offers (+n
    proposed), and the lowest confidence when it is below the context's threshold (?)."""
    partners = ", ".join(r["partners"] or [])
    statuses = set(r.get("statuses") or [])
    low = r.get("min_confidence") is not None and r["min_confidence"] < ctx.min_confidence
    notes = (
        ("" if "held" in statuses or not statuses & {"planned"} else " ◔ planned")
        + (f" +{r['n_proposed']} proposed" if r.get("n_proposed") else "")
        + (f" ? conf {r['min_confidence']:.1f}" if low else "")
    )
    if r["cell"] == "gap":
        return "GAP" + notes
    if r["cell"] == "overlap":
        return f"OVERLAP {partners} ({r['n_activities']})" + notes
    if r["cell"] == "unconfirmed":
        return f"? {partners}" + notes
    if r["cell"] == "proposed only":
        return f"offered{notes}"
    return (f"extra: {partners}" if r["cell"] == "extra" else f"✓ {partners}") + notes


def matrix_frame(rows: list[dict], gaps: list[dict], sort_by: str) -> pd.DataFrame:
    """Country × tool from coverage_matrix rows; priority = the country's highest coverage_gaps priority."""
    prio: dict[str, float] = {}
    for r in gaps:
        prio[r["iso3"]] = max(prio.get(r["iso3"], 0.0), r["priority"] or 0.0)
    cells = {(r["iso3"], r["tool"]): cell_text(r) for r in rows}
    risk = {r["iso3"]: r["risk_score"] for r in rows}
    tier = {r["iso3"]: f"{r['risk_tier'] or '—'} ({r.get('tier_source') or 'model'})" for r in rows}
    isos = sorted({r["iso3"] for r in rows})
    key = {
        "priority": lambda i: (-prio.get(i, 0.0), i),
        "risk score": lambda i: (-(risk.get(i) or 0), i),
        "country": lambda i: (state.country_label(i), i),
    }[sort_by]
    tools = sorted({r["tool"] for r in rows})
    data = [
        {
            "country": state.country_label(i),
            "priority": round(prio.get(i, 0.0), 3),
            "risk": None if risk.get(i) is None else round(risk[i], 3),
            "tier": tier.get(i, "—"),
            **{t: cells.get((i, t), "") for t in tools},
        }
        for i in sorted(isos, key=key)
    ]
    return pd.DataFrame(data, columns=["country", "priority", "risk", "tier", *tools])


def paint(v) -> str:
    text = str(v)
    if text.startswith("GAP"):
        return f"background-color: {STYLES.get('gap_color', '#ff00ff')}33; font-weight: 600"
    if text.startswith("OVERLAP"):
        return f"background-color: {STYLES.get('overlap_color', '#ff7f00')}44"
    if text.startswith("?"):
        return "background-color: #ffd70044; font-style: italic"
    return "background-color: #1a985022" if text.startswith("✓") else ""


# ------------------------------------------------------------------------------------------------ page
c2, c3, c4 = st.columns(3)
y0, y1 = ctx.year_from, ctx.year_to
max_acts = c2.number_input("Flooding above (activities)", 1, 20, 2, key="cov_max_activities")
sort_by = c3.selectbox("Sort countries by", ["priority", "risk score", "country"], key="cov_sort")
needed_only = c4.toggle(
    "Needed tools only",
    value=True,
    key="cov_needed_only",
    help="Assignment gaps: only tools the country's category needs.",
)

plan = whatif_form()
run = query_fn(plan)
window = {"year_from": y0, "year_to": y1}
tiered = {"tier_source": ctx.tier_source}
reg = state.registry()
confidence = (
    {"min_confidence": ctx.min_confidence}
    if any(p.name == "min_confidence" for p in reg["coverage_matrix"].params)
    else {}
)
try:
    with st.spinner("Running the coverage queries …"):
        m_cols, matrix = run("coverage_matrix", **window, max_activities=int(max_acts), **tiered, **confidence)
        g_cols, gaps = run("coverage_gaps", **window, min_priority=0.0, **tiered)
        a_cols, assign = run("assignment_gaps", **window, needed_only=needed_only, **tiered)
        o_cols, overlap = run("partner_overlap", **window, max_activities=int(max_acts))
        s_cols, clashes = run("schedule_conflicts", **window)
        base_gaps = state.query("coverage_gaps", **window, min_priority=0.0, **tiered)[1] if plan else gaps
except Exception as e:
    st.error(f"The coverage queries failed: {render.md(e)}")
    st.stop()

m = st.columns(4)
m[0].metric("Coverage gaps", len(gaps), delta=(len(gaps) - len(base_gaps)) if plan else None, delta_color="inverse")
m[1].metric("Assignment gaps", len(assign))
m[2].metric("Overlaps (flooding)", len(overlap))
m[3].metric("Schedule conflicts", len(clashes))
st.caption(
    render.md(ctx.describe())
    + (f" · what-if: {len(plan)} planned activities added (embedded variant store)" if plan else "")
)

tabs = st.tabs(["Country × tool matrix", "Coverage gaps", "Assignment gaps", "Flooding", "Schedule conflicts"])
with tabs[0]:
    st.caption(
        "GAP = needed, nothing held or planned · ✓ = delivered by · OVERLAP = several partners or more than "
        f"{int(max_acts)} activities · extra = delivered but not needed by the category · ◔ planned = planned, "
        "not yet held · +n proposed = offers only · ? = resting only on readings below the confidence "
        f"threshold ({ctx.min_confidence:g}) · tiers: {'analysts where assessed' if ctx.tier_source == 'assessment' else 'model'}."
    )
    frame = matrix_frame(matrix, gaps, sort_by)
    tools = [c for c in frame.columns if c not in ("country", "priority", "risk", "tier")]
    styled = frame.style.map(paint, subset=tools).format({"priority": "{:.3f}", "risk": "{:.3f}"}, na_rep="—")
    st.dataframe(
        styled,
        hide_index=True,
        height=min(760, 38 + 35 * len(frame)),
        column_config={"country": st.column_config.TextColumn(width="medium")},
    )
    render.download(matrix, m_cols, "coverage_matrix", "Download the matrix rows (CSV)")
with tabs[1]:
    render.table(gaps, g_cols, "coverage_gaps")
with tabs[2]:
    render.table(assign, a_cols, "assignment_gaps")
with tabs[3]:
    render.table(overlap, o_cols, "partner_overlap", empty="No partner overlap in this window.")
with tabs[4]:
    render.table(clashes, s_cols, "schedule_conflicts", empty="No two activities in the same country and month.")
