"""The annual review the proposal asks for ("the result of each activity … used for annual review of criteria and
evaluation"): each recipient's assessment history, and the recipients due for a new assessment.

A recipient is due when its last assessment is more than a year before the review date (or it has none), or when
outreach was held in it after that assessment — the results of those activities (their notes) are what the new
assessment should weigh; they are listed beside it. When such an activity used the tool that builds the element
the country's category lacks (ELEMENT_BUILT_BY: bilateral discussion → intention, legal assistance → laws,
officer training → enforcement, industry seminar → industry cooperation), its category may have changed: the
row says so.
"""

from __future__ import annotations

from datetime import date, timedelta

import networkx as nx

from .rules import ELEMENTS

YEAR = timedelta(days=365)
ELEMENT_BUILT_BY = {
    "bilateral_discussion": "intention",
    "legal_assistance": "laws",
    "officer_training": "enforcement",
    "industry_seminar": "industry_cooperation",
}


def lacking(category: int | None) -> str | None:
    """The element a category lacks: category c is defined by element c − 1 (intention … industry cooperation)."""
    return ELEMENTS[category - 1] if category in (1, 2, 3, 4) else None


def assessments(g: nx.MultiDiGraph) -> dict[str, list[dict]]:
    """{iso3: that country's assessments, oldest first}."""
    out: dict[str, list[dict]] = {}
    for _, d in g.nodes(data=True):
        if d["label"] == "Assessment":
            out.setdefault(d["iso3"], []).append(d)
    for found in out.values():
        found.sort(key=lambda a: (a["assessed_on"], a["assessment_id"]))
    return out


def held_after(g: nx.MultiDiGraph, iso3: str, since: str | None, until: date) -> list[dict]:
    """Outreach held in the country after `since` (an ISO date; None: ever) and up to `until`."""
    out = []
    for a, _, e in g.in_edges(f"Country:{iso3}", data=True):
        d = g.nodes[a]
        if e["type"] != "TARGETS" or d.get("status") != "held" or (d.get("kind") or "outreach") != "outreach":
            continue
        when = d.get("date") or f"{d['year']:04d}-{d.get('month') or 12:02d}-28"
        if (since is None or when > since) and when <= until.isoformat():
            out.append(
                {
                    "activity_id": d["activity_id"],
                    "title": d.get("title"),
                    "partner": d.get("partner"),
                    "tool": d.get("tool"),
                    "when": when[:7],
                    "result": d.get("note"),
                }
            )
    return sorted(out, key=lambda r: (r["when"], r["activity_id"]))


def review(g: nx.MultiDiGraph, as_of: date) -> list[dict]:
    """One row per recipient: its last assessment (date, category, elements, analysts' tier), its age in days at
    `as_of`, the held activities since then, and why it is due for review (empty when it is not)."""
    history = assessments(g)
    rows = []
    for _, d in sorted(g.nodes(data=True)):
        if d["label"] != "Country" or not d.get("recipient"):
            continue
        past = [a for a in history.get(d["iso3"], []) if a["assessed_on"] <= as_of.isoformat()]
        last = past[-1] if past else None
        since = last["assessed_on"] if last else None
        results = held_after(g, d["iso3"], since, as_of)
        age = (as_of - date.fromisoformat(since)).days if since else None
        why = []
        if last is None:
            why.append("never assessed")
        elif age > YEAR.days:
            why.append(f"last assessed {age // 365} year(s) and {age % 365} days ago")
        if results:
            why.append(f"{len(results)} activities held since, with results to weigh")
        missing = lacking(last["category"]) if last else None
        builders = sorted({a["tool"] for a in results if ELEMENT_BUILT_BY.get(a["tool"]) == missing})
        if builders:
            why.append(
                f"{', '.join(builders)} held since builds {missing.replace('_', ' ')}, the element its "
                f"category {last['category']} lacks: the category may have changed"
            )
        rows.append(
            {
                "iso3": d["iso3"],
                "country": d["name"],
                "assessed_on": since,
                "category": last["category"] if last else None,
                "elements": {e: last[e] for e in ELEMENTS} if last else {},
                "analysts_tier": last.get("risk_assessed") if last else None,
                "assessor": last.get("assessor") if last else None,
                "age_days": age,
                "held_since": results,
                "due": "; ".join(why),
            }
        )
    return sorted(rows, key=lambda r: (not r["due"], r["assessed_on"] or "", r["iso3"]))
