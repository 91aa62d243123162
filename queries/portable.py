"""The portable Cypher subset (shared/docs/portable-cypher.md) as checks, and the read-only guard.

Both scan the query with string literals and comments blanked out, so a name like 'CREATE' inside a
string never trips them.
"""
from __future__ import annotations

import re

_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*|/\*.*?\*/", re.S)

WRITE_CLAUSES = ("CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "DROP", "LOAD", "COPY", "CALL",
                 "FOREACH", "INSTALL", "ATTACH", "ALTER", "IMPORT", "EXPORT", "USE", "CHECKPOINT", "BEGIN",
                 "COMMIT", "ROLLBACK", "GRANT", "DENY", "REVOKE", "START", "STOP", "TERMINATE", "SHOW")

BANNED = [
    (r"\b(type|labels|label|id|elementId)\s*\(", "no type()/labels()/label()/id()/elementId() (rule 2)"),
    (r"\b(toFloat|toInteger|toString|toBoolean|toIntegerOrNull|toFloatOrNull|toStringOrNull)\s*\(",
     "no conversion functions (rule 3)"),
    (r"\b(head|last|substring|split|reduce|left|right|tail)\s*\(", "no list/string slicing functions (rule 4)"),
    (r"\b(round|ceil|floor)\s*\(", "round in Python, not in Cypher (rule 5)"),
    (r"\bshortestPath\s*\(|\ballShortestPaths\s*\(", "shortestPath() is not portable (rule 8)"),
    (r"\bexists\s*\(", "use EXISTS { MATCH ... } (rule 1)"),
    (r"\b(EXISTS|COUNT)\s*\{(?!\s*MATCH\b)", "EXISTS/COUNT subqueries need the MATCH keyword (rule 1)"),
    (r"\(\s*[A-Za-z_]\w*\s*:\s*\w+\s*:\s*\w+", "one label per node pattern (rule 6)"),
    (r"\(\s*:\s*\w+\s*:\s*\w+", "one label per node pattern (rule 6)"),
    (r"\*\s*\d*\s*\.\.\s*([3-9]|\d{2,})\b|\*\s*\.\.(?!\s*[12]\b)|\*\s*\]|\*\s*\d+\s*\.\.\s*[\]{]"
     r"|-\[[^\[\]]*\*\s*([3-9]|\d{2,})\s*[\]{]", "variable-length patterns need an upper bound <= 2 (rule 8)"),
    (r"\[[^\[\]]*\bIN\b[^\[\]]*\||\[\s*[A-Za-z_]\w*\s+IN\b", "no list comprehensions (rule 4)"),
    (r"\[\s*(?:[A-Za-z_]\w*\s*=\s*)?\([^()\[\]]*\)\s*<?-\s*[\[-]", "no pattern comprehensions (rule 4)"),
    (r"\[\s*-?\d*\s*\.\.\s*-?\d*\s*\]|[\w)\]]\s*\[\s*-?\d+\s*\]", "no list or string indexing/slicing (rule 4)"),
    (r"\bapoc\.|\bgds\.|\bdb\.", "no procedures or APOC (rule 12)"),
]


def strip_strings(text: str) -> str:
    return _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group(0)) if m.group(0).startswith("/") else "''", text)


def write_clauses(text: str) -> list[str]:
    """Write/admin keywords used as clauses in the query (empty = read-only)."""
    bare = strip_strings(text)
    found = []
    for kw in WRITE_CLAUSES:
        # a clause keyword at the start of the text, after a newline/semicolon/closing bracket, or after a
        # space (e.g. "WITH n SET ..."); property names like n.set or {set: 1} are excluded
        if re.search(rf"(?<![\w.$]){kw}\b(?!\s*:)", bare, re.I):
            found.append(kw)
    return found


def portability_problems(text: str) -> list[str]:
    bare = strip_strings(text)
    problems = [why for pattern, why in BANNED if re.search(pattern, bare, re.I)]  # Cypher keywords ignore case
    if not re.search(r"\bORDER\s+BY\b", bare, re.I):
        problems.append("end with a total ORDER BY (rule 9)")
    return problems
