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

from graph_loader.grammar import is_finite, is_float, is_int

from .errors import QueryError
from .guard import write_clauses
from .lexer import LexError, tokens
from .portable import portability_problems

QUERY_DIR = Path(__file__).resolve().parent
CHOICES_RE = re.compile(r"\(one of: ([^()]+)\)\s*$")
PARAM_RE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*:\s*(int|float|string|bool|list)\s*(?:=\s*(.*?))?\s*(?:—|--)\s*(.*)$")
TYPES = ("int", "float", "string", "bool", "list")


BOOL_TEXT = ("true", "false", "1", "0", "yes", "no")


def infer_type(text: str) -> str:
    """The type a free-form parameter's text reads as: int, float, bool (true/false) or string."""
    if is_int(text):
        return "int"
    if is_float(text) and is_finite(float(text)):
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
                if isinstance(value, str) and not is_int(value.strip()):
                    raise ValueError
                return int(value)
            if self.type == "float":
                if isinstance(value, bool) or isinstance(value, str) and not is_float(value.strip()):
                    raise ValueError
                if not is_finite(float(value)):
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
    saved: bool = False  # an analyst's query from the user folder (not held to the portability lint)

    def bind(self, values: dict) -> dict:
        """Full parameter dict: declared defaults, then the given values, coerced; unknown names refused."""
        known = {p.name: p for p in self.params}
        for k in values:
            if k not in known:
                raise QueryError(
                    f"{self.name}: unknown parameter {k!r} (expected one of: {', '.join(known) or 'none'})"
                )
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


def parse_query(path: Path, saved: bool = False) -> Query:
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
            desc.append(s[len("description:") :].strip())
        elif s.startswith("params:"):
            section = "params"
            if s[len("params:") :].strip() not in ("", "none"):
                raise QueryError(f"{where}: put each parameter on its own line under 'params:'")
        elif s.startswith("returns:"):
            section = "returns"
            returns.append(s[len("returns:") :].strip())
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
    q = Query(
        name=path.stem,
        title=title,
        description=" ".join(desc),
        params=tuple(params),
        returns=cols,
        text=body,
        path=path,
        saved=saved,
    )
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
    problems = [] if q.saved else portability_problems(q.text)
    if problems:
        raise QueryError(f"{where}: not portable Cypher: {'; '.join(problems)}")


def parameters_used(text: str) -> list[str]:
    """The $parameters a query uses, in order of first use ($name in a string or comment is no use)."""
    names = [t.text[1:].strip("`") for t in tokens(text) if t.kind == "param"]
    return list(dict.fromkeys(names))


def user_folder() -> Path:
    """Where analysts' saved queries live: OUTREACH_USER_QUERIES, else ~/.local/share/outreach-graph/queries
    (outside the repository, so a pull never touches them)."""
    import os

    base = os.environ.get("OUTREACH_USER_QUERIES") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "outreach-graph", "queries"
    )
    return Path(base)


def load_registry(folder: Path = QUERY_DIR, saved: Path | None = None) -> dict[str, Query]:
    """Every .cypher file in the folder (and its subfolders), by name, then the saved queries of `saved` (by
    default none; the app and the CLI pass user_folder()); duplicate names are refused."""
    out: dict[str, Query] = {}
    sources = [(folder, False)] + ([(saved, True)] if saved is not None and Path(saved).is_dir() else [])
    for base, is_saved in sources:
        for path in sorted(Path(base).rglob("*.cypher")):
            q = parse_query(path, saved=is_saved)
            if q.name in out:
                raise QueryError(f"duplicate query name {q.name!r}: {out[q.name].path} and {path}")
            out[q.name] = q
    return out


NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,59}")


def _one_line(text: str, what: str) -> str:
    flat = " ".join(str(text).split())
    if not flat:
        raise QueryError(f"a saved query needs a {what}")
    return flat


def _type_of(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "list" if isinstance(value, (list, tuple)) else "string"


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    text = str(value)
    if "—" in text or "--" in text or "\n" in text or not text.strip():
        raise QueryError(f"the value {text!r} cannot be a saved default (no dash pairs or line breaks)")
    return text


def save_query(
    name: str,
    title: str,
    description: str,
    text: str,
    params: dict,
    columns: list[str],
    registry: dict[str, Query],
    folder: Path | None = None,
) -> Path:
    """Write a console query as a library file with the standard header into the user folder: its parameters
    typed by the values it ran with (those become the defaults), its columns as returned. Checked as the
    registry checks every file (read-only, header and body agree) before it is put in place; a name taken by
    the library or another saved query is refused."""
    folder = Path(folder) if folder is not None else user_folder()
    if not NAME_RE.fullmatch(name or ""):
        raise QueryError(f"query name {name!r}: use lower-case letters, digits and _ (starting with a letter)")
    if name in registry:
        raise QueryError(f"a query named {name!r} exists already ({registry[name].path.name}); choose another name")
    lines = [f"// {_one_line(title, 'title')}", f"// description: {_one_line(description, 'description')}"]
    lines += ["// params:"] + [
        f"//   {p}: {_type_of(v)} = {_literal(v)} — saved from the console" for p, v in params.items()
    ]
    lines += [f"// returns: {', '.join(columns)}", text.strip(), ""]
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.cypher.tmp"
    tmp.write_text("\n".join(lines), encoding="utf-8")
    try:
        parsed = parse_query(tmp, saved=True)
        if parsed.returns != tuple(columns):
            raise QueryError(f"the header's columns {list(parsed.returns)} differ from the result's {columns}")
        final = folder / f"{name}.cypher"
        tmp.replace(final)
        return final
    finally:
        tmp.unlink(missing_ok=True)


def delete_query(name: str, registry: dict[str, Query]) -> None:
    """Remove a saved query (library queries are files of the repository and stay)."""
    q = registry.get(name)
    if q is None:
        raise QueryError(f"unknown query {name!r}")
    if not q.saved:
        raise QueryError(f"{name!r} belongs to the library (queries/); only saved queries can be deleted")
    q.path.unlink()
