"""Turn the folder of .cypher files into a registry of queries, each described by its header.

Header format (comment lines at the top of the file):

    // Title on the first line
    // description: what the query answers (may continue on following // lines)
    // params:
    //   year_from: int = 2008 — first year of the window
    //   iso3: string = null — a country, or null for all
    // returns: iso3, country, tool, priority

Types: int, float, string, bool, list (of strings, comma-separated on the command line). A default of
`null` makes the parameter optional. The loader rejects a file whose header and body disagree (a parameter
used but not declared, or declared and unused), a duplicate name, a write clause, and constructs outside
the portable Cypher subset (queries/portable.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import QueryError
from .guard import write_clauses
from .lexer import LexError, tokens
from .portable import portability_problems

QUERY_DIR = Path(__file__).resolve().parent
CHOICES_RE = re.compile(r"\(one of: ([^()]+)\)\s*$")
PARAM_RE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*:\s*(int|float|string|bool|list)\s*(?:=\s*(.*?))?\s*(?:—|--)\s*(.*)$")
TYPES = ("int", "float", "string", "bool", "list")


INT_TEXT = re.compile(r"[+-]?[0-9]+")
FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
BOOL_TEXT = ("true", "false", "1", "0", "yes", "no")


def infer_type(text: str) -> str:
    """The type a free-form parameter's text reads as: int, float, bool (true/false) or string."""
    if INT_TEXT.fullmatch(text):
        return "int"
    if FLOAT_TEXT.fullmatch(text):
        return "float"
    return "bool" if text.lower() in ("true", "false") else "string"


def typed_value(name: str, text: str, type_: str = "") -> object:
    """A free-form parameter's value from its text: typed as declared, else by how it reads (infer_type)."""
    if type_ and type_ not in TYPES:
        raise QueryError(f"parameter {name}: unknown type {type_!r} (expected one of: {', '.join(TYPES)})")
    return Param(name, type_ or infer_type(text), None, True, "").coerce(text)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object
    required: bool
    help: str
    choices: tuple = ()  # a string parameter whose help ends "(one of: a, b)" takes only those values

    def coerce(self, value):
        """Convert a value (possibly a command-line string) to this parameter's type."""
        if value is None:
            return None
        try:
            # text is read by one ASCII grammar: int() and float() would take '２００８', '٣' and '1_000'
            if self.type == "int":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError
                if isinstance(value, str) and not INT_TEXT.fullmatch(value.strip()):
                    raise ValueError
                return int(value)
            if self.type == "float":
                if isinstance(value, bool) or isinstance(value, str) and not FLOAT_TEXT.fullmatch(value.strip()):
                    raise ValueError
                return float(value)
            if self.type == "bool":
                if isinstance(value, bool):
                    return value
                low = str(value).strip().lower()
                if low not in BOOL_TEXT:
                    raise ValueError
                return low in ("true", "1", "yes")
            if self.type == "list":
                items = value if isinstance(value, (list, tuple)) else str(value).split(",")
                return [str(x).strip() for x in items if str(x).strip()]
            if self.choices and str(value) not in self.choices:
                raise QueryError(f"parameter {self.name}: {value!r} is not one of: {', '.join(self.choices)}")
            return str(value)
        except (TypeError, ValueError):
            raise QueryError(f"parameter {self.name}: {value!r} is not a valid {self.type}") from None


@dataclass(frozen=True)
class Query:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    returns: tuple[str, ...]
    text: str
    path: Path

    def bind(self, values: dict) -> dict:
        """Full parameter dict: declared defaults, then the given values, coerced; unknown names refused."""
        known = {p.name: p for p in self.params}
        for k in values:
            if k not in known:
                raise QueryError(f"{self.name}: unknown parameter {k!r} (expected one of: "
                                 f"{', '.join(known) or 'none'})")
        out = {}
        for p in self.params:
            v = p.coerce(values[p.name]) if p.name in values else p.default
            if v is None and p.required:
                raise QueryError(f"{self.name}: parameter {p.name} is required ({p.type})")
            out[p.name] = v
        return out


