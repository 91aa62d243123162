"""The portable Cypher subset (shared/docs/portable-cypher.md) as checks on the tokenizer's reading.

The patterns read the query as queries/lexer.py gives it back — strings as '', backticked names as _,
comments as spaces — so a name like 'CREATE' inside a string, a name or a comment never trips them.
"""

from __future__ import annotations

import re

from .lexer import bare, tokens

BANNED = [
    (r"\b(type|labels|label|id|elementId)\s*\(", "no type()/labels()/label()/id()/elementId() (rule 2)"),
    (
        r"\b(toFloat|toInteger|toString|toBoolean|toIntegerOrNull|toFloatOrNull|toStringOrNull)\s*\(",
        "no conversion functions (rule 3)",
    ),
    (r"\b(head|last|substring|split|reduce|left|right|tail)\s*\(", "no list/string slicing functions (rule 4)"),
    (r"\b(round|ceil|floor)\s*\(", "round in Python, not in Cypher (rule 5)"),
    (r"\bshortestPath\s*\(|\ballShortestPaths\s*\(", "shortestPath() is not portable (rule 8)"),
    (r"\bexists\s*\(", "use EXISTS { MATCH ... } (rule 1)"),
    (r"\b(EXISTS|COUNT)\s*\{(?!\s*MATCH\b)", "EXISTS/COUNT subqueries need the MATCH keyword (rule 1)"),
    (r"\(\s*[A-Za-z_]\w*\s*:\s*\w+\s*:\s*\w+", "one label per node pattern (rule 6)"),
    (r"\(\s*:\s*\w+\s*:\s*\w+", "one label per node pattern (rule 6)"),
    (
        r"\*\s*\d*\s*\.\.\s*([3-9]|\d{2,})\b|\*\s*\.\.(?!\s*[12]\b)|\*\s*\]|\*\s*\d+\s*\.\.\s*[\]{]"
        r"|-\[[^\[\]]*\*\s*([3-9]|\d{2,})\s*[\]{]",
        "variable-length patterns need an upper bound <= 2 (rule 8)",
    ),
    (r"\[[^\[\]]*\bIN\b[^\[\]]*\||\[\s*[A-Za-z_]\w*\s+IN\b", "no list comprehensions (rule 4)"),
    (r"\[\s*(?:[A-Za-z_]\w*\s*=\s*)?\([^()\[\]]*\)\s*<?-\s*[\[-]", "no pattern comprehensions (rule 4)"),
    (r"\[\s*-?\d*\s*\.\.\s*-?\d*\s*\]|[\w)\]]\s*\[\s*-?\d+\s*\]", "no list or string indexing/slicing (rule 4)"),
    (r"\bapoc\.|\bgds\.|\bdb\.", "no procedures or APOC (rule 12)"),
]


def strip_strings(text: str) -> str:
    """The query with strings as '', backticked names as _ and comments as spaces (queries/lexer.py)."""
    return bare(text, tokens(text))


def portability_problems(text: str) -> list[str]:
    stripped = strip_strings(text)
    problems = [why for pattern, why in BANNED if re.search(pattern, stripped, re.I)]  # keywords ignore case
    if not re.search(r"\bORDER\s+BY\b", stripped, re.I):
        problems.append("end with a total ORDER BY (rule 9)")
    return problems
