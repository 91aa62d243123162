"""The read-only check: what the console and the library accept, decided on tokens (queries/lexer.py).

A query is accepted when it is one statement, at most MAX_TEXT characters and MAX_DEPTH levels of brackets
deep, begins with a reading clause, and uses none of the clauses that write, read files, call procedures or
administer (REFUSED) — as clauses, that is: `n.set`, `{load: 1}`, `:Delete` and `$call` are names, not
clauses. On Neo4j the worker also asks the server for the plan (EXPLAIN) and refuses any plan that is not
read-only or that loads files or calls procedures (queries/worker.py): the tokens decide first, the
engine's own plan second.
"""

from __future__ import annotations

import os

from .errors import QueryError
from .lexer import LexError, Token, depth, tokens

MAX_TEXT = int(os.environ.get("OUTREACH_QUERY_MAX_CHARS", "20000"))  # characters of query text
MAX_DEPTH = int(os.environ.get("OUTREACH_QUERY_MAX_DEPTH", "40"))  # nested (), [], {} (deeper crashes Ladybug)

READING = ("MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN")
# why each refused clause is refused, in the words the refusal uses
REFUSED = {
    **dict.fromkeys(
        ("CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "FOREACH", "DROP", "ALTER", "RENAME", "INSERT"),
        "writes",
    ),
    **dict.fromkeys(
        ("LOAD", "COPY", "IMPORT", "EXPORT", "ATTACH", "INSTALL", "USE"), "reads or writes files or other databases"
    ),
    "CALL": "calls procedures or subqueries",
    **dict.fromkeys(("EXPLAIN", "PROFILE"), "is not offered here"),
}
# commands that can only begin a statement (which must begin with a reading clause): refused there, and
# elsewhere free to be names (RETURN x AS start ... ORDER BY start)
ADMIN = {
    word: "administers the server"
    for word in (
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "CHECKPOINT",
        "GRANT",
        "DENY",
        "REVOKE",
        "START",
        "STOP",
        "TERMINATE",
        "SHOW",
        "ENABLE",
        "DISABLE",
        "PROJECT",
    )
}


def _is_clause(toks: list[Token], i: int) -> bool:
    """Is the bare name at i used as a clause keyword — not a property (n.set), a label or type (:Set), a
    map key ({set: 1}), an alias being named (AS start) or a parameter ($set, a token of its own)?
    A variable so named elsewhere counts as the keyword: refusing it is safe, and backticks (`start`) say
    it is a name."""
    before = toks[i - 1] if i else None
    after = toks[i + 1].text if i + 1 < len(toks) else ""
    if before is not None and (before.text in (".", ":") or before.is_name("AS")):
        return False
    return after != ":"


def refused_clauses(toks: list[Token]) -> list[str]:
    """Refused keywords used as clauses, in order of first use."""
    found: list[str] = []
    for i, t in enumerate(toks):
        word = t.text.upper()
        if t.kind == "name" and word in REFUSED and _is_clause(toks, i) and word not in found:
            found.append(word)
    return found


def write_clauses(text: str) -> list[str]:
    """The refused clauses a text uses (empty = read-only as far as its tokens tell)."""
    return refused_clauses(tokens(text))


def statement(text: str) -> list[Token]:
    """The tokens of one statement (a final ';' dropped), or QueryError when there are several."""
    toks = tokens(text)
    semis = [i for i, t in enumerate(toks) if t.kind == "punct" and t.text == ";"]
    if semis and semis != [len(toks) - 1]:
        t = toks[semis[0]]
        raise QueryError(
            f"one statement at a time: a ';' at line {t.line}, column {t.col} is followed by more "
            "(run each statement on its own)"
        )
    return toks[:-1] if semis else toks


def check_read_only(text: str) -> None:
    """Raise QueryError with one clear line unless the text is one read-only query within the limits."""
    if len(text) > MAX_TEXT:
        raise QueryError(
            f"the query is {len(text):,} characters long; the limit is {MAX_TEXT:,} (OUTREACH_QUERY_MAX_CHARS)"
        )
    try:
        toks = statement(text)
    except LexError as e:
        raise QueryError(f"cannot read the query: {e}") from None
    if not toks:
        raise QueryError("the query is empty")
    deepest = depth(toks)
    if deepest > MAX_DEPTH:
        raise QueryError(
            f"the query nests brackets {deepest} deep; the limit is {MAX_DEPTH} (OUTREACH_QUERY_MAX_DEPTH)"
        )
    first = toks[0]
    refused = refused_clauses(toks)
    if first.is_name(*ADMIN):
        refused = [first.text.upper()] + refused
    if refused:
        why = "; ".join(f"{w} {REFUSED.get(w) or ADMIN[w]}" for w in refused)
        raise QueryError(f"only read queries are accepted; refused before running: {', '.join(refused)} ({why})")
    if not first.is_name(*READING):
        raise QueryError(
            f"a read query starts with {', '.join(READING[:-1])} or {READING[-1]} (it starts with {first.text[:40]!r})"
        )


# plan operators that read files or call procedures (their query type can still be 'r'), or run transactions
PLAN_REFUSED = ("LoadCSV", "ProcedureCall", "TransactionForeach", "TransactionApply", "Foreach")


def plan_refusal(query_type: str, operators: list[str]) -> str | None:
    """Why the engine's own plan is not a plain read (None: it is). query_type is Neo4j's 'r', 'rw', 'w' or
    's' (schema); operators are the plan's operator names."""
    bad = sorted(
        {
            op
            for op in operators
            if op in PLAN_REFUSED or op.startswith(("Create", "Merge", "Delete", "DetachDelete", "Set", "Remove"))
        }
    )
    if query_type != "r" or bad:
        what = ", ".join(bad) or f"query type {query_type!r}"
        return f"only read queries are accepted; the server's plan for this query is not read-only ({what})"
    return None
