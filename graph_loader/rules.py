"""Domain rules that go beyond types: a category must follow from the four elements, dates must agree, ..."""

from __future__ import annotations

import operator

import numpy as np

from .columnar import typed_codes
from .errors import Problem

ELEMENTS = ("intention", "laws", "enforcement", "industry_cooperation")
PAIR_FILES = (
    "trade.csv",
    "contiguity.csv",
    "distances.csv",
    "alliances.csv",
    "shared_igos.csv",
    "language_ties.csv",
    "colonial_ties.csv",
    "rivalries.csv",
    "historical_ties.csv",
)


def category_from_elements(values: tuple[str, ...]) -> int | None | str:
    """The proposal's rule: the category is 1 + the index of the first element that is not met.

    Category 1 lacks intention; 2 has intention but not laws; 3 has laws but not enforcement; 4 has
    enforcement but not industry cooperation. Returns the category, None when an 'unknown' comes before
    the first 'no' (undecidable), or 'graduated' when all four are met (outside categories 1-4).
    """
    for i, v in enumerate(values):
        if v == "no":
            return i + 1
        if v != "yes":
            return None
    return "graduated"


def _assessments(t, problems: list[Problem]) -> None:
    for row, line in zip(t.rows(), t.lines):
        values = tuple(row[e] for e in ELEMENTS)
        if None in values or row["category"] is None:
            continue  # already reported as missing
        derived = category_from_elements(values)
        shown = "/".join(f"{e}={v}" for e, v in zip(ELEMENTS, values))
        if derived is None:
            problems.append(
                Problem(
                    t.file,
                    line,
                    "category",
                    f"cannot follow from the elements ({shown}): an element before the first "
                    "'no' is unknown (expected yes/no up to the first unmet element)",
                )
            )
        elif derived == "graduated":
            problems.append(
                Problem(
                    t.file,
                    line,
                    "category",
                    f"all four elements are met ({shown}), so the country is outside categories 1-4",
                )
            )
        elif derived != row["category"]:
            problems.append(
                Problem(
                    t.file,
                    line,
                    "category",
                    f"{row['category']} disagrees with the elements ({shown}), which give category {derived}",
                )
            )


def _dates_agree(t, date_col: str, problems: list[Problem]) -> None:
    none = [None] * len(t)
    dates, years, months = t.data.get(date_col, none), t.data.get("year", none), t.data.get("month", none)
    # judged once per distinct (date, year, month): 50,000 activities hold a few thousand
    why = {k: _date_disagrees(*k) for k in set(zip(dates, years, months))}
    if not any(why.values()):
        return
    for k, line in zip(zip(dates, years, months), t.lines):
        if why[k]:
            problems.append(Problem(t.file, line, date_col, why[k]))


def _date_disagrees(d, year, month) -> str | None:
    """Why the date is not in the row's year (and month), or None."""
    if d is None or year is None:
        return None
    if int(d[:4]) != year:
        return f"{d} is not in year {year} (expected the same year)"
    if month is not None and int(d[5:7]) != month:
        return f"{d} is not in month {month} (expected the same month)"
    return None


def _pairs(t, problems: list[Problem]) -> None:
    a, b = ("exporter", "importer") if "exporter" in t.data else ("iso3_a", "iso3_b")
    if not _may_agree(t, a, b):
        return  # one pass in C or numpy (a million trade rows); the loop below only words what it finds
    for x, y, line in zip(t.data[a], t.data[b], t.lines):
        if x is not None and x == y:
            problems.append(
                Problem(t.file, line, b, f"{y!r} is the same country as {a} (expected two different countries)")
            )


def _may_agree(t, a: str, b: str) -> bool:
    """Could some row hold the same value in columns a and b? (Decided on the coded columns when the fast
    path read the file: two small arrays of numbers, not a million string comparisons.)"""
    cols = t.columns or {}
    if a in cols and b in cols and cols[a].indices is not None and cols[b].indices is not None:
        ids: dict = {}
        return bool(np.any(typed_codes(cols[a], ids) == typed_codes(cols[b], ids)))
    return any(map(operator.eq, t.data[a], t.data[b]))


def _periods(t, start: str, end: str, problems: list[Problem]) -> None:
    for s, e, line in zip(t.data[start], t.data[end], t.lines):
        if s is not None and e is not None and e < s:
            problems.append(Problem(t.file, line, end, f"{e} is before {start} {s} (expected a later or equal year)"))


def _targets(t, problems: list[Problem]) -> None:
    column = t.data["targets"]
    listed_twice = {}  # per distinct list (activities repeat them): the countries it names more than once
    for value in set(column) - {None}:
        items = value.split(";")
        if len(set(items)) < len(items):
            listed_twice[value] = sorted({x for x in items if items.count(x) > 1})
    if not listed_twice:
        return
    for value, line in zip(column, t.lines):
        dupes = listed_twice.get(value)
        if dupes:
            problems.append(
                Problem(
                    t.file,
                    line,
                    "targets",
                    f"{', '.join(dupes)} listed more than once (expected each target country once)",
                )
            )


def _contacts(t, problems: list[Problem]) -> None:
    for row, line in zip(t.rows(), t.lines):
        if row["country"] is None and row["organisation"] is None:
            problems.append(Problem(t.file, line, "country", "missing value (expected a country or an organisation)"))
        if row["leaving_month"] is not None and row["leaving_year"] is None:
            problems.append(Problem(t.file, line, "leaving_year", "missing value (expected a year with leaving_month)"))
        _leaving_window(t, row, line, problems)


def _leaving_window(t, row, line: int, problems: list[Problem]) -> None:
    """The leaving window runs from leaving_from_year/month (blank month = January; blank start = earliest
    unknown) to leaving_year/month (blank month = December). A start needs an end, and the end may not
    precede the start."""
    fy, fm = row.get("leaving_from_year"), row.get("leaving_from_month")
    ty, tm = row.get("leaving_year"), row.get("leaving_month")
    if fm is not None and fy is None:
        problems.append(
            Problem(t.file, line, "leaving_from_year", "missing value (expected a year with leaving_from_month)")
        )
        return
    if fy is None:
        return
    if ty is None:
        problems.append(
            Problem(
                t.file,
                line,
                "leaving_year",
                "missing value (expected the end of the leaving "
                "window with leaving_from_year; the same month for an exact date)",
            )
        )
        return
    start, end = fy * 12 + (fm or 1), ty * 12 + (tm or 12)
    if end < start:
        shown_end = f"{ty}-{tm:02d}" if tm else f"{ty}"
        shown_start = f"{fy}-{fm:02d}" if fm else f"{fy}"
        problems.append(
            Problem(
                t.file,
                line,
                "leaving_month" if tm else "leaving_year",
                f"the leaving window ends ({shown_end}) before it starts (leaving_from {shown_start}) "
                "(expected an end in or after the start month)",
            )
        )


RULES = (
    ("assessments.csv", _assessments),  # (file, check)
    ("activities.csv", lambda t, p: _dates_agree(t, "date", p)),
    ("meetings.csv", lambda t, p: _dates_agree(t, "date", p)),
    *((name, _pairs) for name in PAIR_FILES),
    ("contiguity.csv", lambda t, p: _periods(t, "from_year", "to_year", p)),
    ("rivalries.csv", lambda t, p: _periods(t, "start_year", "end_year", p)),
    ("contacts.csv", _contacts),
    ("activities.csv", _targets),
)


def check_rules(tables: dict, problems: list[Problem]) -> None:
    """Every rule on the files in `tables`."""
    for name, check in RULES:
        if name in tables:
            check(tables[name], problems)
