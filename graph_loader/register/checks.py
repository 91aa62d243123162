"""The check of proposed activities against the register — a pure function of the graph and the rows.

For each activity (not cancelled, outreach) and each target country:

- overlap (warning): another partner's activity of the same tool for the same country in the window — the same
  year, or within ±window_months months when both months are known (held, planned or proposed: offers count,
  as in queries/partner_overlap.cypher); earlier rows of the same input count too;
- clash (warning): another activity (not cancelled, outreach) in the same country, year and month, or a meeting
  hosted by that country in that month (as in queries/schedule_conflicts.cypher);
- role (warning): the partner is in the role-sharing matrix but not assigned the tool for the country's category
  (as in queries/role_compliance.cypher);
- need (warning): the country's category does not need the tool (category_needs.csv), or no category does;
- gap (information): the coverage gaps of the country in the activity's year before and with the activity
  (as if held or planned — a proposed activity closes them once it goes ahead): the gaps it closes and how far
  the country's top gap priority falls. The gap rows are those of queries/coverage_gaps.cypher computed on
  the graph (gap_rows; tests/test_register.py checks them against the query on the embedded store).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import grammar
from ..stores.embedded import normalise

OFFER_STATUSES = ("held", "planned", "proposed")
COVER_STATUSES = ("held", "planned")
TIER_POINTS = {"High": 2, "Medium": 1}


@dataclass
class Finding:
    """One finding about one entry: kind (overlap, clash, role, need, gap, skipped), level (warning or info),
    the target country, the message, and the other activities/meetings involved."""

    kind: str
    level: str
    iso3: str | None
    message: str
    others: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "level": self.level,
            "iso3": self.iso3,
            "message": self.message,
            "others": list(self.others),
        }


@dataclass
class GapEffect:
    """A target country's coverage gaps in the activity's year without and with the activity."""

    iso3: str
    year: int
    closed: list[dict]  # the gap rows the activity closes
    top_before: float | None  # the country's top gap priority without it (None: no gap)
    top_after: float | None  # with it

    @property
    def fall(self) -> float:
        return normalise((self.top_before or 0.0) - (self.top_after or 0.0))

    def to_dict(self) -> dict:
        return {
            "iso3": self.iso3,
            "year": self.year,
            "closed": self.closed,
            "top_before": self.top_before,
            "top_after": self.top_after,
            "fall": self.fall,
        }


@dataclass
class EntryCheck:
    line: int
    activity_id: str
    findings: list[Finding] = field(default_factory=list)
    gaps: list[GapEffect] = field(default_factory=list)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "activity_id": self.activity_id,
            "findings": [f.to_dict() for f in self.findings],
            "gaps": [g.to_dict() for g in self.gaps],
        }


@dataclass
class CheckReport:
    """The check of every entry; ok when no entry has a warning."""

    input_name: str
    window_months: int | None
    entries: list[EntryCheck]

    @property
    def ok(self) -> bool:
        return not any(e.warnings for e in self.entries)

    @property
    def warnings(self) -> list[tuple[int, Finding]]:
        return [(e.line, f) for e in self.entries for f in e.warnings]

    def lines(self) -> list[str]:
        """`input:line: kind: message` per finding (warnings first within an entry)."""
        out = []
        for e in self.entries:
            for f in sorted(e.findings, key=lambda f: f.level != "warning"):
                out.append(f"{self.input_name}:{e.line}: {f.kind}: {f.message}")
        return out

    def to_dict(self) -> dict:
        return {
            "input": self.input_name,
            "window_months": self.window_months,
            "ok": self.ok,
            "entries": [e.to_dict() for e in self.entries],
        }


# --- the register as the checks read it ---------------------------------------------------------------------


@dataclass
class Register:
    countries: dict[str, dict]
    activities: list[dict]
    meetings: list[dict]
    needs: dict[int, list[tuple[str, str]]]  # category → [(tool, requirement)] in file order
    assigned: set[tuple[str, int, str]]  # (partner, category, tool)
    matrix_partners: set[str]
    scores: dict[tuple[str, int], dict]  # (iso3, year) → RiskScore attrs
    tools: set[str]


def register_of(g) -> Register:
    by = {"Country": {}, "Activity": [], "Meeting": [], "RiskScore": {}, "Tool": set()}
    for _, d in g.nodes(data=True):
        label = d["label"]
        if label not in by:
            continue
        if label == "Country":
            by["Country"][d["iso3"]] = d
        elif label == "RiskScore":
            by["RiskScore"][(d["iso3"], d["year"])] = d
        elif label == "Tool":
            by["Tool"].add(d["tool_id"])
        else:
            by[label].append(d)
    needs: dict[int, list] = {}
    assigned, partners = set(), set()
    for u, v, d in g.edges(data=True):  # (outreach relationships: none is a bulk table's)
        t = d["type"]
        if t == "NEEDS":
            needs.setdefault(int(u.split(":", 1)[1]), []).append((v.split(":", 1)[1], d.get("requirement")))
        elif t == "ASSIGNED":
            p = u.split(":", 1)[1]
            assigned.add((p, d.get("category"), v.split(":", 1)[1]))
            partners.add(p)
    return Register(
        by["Country"], by["Activity"], by["Meeting"], needs, assigned, partners, by["RiskScore"], by["Tool"]
    )


def _targets(a: dict) -> list[str]:
    return [t for t in (a.get("targets") or "").split(";") if t]


def _outreach(a: dict) -> bool:
    return (a.get("kind") or "outreach") == "outreach"


def gap_rows(
    reg: Register,
    iso3: str,
    year_from: int,
    year_to: int,
    tier_source: str = "assessment",
    activities: list[dict] | None = None,
) -> list[dict]:
    """The rows queries/coverage_gaps.cypher returns for one country (min_priority 0), computed on the register;
    `activities` replaces the register's activities (a what-if)."""
    c = reg.countries.get(iso3)
    if not c or c.get("recipient") is not True or c.get("category") is None:
        return []
    acts = reg.activities if activities is None else activities
    mine = [a for a in acts if iso3 in _targets(a) and a.get("status") in COVER_STATUSES and _outreach(a)]
    r = reg.scores.get((iso3, year_to))
    score, model_tier, analysts = (
        (c.get("risk_score"), c.get("risk_tier"), c.get("assessed_tier"))
        if r is None
        else (r.get("score"), r.get("tier"), r.get("assessed_tier"))
    )
    use_analysts = tier_source == "assessment" and analysts is not None
    tier = analysts if use_analysts else model_tier
    rows = []
    for tool, req in reg.needs.get(c["category"], []):
        used = [a for a in mine if a.get("tool") == tool]
        if any(year_from <= a["year"] <= year_to for a in used):
            continue
        prev = [a["year"] for a in used if a["year"] < year_from]
        last = max(prev) if prev else None
        years = 5 if last is None or year_to - last > 5 else year_to - last
        priority = 100.0 * TIER_POINTS.get(tier, 0) + 10.0 * (req == "primary") + years + (score or 0.0)
        rows.append(
            {
                "iso3": iso3,
                "country": c.get("name"),
                "category": c["category"],
                "tool": tool,
                "requirement": req,
                "assigned_partners": sorted({p for p, cat, t in reg.assigned if cat == c["category"] and t == tool}),
                "risk_score": normalise(score),
                "risk_tier": tier,
                "tier_source": "analysts" if use_analysts else "model",
                "last_covered": last,
                "years_uncovered": years,
                "priority": normalise(priority),
            }
        )
    rows.sort(key=lambda x: (-x["priority"], x["iso3"], x["tool"]))
    return rows


