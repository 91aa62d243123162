"""Plans: the shared register. Propose, plan, hold or cancel an activity, or record a dated assessment, from a form;
every entry is checked against the register first — an overlap with another partner's offer, a clash in the same
month, a tool the role-sharing does not give the partner, the gap it closes and how far the country's top gap
priority falls — and validated by the schema and rules of data/. Import a partner's plan (a CSV template with a
filled example) with the same checks for every row; export a partner's register for sharing in advance.
Everything is graph_loader.register; this page only lays out and draws."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from graph_loader import register
from graph_loader.rules import ELEMENTS
from graph_loader.tables import to_csv
from ui import context, render, state

render.setup("Plans")
st.title("Plans")
ctx = context.sidebar()
ch = state.choices()
STATUSES = ["proposed", "planned", "held", "cancelled"]


def reload_data() -> None:
    """A save changed data/: every cached graph, store and result is of the old register."""
    st.cache_resource.clear()
    st.cache_data.clear()


def show(result_or_report, saved_text: str | None = None) -> None:
    lines = result_or_report.lines()
    warnings = [ln for ln in lines if ": overlap:" in ln or ": clash:" in ln or ": role:" in ln or ": need:" in ln]
    for ln in lines:
        if ln in warnings:
            st.warning(render.md(ln))
        elif ": gap:" in ln:
            st.success(render.md(ln))
        else:
            st.caption(render.md(ln))
    if saved_text:
        st.success(render.md(saved_text))


def activity_row() -> dict:
    """The form's activity as the CSV cells of activities.csv."""
    c = st.columns(4)
    partner = c[0].selectbox("Partner", ch["partners"], key="plan_partner", format_func=state.country_label)
    tool = c[1].selectbox("Tool", ch["tools"], key="plan_tool")
    targets = c[2].multiselect(
        "Target countries", ch["recipients"], key="plan_targets", format_func=state.country_label
    )
    status = c[3].selectbox("Status", STATUSES, key="plan_status")
    c = st.columns(4)
    year = c[0].number_input("Year", 1980, 2100, ctx.year_to, key=f"plan_year_{ctx.year_to}")
    month = c[1].number_input("Month", 1, 12, 6, key="plan_month")
    confidence = c[2].number_input("Confidence", 0.0, 1.0, 0.9, 0.05, key="plan_confidence")
    venue = c[3].text_input("Venue", key="plan_venue")
    title = st.text_input("Title (what, for whom)", key="plan_title")
    note = st.text_input(
        "Agenda, objectives, result",
        key="plan_note",
        help="Before: agenda and objectives; after it is held: the result.",
    )
    source = st.text_input("Source (who says so)", key="plan_source")
    made = f"{partner}-{int(year)}-{'-'.join(targets) or 'X'}-{tool}".upper()[:60]
    activity_id = st.text_input(
        "Activity id",
        key="plan_id",
        placeholder=made,
        help=f"Blank: {made} (partner, year, targets, tool). An existing id with 'changes an "
        "existing activity' edits that activity (a status, a result).",
    )
    return {
        "activity_id": activity_id.strip() or made,
        "title": title.strip(),
        "partner": partner,
        "targets": ";".join(targets),
        "tool": tool,
        "programme": "",
        "meeting": "",
        "status": status,
        "year": str(int(year)),
        "month": str(int(month)),
        "date": "",
        "venue": venue.strip(),
        "confidence": f"{confidence:g}",
        "note": note.strip(),
        "source": source.strip(),
        "kind": "outreach",
    }