def _default(raw: str | None, type_: str, where: str):
    if raw is None or raw == "" or raw == "null":
        return None
    probe = Param("default", type_, None, False, "")
    try:
        return probe.coerce(raw.strip("'\""))
    except QueryError:
        raise QueryError(f"{where}: default {raw!r} is not a valid {type_}") from None


def parse_query(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    header, body_start = [], 0
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("//"):
            header.append(line[2:].rstrip())
            body_start = i + 1
        elif line.strip():
            break
    where = path.name
    if not header:
        raise QueryError(f"{where}: no // header (expected a title, description, params and returns)")
    title, section = header[0].strip(), None
    desc, params, returns = [], [], []
    for line in header[1:]:
        s = line.strip()
        if s.startswith("description:"):
            section = "description"
            desc.append(s[len("description:"):].strip())
        elif s.startswith("params:"):
            section = "params"
            if s[len("params:"):].strip() not in ("", "none"):
                raise QueryError(f"{where}: put each parameter on its own line under 'params:'")
        elif s.startswith("returns:"):
            section = "returns"
            returns.append(s[len("returns:"):].strip())
        elif section == "params" and s:
            m = PARAM_RE.match(s)
            if not m:
                raise QueryError(f"{where}: bad parameter line {s!r} (expected 'name: type = default — help')")
            name, type_, raw_default, help_ = m.groups()
            default = _default(raw_default, type_, f"{where}: {name}")
            listed = CHOICES_RE.search(help_)
            choices = tuple(x.strip() for x in listed.group(1).split(",")) if listed and type_ == "string" else ()
            param = Param(name, type_, default, raw_default is None, help_.strip(), choices)
            if choices and default is not None:
                param.coerce(default)  # a default outside its own choices is a broken header
            params.append(param)
        elif section in ("description", "returns") and s:
            (desc if section == "description" else returns).append(s)
    body = "\n".join(lines[body_start:]).strip()
    cols = tuple(c.strip() for c in " ".join(returns).split(",") if c.strip())
    if not desc or not cols:
        raise QueryError(f"{where}: header needs 'description:' and 'returns:'")
    if not body:
        raise QueryError(f"{where}: no query after the header")
    q = Query(name=path.stem, title=title, description=" ".join(desc), params=tuple(params), returns=cols,
              text=body, path=path)
    _check(q)
    return q


def _check(q: Query) -> None:
    where = q.path.name
    try:
        used = parameters_used(q.text)
    except LexError as e:
        raise QueryError(f"{where}: {e}") from None
    declared = {p.name for p in q.params}
    if set(used) - declared:
        raise QueryError(f"{where}: parameter(s) used but not declared: {', '.join(sorted(set(used) - declared))}")
    if declared - set(used):
        raise QueryError(f"{where}: parameter(s) declared but not used: {', '.join(sorted(declared - set(used)))}")
    writes = write_clauses(q.text)
    if writes:
        raise QueryError(f"{where}: library queries are read-only; found {', '.join(writes)}")
    problems = portability_problems(q.text)
    if problems:
        raise QueryError(f"{where}: not portable Cypher: {'; '.join(problems)}")


def parameters_used(text: str) -> list[str]:
    """The $parameters a query uses, in order of first use ($name in a string or comment is no use)."""
    names = [t.text[1:].strip("`") for t in tokens(text) if t.kind == "param"]
    return list(dict.fromkeys(names))


def load_registry(folder: Path = QUERY_DIR) -> dict[str, Query]:
    """Every .cypher file in the folder (and its subfolders), by name; duplicate names are refused."""
    out: dict[str, Query] = {}
    for path in sorted(Path(folder).rglob("*.cypher")):
        q = parse_query(path)
        if q.name in out:
            raise QueryError(f"duplicate query name {q.name!r}: {out[q.name].path} and {path}")
        out[q.name] = q
    return out