# --- the check ----------------------------------------------------------------------------------------------


def _int(v):
    """A CSV cell's whole number by grammar.py (ASCII digits only: int() alone reads '２００８' and '1_000'), else
    None (the record's validation words the problem)."""
    if isinstance(v, int):
        return v
    return grammar.parse_int(v.strip()) if isinstance(v, str) else None


def as_activity(row: dict) -> dict:
    """A CSV row (strings) as the graph holds an activity (year and month numbers, kind)."""
    return {
        "activity_id": row.get("activity_id", ""),
        "partner": row.get("partner", ""),
        "targets": ";".join(t.strip() for t in (row.get("targets") or "").split(";") if t.strip()),
        "tool": row.get("tool", ""),
        "status": row.get("status", ""),
        "year": _int(row.get("year")),
        "month": _int(row.get("month")),
        "kind": row.get("kind") or "outreach",
        "title": row.get("title", ""),
    }


def _when(a: dict) -> str:
    return f"{a['year']}-{a['month']:02d}" if a.get("month") else f"{a['year']}"


def _describe(a: dict) -> str:
    return f"{a['activity_id']} ({a['partner']} {a['tool']}, {a['status']} {_when(a)})"


def _in_window(a: dict, b: dict, window_months: int | None) -> bool:
    if window_months is None or not a.get("month") or not b.get("month"):
        return a["year"] == b["year"]
    return abs((a["year"] * 12 + a["month"]) - (b["year"] * 12 + b["month"])) <= window_months


def _meeting_month(m: dict) -> tuple[int, int] | None:
    d = m.get("date")
    return (int(d[:4]), int(d[5:7])) if d else None


