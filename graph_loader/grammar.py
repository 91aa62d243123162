"""The one grammar for numbers and dates written as text — in data files, and wherever else text becomes a number.

Python's own parsers are looser than a data file may be: int() and float() accept any Unicode digit
('２００８', '٣') and '_' between digits ('1_000'); float() accepts 'inf', 'nan' and 'infinity'; Python 3.11's
date.fromisoformat() accepts ISO week dates ('2009-W50-5') and basic dates ('20091211'). A value a reader cannot
see is a number (or sees as another one) must not become one, so every path checks the text against the
patterns here first and only then calls Python's parser. The patterns are plain ASCII regular expressions that
Python's re and Arrow's RE2 read alike (columnar.py hands them to Arrow).

Only re, math and datetime are imported: anything may import this module cheaply.
"""

from __future__ import annotations

import math
import re
from datetime import date

INT_PATTERN = r"[+-]?[0-9]+"
FLOAT_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# anchored forms, for engines that search rather than match whole (Arrow's match_substring_regex)
ANCHORED = {"int": f"^{INT_PATTERN}$", "float": f"^{FLOAT_PATTERN}$", "date": f"^{DATE_PATTERN}$"}

_INT = re.compile(INT_PATTERN)
_FLOAT = re.compile(FLOAT_PATTERN)
_DATE = re.compile(DATE_PATTERN)
NON_FINITE = frozenset({"inf", "infinity", "nan"})  # words float() reads; never numbers in a data file


def is_int(text: str) -> bool:
    """Is the text a whole number: an optional sign and ASCII digits 0-9, nothing else (no spaces)."""
    return _INT.fullmatch(text) is not None


def is_float(text: str) -> bool:
    """Is the text a decimal number: sign, ASCII digits with at most one '.', an optional exponent."""
    return _FLOAT.fullmatch(text) is not None


def parse_int(text: str) -> int | None:
    """The whole number the text writes, or None when it does not follow the grammar. (No range check.)"""
    return int(text) if _INT.fullmatch(text) else None


def parse_float(text: str) -> float | None:
    """The float the text writes (correctly rounded, as float() gives it), or None when it does not follow the
    grammar. Text like '1e999' follows it and gives inf: callers that want finite numbers check is_finite."""
    return float(text) if _FLOAT.fullmatch(text) else None


def is_finite(value: float) -> bool:
    return math.isfinite(value)


def parse_date(text: str) -> date | None:
    """The calendar date YYYY-MM-DD the text writes, or None: the wrong shape (week dates, no dashes, one-digit
    months) or a day the calendar does not have (2009-02-30)."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def is_non_finite_word(text: str) -> bool:
    """'inf', '-Infinity', 'nan' ...: words Python reads as a float that no data file means as a number."""
    return text.lstrip("+-").lower() in NON_FINITE


def hint(text: str) -> str:
    """Why text that looks numeric is refused, when a reader might not see it: '' if nothing to add, else a
    short clause to put in a message's parentheses (non-ASCII digits, '_' digit grouping)."""
    for ch in text:
        if ch.isdigit() and not ch.isascii():
            return f"written with the non-ASCII digit {ch!r} (U+{ord(ch):04X}); expected the digits 0-9"
    if "_" in text and any(c.isdigit() for c in text):
        return "'_' groups digits in Python, not in data; expected digits without separators"
    return ""
