"""A Cypher tokenizer: the one reading of query text that the read-only guard and the portability lint share.

It knows what a scanner for keywords does not: a quote inside a backticked name (`a'`) is part of the name,
a keyword inside a string or a comment is text, `` `` `` escapes a backtick inside a name, a backslash
escapes inside a string, and a string, name or block comment that never closes is an error — not a reason to
skip what follows. Tokens: ('name' | 'quoted' | 'string' | 'number' | 'param' | 'punct', text, line, column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NUMBER = re.compile(r"0[xX][0-9A-Fa-f]+|(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
PARAM = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|`(?:[^`]|``)*`)")
PUNCT = ("<>", "<=", ">=", "=~", "..", "->", "<-", "+=")


class LexError(ValueError):
    """Text that is not a sequence of Cypher tokens; the message names line and column."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int
    col: int
    start: int  # offsets in the query text
    end: int

    def is_name(self, *words: str) -> bool:
        """A bare (not backticked) name equal to one of `words`, ignoring case (Cypher keywords do)."""
        return self.kind == "name" and self.text.upper() in words


def _where(text: str, i: int) -> tuple[int, int]:
    line = text.count("\n", 0, i) + 1
    return line, i - (text.rfind("\n", 0, i) + 1) + 1


def _closing(text: str, i: int, quote: str) -> int:
    """Index just past the quote that closes the string or name opening at i."""
    j = i + 1
    while j < len(text):
        ch = text[j]
        if quote == "`":
            if ch == "`":
                if text.startswith("``", j):
                    j += 2
                    continue
                return j + 1
        elif ch == "\\":
            j += 2
            continue
        elif ch == quote:
            return j + 1
        j += 1
    what = "backticked name" if quote == "`" else "string"
    raise LexError("a %s opens at line %d, column %d and never closes" % ((what,) + _where(text, i)))


def tokens(text: str) -> list[Token]:
    """Every token of the text, comments and white space left out."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise LexError("a comment opens at line %d, column %d and never closes" % _where(text, i))
            i = end + 2
            continue
        line, col = _where(text, i)
        if ch in "'\"`":
            j = _closing(text, i, ch)
            out.append(Token("quoted" if ch == "`" else "string", text[i:j], line, col, i, j))
            i = j
            continue
        for kind, rx in (("param", PARAM), ("name", NAME), ("number", NUMBER)):
            m = rx.match(text, i)
            if m and m.end() > i:
                out.append(Token(kind, m.group(), line, col, i, m.end()))
                i = m.end()
                break
        else:
            two = text[i : i + 2]
            size = 2 if two in PUNCT else 1
            out.append(Token("punct", text[i : i + size], line, col, i, i + size))
            i += size
    return out


def bare(text: str, toks: list[Token]) -> str:
    """The query with every string as '', every backticked name as _ and every comment as a space, spacing
    otherwise kept: what the portability lint's patterns read (a keyword in a string, name or comment is
    never seen by them)."""
    parts, last = [], 0
    for t in toks:
        if t.start > last:
            parts.append(" ")
        parts.append("''" if t.kind == "string" else "_" if t.kind == "quoted" else t.text)
        last = t.end
    return "".join(parts)


def depth(toks: list[Token]) -> int:
    """The deepest nesting of (), [] and {} in the query."""
    level = deepest = 0
    for t in toks:
        if t.kind == "punct":
            if t.text in "([{":
                level += 1
                deepest = max(deepest, level)
            elif t.text in ")]}":
                level -= 1
    return deepest