def check_activities(
    g,
    rows: list[dict],
    lines: list[int] | None = None,
    input_name: str = "entries",
    window_months: int | None = None,
    tier_source: str = "assessment",
) -> CheckReport:
    """Check proposed activities (CSV rows: dicts of strings, the columns of activities.csv) against the register
    graph `g` (pipeline.load of the data folder). Pure: g is not changed. Each row is checked against the
    register with its own earlier version (same activity_id) left out, and against the rows before it."""
    reg = register_of(g)
    lines = lines or [i + 2 for i in range(len(rows))]
    entries = []
    earlier: list[dict] = []
    for row, line in zip(rows, lines):
        a = as_activity(row)
        check = EntryCheck(line, a["activity_id"])
        entries.append(check)
        if a["status"] == "cancelled" or not _outreach(a):
            why = "cancelled" if a["status"] == "cancelled" else f"kind {a['kind']} (not outreach)"
            check.findings.append(Finding("skipped", "info", None, f"not checked: {why}"))
            earlier.append(a)
            continue
        others = [b for b in reg.activities if b["activity_id"] != a["activity_id"]] + [
            b for b in earlier if b["activity_id"] != a["activity_id"]
        ]
        for iso3 in _targets(a):
            _check_target(reg, a, iso3, others, window_months, tier_source, check)
        earlier.append(a)
    return CheckReport(input_name, window_months, entries)


def _check_target(
    reg: Register, a: dict, iso3: str, others: list[dict], window_months, tier_source, check: EntryCheck
) -> None:
    c = reg.countries.get(iso3, {})
    same_tool = [
        b
        for b in others
        if iso3 in _targets(b)
        and b["tool"] == a["tool"]
        and b["partner"] != a["partner"]
        and b["status"] in OFFER_STATUSES
        and _outreach(b)
        and _in_window(a, b, window_months)
    ]
    if same_tool:
        partners = sorted({b["partner"] for b in same_tool})
        window = "the same year" if window_months is None else f"±{window_months} months"
        check.findings.append(
            Finding(
                "overlap",
                "warning",
                iso3,
                f"{', '.join(partners)} already offer{'s' if len(partners) == 1 else ''} {a['tool']} to {iso3} within "
                f"{window} of {_when(a)}: " + "; ".join(map(_describe, same_tool)),
                [b["activity_id"] for b in same_tool],
            )
        )
    if a.get("month"):
        clash = [
            b
            for b in others
            if iso3 in _targets(b)
            and b["status"] != "cancelled"
            and _outreach(b)
            and b["year"] == a["year"]
            and b.get("month") == a["month"]
        ]
        meetings = [m for m in reg.meetings if m.get("host") == iso3 and _meeting_month(m) == (a["year"], a["month"])]
        if clash or meetings:
            what = [_describe(b) for b in clash] + [
                f"meeting {m['meeting_id']} ({m.get('name')}, {m.get('date')})" for m in meetings
            ]
            check.findings.append(
                Finding(
                    "clash",
                    "warning",
                    iso3,
                    f"{iso3} already has in {_when(a)}: " + "; ".join(what),
                    [b["activity_id"] for b in clash] + [m["meeting_id"] for m in meetings],
                )
            )
    cat = c.get("category")
    if cat is None:
        return
    if a["partner"] in reg.matrix_partners and (a["partner"], cat, a["tool"]) not in reg.assigned:
        mine = [t for p, k, t in sorted(reg.assigned) if p == a["partner"] and k == cat]
        check.findings.append(
            Finding(
                "role",
                "warning",
                iso3,
                f"the role-sharing does not assign {a['tool']} to {a['partner']} for category "
                f"{cat} ({iso3}); it assigns {a['partner']}: {', '.join(mine) or 'nothing'}",
            )
        )
    needed = [t for t, _ in reg.needs.get(cat, [])]
    if a["tool"] not in needed:
        anywhere = any(a["tool"] in [t for t, _ in v] for v in reg.needs.values())
        check.findings.append(
            Finding(
                "need",
                "warning",
                iso3,
                (f"category {cat} ({iso3}) does not need {a['tool']}" if anywhere else f"no category needs {a['tool']}")
                + f" (category {cat} needs: {', '.join(needed) or 'nothing'})",
            )
        )
    year = a["year"]
    acts = [b for b in reg.activities if b["activity_id"] != a["activity_id"]]
    before = gap_rows(reg, iso3, year, year, tier_source, acts)
    after = gap_rows(reg, iso3, year, year, tier_source, acts + [{**a, "status": "planned"}])
    closed = [r for r in before if (r["tool"]) not in {x["tool"] for x in after}]
    effect = GapEffect(
        iso3, year, closed, before[0]["priority"] if before else None, after[0]["priority"] if after else None
    )
    check.gaps.append(effect)
    if closed:
        when = " once it is planned or held" if a["status"] == "proposed" else ""
        if effect.fall == 0:
            top = f"{iso3}'s top gap priority in {year} stays {effect.top_before:.2f} (another gap ranks as high)"
        else:
            top = (
                f"{iso3}'s top gap priority in {year} falls from {effect.top_before:.2f} to "
                + (f"{effect.top_after:.2f}" if effect.top_after is not None else "none (no gap left)")
                + f" (−{effect.fall:.2f})"
            )
        check.findings.append(
            Finding(
                "gap",
                "info",
                iso3,
                f"closes {iso3}'s gap "
                + ", ".join(f"{r['tool']} (priority {r['priority']:.2f})" for r in closed)
                + f"{when}; {top}",
            )
        )