tabs = st.tabs(["Propose an activity", "Record an assessment", "A partner's plan in and out", "Change log"])
with tabs[0]:
    st.caption(
        "Checked against the register before anything is saved; a warning needs **Save anyway**. "
        f"Gap priorities use the context's tier source ({ctx.tier_source})."
    )
    by = st.text_input("Recorded by", key="plan_by", help="Written to the change log with the entry.")
    row = activity_row()
    edit = st.checkbox(
        "This changes an existing activity (same id): e.g. planned → held, with its result", key="plan_edit"
    )
    c1, c2, c3 = st.columns(3)
    if c1.button("Check", key="plan_check", type="primary"):
        st.session_state["plan_report"] = register.check(
            state.DATA_DIR, [row], input_name="form", tier_source=ctx.tier_source
        )
    report = st.session_state.get("plan_report")
    if report is not None:
        show(report)
    save = c2.button("Save", key="plan_save", disabled=report is None or not report.ok)
    force = c3.button("Save anyway", key="plan_force", disabled=report is None or report.ok)
    if save or force:
        got = register.record(
            state.DATA_DIR, "activities", [row], by=by or None, force=force, edit=edit, input_name="form"
        )
        st.session_state.pop("plan_report", None)
        if got.saved:
            reload_data()
            st.session_state["plan_saved"] = f"Saved {row['activity_id']} ({got.change or 'change logged'})."
            st.rerun()
        show(got)
    if st.session_state.get("plan_saved"):
        st.success(render.md(st.session_state.pop("plan_saved")))

with tabs[1]:
    st.caption(
        "A dated judgement of a country's four elements; the category follows from them (the proposal's "
        "rule: 1 + the first element not met)."
    )
    with st.form("assessment_form"):
        c = st.columns(3)
        iso3 = c[0].selectbox("Country", ch["recipients"], format_func=state.country_label)
        on = c[1].date_input("Assessed on")
        assessor = c[2].text_input("Assessor")
        c = st.columns(len(ELEMENTS) + 1)
        elements = {
            e: c[i].selectbox(e.replace("_", " "), ["yes", "no", "unknown"], index=2) for i, e in enumerate(ELEMENTS)
        }
        tier = c[-1].selectbox("Risk (analysts)", ["", "High", "Low"])
        note = st.text_input("Note (and the activity results it rests on)")
        source = st.text_input("Source")
        if st.form_submit_button("Record the assessment"):
            a = {
                "assessment_id": f"{assessor or 'X'}-{on:%Y%m%d}-{iso3}".upper(),
                "iso3": iso3,
                "assessed_on": on.isoformat(),
                "assessor": assessor,
                "category": "",
                **elements,
                "risk_assessed": tier,
                "confidence": "0.8",
                "note": note,
                "source": source,
            }
            got = register.record(state.DATA_DIR, "assessments", [a], by=assessor or None, input_name="form")
            if got.saved:
                reload_data()
            show(got)

with tabs[2]:
    cols, example = register.template_rows()
    st.download_button(
        "Download the plan template (CSV, with a filled example)",
        to_csv(example, cols),
        file_name="plan-template.csv",
        mime="text/csv",
        key="plan_template",
    )
    c1, c2 = st.columns(2)
    partner = c1.selectbox("Partner", ch["partners"], key="io_partner", format_func=state.country_label)
    upload = c2.file_uploader("A partner's plan (CSV, the template's columns)", type=["csv"], key="io_upload")
    if upload is not None:
        with tempfile.TemporaryDirectory(prefix="outreach-plan-") as tmp:
            path = Path(tmp) / upload.name
            path.write_bytes(upload.getvalue())
            force = st.toggle("Save rows with warnings too", key="io_force")
            if st.button("Check and import", key="io_import"):
                got = register.import_plan(state.DATA_DIR, path, partner, force=force)
                if got.saved:
                    reload_data()
                show(got)
    with tempfile.TemporaryDirectory(prefix="outreach-export-") as tmp:
        target = Path(tmp) / f"{partner}-register.csv"
        register.export_plan(state.DATA_DIR, partner, target)
        exported = target.read_bytes()
    st.download_button(
        f"Export {partner}'s register (CSV, for sharing in advance)",
        exported,
        file_name=f"{partner}-register.csv",
        mime="text/csv",
        key="io_export",
    )

with tabs[3]:
    entries = register.read_log(state.DATA_DIR)
    st.caption(
        f"{len(entries)} changes in {render.md(state.DATA_DIR)}/changes.jsonl (when, who, what, before, after);"
        " `python -m graph_loader register replay` rebuilds the register from them."
    )
    render.table(
        [{k: e.get(k) for k in ("when", "who", "file", "key", "action")} for e in entries[-200:][::-1]],
        ["when", "who", "file", "key", "action"],
        "plans_log",
        empty="No change recorded yet.",
    )
