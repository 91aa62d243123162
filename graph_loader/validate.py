"""Validate every file in data/ against the schema and return typed tables — or raise DataError with all problems.

Nothing is returned when any problem exists, so no caller can build a partial graph.
"""

from __future__ import annotations

import math
import re
from collections.abc import MutableMapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pycountry

from . import grammar
from .columnar import Column, ColumnLists, parse_file, read_columns, type_columns, unique_rows
from .errors import DataError, Problem
from .read import Table, check_data_file, read_table
from .rules import check_rules
from .schema import NodeSpec, Prop, RelSpec, Schema, load_schema

TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}
INT64 = (-(2**63), 2**63 - 1)  # what both stores hold (Ladybug INT64, Neo4j's integer)


@dataclass
class Typed:
    """A validated file: typed column lists (None = blank) and the line of each record (`columns`: the
    same columns in coded form, when the fast path read the file; `data` then makes each list when it is
    first read)."""

    file: str
    data: MutableMapping[str, list]
    lines: Sequence[int]
    columns: dict[str, Column] | None = None

    def __len__(self) -> int:
        return len(self.lines)

    def distinct(self, name: str) -> set:
        """The column's distinct values (from its coded form when there is one: no pass over the rows)."""
        if self.columns is not None and name in self.columns:
            return self.columns[name].distinct()
        return set(self.data[name])

    def rows(self):
        cols = list(self.data)
        for values in zip(*(self.data[c] for c in cols)):
            yield dict(zip(cols, values))


@dataclass
class Dataset:
    """All validated files of one data folder, keyed by file name."""

    root: Path
    tables: dict[str, Typed]
    schema: Schema


@lru_cache(maxsize=4096)
def is_iso3(code: str) -> bool:
    return pycountry.countries.get(alpha_3=code) is not None


def _convert(prop: Prop, raw: str):
    """Return (value, None) or (None, reason). Numbers and dates follow grammar.py, the one grammar every path
    uses: ASCII digits only, no '_' grouping, no 'inf'/'nan', dates exactly YYYY-MM-DD and on the calendar."""
    t = prop.type
    if t in ("string", "enum", "list"):
        if t == "enum" and raw not in prop.values:
            return None, f"{raw!r} is not allowed (expected {prop.expected()})"
        if t == "list":
            return ";".join(x.strip() for x in raw.split(";") if x.strip()), None
        if prop.pattern and not re.fullmatch(prop.pattern, raw):
            return None, f"{raw!r} does not match the pattern {prop.pattern}"
        return raw, None
    if t == "int":
        value = grammar.parse_int(raw)
        if value is None:
            return None, _not_a_number(raw, prop)
        if not INT64[0] <= value <= INT64[1]:
            return None, f"{raw} is too large for a whole number (expected {prop.expected()}, within ±9.2e18)"
    elif t == "float":
        value = grammar.parse_float(raw)
        if value is None and not grammar.is_non_finite_word(raw):
            return None, _not_a_number(raw, prop)
        if value is None or not math.isfinite(value):
            return None, f"{raw!r} is not a finite number (expected {prop.expected()})"
    elif t == "bool":
        low = raw.lower()
        if low not in TRUE and low not in FALSE:
            return None, f"{raw!r} is not true or false (expected true/false, yes/no or 1/0)"
        return low in TRUE, None
    else:  # date
        day = grammar.parse_date(raw)
        if day is None:
            return None, f"{raw!r} is not a valid date (expected YYYY-MM-DD)"
        return day.isoformat(), None
    if prop.min is not None and value < prop.min or prop.max is not None and value > prop.max:
        return None, f"{raw} is out of range (expected {prop.expected()})"
    return value, None


def _not_a_number(raw: str, prop: Prop) -> str:
    """The message for text outside the number grammar, saying why when a reader may not see it (a digit that
    is not 0-9, '_' grouping)."""
    why = grammar.hint(raw)
    return f"{raw!r} is not {prop.expected()}" + (f" ({why})" if why else "")


def _fast_column(prop: Prop, raw: list[str]) -> list | None:
    """The converted column when every value is valid; None when any is not (or the type has no fast path),
    so that the value-by-value path reports the problems. Gives exactly the values that path gives."""
    t = prop.type
    if prop.required and "" in raw:
        return None
    cells = [x for x in raw if x]
    if t in ("string", "enum"):
        if t == "enum":
            allowed = set(prop.values)
            if not all(x in allowed for x in cells):
                return None
        if prop.pattern:
            rx = re.compile(prop.pattern)
            if not all(rx.fullmatch(x) for x in cells):
                return None
        values = cells
        out = [x or None for x in raw]
    elif t == "list":
        out = [";".join(y.strip() for y in x.split(";") if y.strip()) if x else None for x in raw]
        values = out
    elif t == "int":
        values = list(map(grammar.parse_int, cells))  # the one converter: int() alone reads '２００８' and '1_000'
        if None in values:
            return None
    elif t == "float":
        values = list(map(grammar.parse_float, cells))  # float() alone reads 'nan', '1_0' and '١'
        if None in values or not all(map(math.isfinite, values)):
            return None
    elif t == "bool":
        lows = [x.lower() for x in cells]
        if not all(x in TRUE or x in FALSE for x in lows):
            return None
        values = [x in TRUE for x in lows]
    else:  # date: few values — the value-by-value path (grammar.parse_date)
        return None
    if t in ("int", "float"):
        if values and (
            prop.min is not None and min(values) < prop.min or prop.max is not None and max(values) > prop.max
        ):
            return None
        if t == "int" and values and (min(values) < INT64[0] or max(values) > INT64[1]):
            return None
        if len(values) == len(raw):
            out = values
        else:
            it = iter(values)
            out = [next(it) if x else None for x in raw]
    elif t == "bool":
        it = iter(values)
        out = [next(it) if x else None for x in raw]
    if prop.check == "iso3" and not all(is_iso3(v) for v in values if v is not None):
        return None
    return out


def convert_column(table: Table, prop: Prop, problems: list[Problem]) -> list:
    fast = _fast_column(prop, table.data[prop.name])
    if fast is not None:
        return fast
    out: list = []
    append = out.append
    for raw, line in zip(table.data[prop.name], table.lines):
        if raw == "":
            if prop.required:
                problems.append(Problem(table.file, line, prop.name, f"missing value (expected {prop.expected()})"))
            append(None)
            continue
        value, why = _convert(prop, raw)
        if why:
            problems.append(Problem(table.file, line, prop.name, why))
        elif prop.check == "iso3" and not is_iso3(value):
            problems.append(
                Problem(
                    table.file, line, prop.name, f"unknown country code {value!r} (expected an ISO 3166-1 alpha-3 code)"
                )
            )
        append(value)
    return out


def file_columns(schema: Schema, filename: str) -> dict[str, Prop]:
    """The CSV columns of one file: the node's data properties (less a composite key the loader builds),
    or the relationship's properties."""
    node = schema.node_for_file(filename)
    if node:
        return {n: p for n, p in node.data_props.items() if not (node.key_columns and n == node.key)}
    return next(r.props for r in schema.rels_in_file(filename) if r.own_file)


def _node_keys(spec: NodeSpec, t: Typed, problems: list[Problem]) -> dict:
    """Fill composite keys, reject duplicates; return key -> row index."""
    if spec.key_columns:
        t.data[spec.key] = [
            None
            if any(t.data[c][i] is None for c in spec.key_columns)
            else spec.key_format.format(**{c: t.data[c][i] for c in spec.key_columns})
            for i in range(len(t))
        ]
    keys = t.data[spec.key]
    seen = dict(zip(keys, range(len(keys))))
    if len(seen) == len(keys) and None not in seen:
        return seen  # every key present and distinct (the common case): one pass in C
    seen = {}
    label = "+".join(spec.key_columns) if spec.key_columns else spec.key
    for i, (k, line) in enumerate(zip(keys, t.lines)):
        if k is None:
            continue
        if k in seen:
            problems.append(Problem(t.file, line, label, f"duplicate key {k!r} (first on line {t.lines[seen[k]]})"))
        else:
            seen[k] = i
    return seen


def _rel_keys(rel: RelSpec, t: Typed, problems: list[Problem]) -> None:
    if not rel.key:
        return
    if t.columns is not None and all(c in t.columns for c in rel.key) and unique_rows([t.columns[c] for c in rel.key]):
        return  # proven on the coded columns (a million rows): no duplicates
    keys = list(zip(*(t.data[c] for c in rel.key)))
    if len(set(keys)) == len(keys):
        return  # no duplicates (the common case): nothing to report
    seen: dict = {}
    for k, line in zip(keys, t.lines):
        if k in seen:
            problems.append(
                Problem(
                    t.file,
                    line,
                    "+".join(rel.key),
                    f"duplicate row for {'/'.join(map(str, k))} (first on line {seen[k]})",
                )
            )
        else:
            seen[k] = line


def endpoint_columns(rel: RelSpec) -> list[tuple[str, tuple[str, ...]]]:
    """(column, labels it may reference) for both ends of a relationship."""
    ends = [(rel.from_column, rel.from_labels)]
    if len(rel.to_columns) == len(rel.to_labels) and len(rel.to_columns) > 1:
        ends += [(c, (label,)) for c, label in zip(rel.to_columns, rel.to_labels)]
    else:
        ends += [(c, rel.to_labels) for c in rel.to_columns]
    return ends


def _missing_ref(label_names: tuple[str, ...], value, schema: Schema) -> str:
    files = ", ".join(schema.nodes[lb].file for lb in label_names if schema.nodes[lb].file)
    if (
        "Country" in label_names
        and isinstance(value, str)
        and len(value) == 3
        and value.isupper()
        and not is_iso3(value)
        and value not in schema.non_iso_countries
    ):
        return f"unknown country code {value!r} (expected an ISO 3166-1 alpha-3 code listed in {files})"
    return f"{value!r} refers to a missing {' or '.join(label_names)} (not in {files})"


def _where_problems(rel: RelSpec, col: str, value, node: Typed, row: int, node_file: str) -> list[str]:
    """Why the node `value` names breaks the relationship's from_where (for its from_column) or to_where (for
    its to_columns): flags the schema says that end must carry — a partner conducts an activity, an activity
    targets a recipient."""
    where = rel.from_where if col == rel.from_column else rel.to_where if col in rel.to_columns else {}
    reason = f": {rel.to_where_reason}" if where is rel.to_where and rel.to_where_reason else ""
    why = []
    for prop, want in where.items():
        flag = node.data[prop][row]
        if flag is not None and flag != want:  # None: blank or unreadable, already reported
            why.append(
                f"{value!r} is not a {prop} country (expected {prop}={str(want).lower()} in {node_file}{reason})"
            )
    return why


def _check_refs(
    ds_tables: dict[str, Typed], keys: dict[str, dict], schema: Schema, problems: list[Problem], files: set
) -> None:
    """Every reference in the relationships read from `files` (node files all read and keyed)."""
    node_rows = {spec.label: ds_tables[spec.file] for spec in schema.nodes.values() if spec.file in ds_tables}
    # a node file that could not be read is already reported; checking references into it would bury that
    # one problem under one "missing" problem per referencing row
    unread = {spec.label for spec in schema.nodes.values() if spec.file and spec.file not in ds_tables}
    for rel in schema.rels.values():
        t = ds_tables.get(rel.file) if rel.file in files else None
        if t is None:
            continue
        own_node = schema.node_for_file(rel.file)
        for col, labels in endpoint_columns(rel):
            if own_node and col == own_node.key and labels == (own_node.label,):
                continue  # the file's own key: always present
            if unread & set(labels):
                continue
            split = rel.type == "TARGETS"
            distinct = t.distinct(col) - {None}
            if split:
                distinct = {v for value in distinct for v in str(value).split(";")}
            # what is wrong with each distinct value, worked out once (most columns repeat few values)
            bad = {}
            for v in distinct:
                why = []
                hit = next((lb for lb in labels if v in keys.get(lb, {})), None)
                if hit is None:
                    why.append(_missing_ref(labels, v, schema))
                else:
                    why += _where_problems(rel, col, v, node_rows[hit], keys[hit][v], schema.nodes[hit].file)
                if why:
                    bad[v] = why
            if not bad:
                continue
            for value, line in zip(t.data[col], t.lines):
                for v in [] if value is None else str(value).split(";") if split else [value]:
                    for why in bad.get(v, ()):
                        problems.append(Problem(t.file, line, col, why))
        for name, prop in rel.props.items():
            if prop.references and prop.references not in unread:
                for value, line in zip(t.data[name], t.lines):
                    if value is not None and value not in keys.get(prop.references, {}):
                        problems.append(Problem(t.file, line, name, _missing_ref((prop.references,), value, schema)))


def _enough_rows(schema: Schema, table: Table, problems: list[Problem]) -> bool:
    """False (with a problem) when a file every other file depends on has fewer records than the schema's
    min_rows — the file is then left out, so references into it are not each reported as missing."""
    spec = schema.node_for_file(table.file)
    if spec and len(table) < spec.min_rows:
        problems.append(
            Problem(
                table.file,
                1,
                "(file)",
                f"the file has a header but no records (expected at "
                f"least {spec.min_rows} {spec.label} row; every other file refers to them)",
            )
        )
        return False
    return True


def _single_line(schema: Schema, table: Table, problems: list[Problem]) -> None:
    """Keys and references must be one line: a line break (Alt+Enter in a spreadsheet cell) makes a code that
    looks right and matches nothing."""
    spec = schema.node_for_file(table.file)
    cols = {spec.key, *spec.key_columns} if spec else set()
    for rel in schema.rels_in_file(table.file):
        cols |= {c for c, _ in endpoint_columns(rel)} | {n for n, p in rel.props.items() if p.references}
        cols |= {c for c in rel.key if rel.props.get(c) is not None and rel.props[c].type in ("string", "enum")}
    for col in sorted(c for c in cols if c in table.data):
        values = table.data[col]
        joined = "".join(values)  # one scan in C; the row-by-row loop runs only when something is there
        if "\n" in joined or "\r" in joined:
            for v, line in zip(values, table.lines):
                if "\n" in v or "\r" in v:
                    problems.append(
                        Problem(
                            table.file,
                            line,
                            col,
                            f"{v!r} contains a line break (expected a "
                            "one-line code — was the cell edited with Alt+Enter?)",
                        )
                    )


def _has_data(schema: Schema, t: Typed, problems: list[Problem]) -> None:
    """A record whose at_least_one columns (schema) are all blank carries no data: refuse it rather than let
    it read as 'known to be nothing'."""
    spec = schema.node_for_file(t.file)
    if not spec or not spec.at_least_one:
        return
    cols = [t.data[c] for c in spec.at_least_one]
    key_cols = spec.key_columns or (spec.key,)
    for i, line in enumerate(t.lines):
        if all(c[i] is None for c in cols):
            key = " ".join(str(t.data[c][i]) for c in key_cols)
            problems.append(
                Problem(
                    t.file,
                    line,
                    "(row)",
                    f"{key} has no figures (expected at least one of "
                    f"{', '.join(spec.at_least_one)}; delete the row if there are none)",
                )
            )


def _read_fast(name: str, parsed: pa.Table | tuple | None, props: dict[str, Prop]) -> Typed | None:
    """The parsed file typed through Arrow columns (columnar.py; `parsed` may be typed already), or None: then
    the row-by-row reader reads it."""
    got = parsed if isinstance(parsed, tuple) else type_columns(parsed, props, _convert, is_iso3)
    if got is None:
        return None
    columns, rows = got
    return Typed(name, ColumnLists(columns, props, rows), range(2, rows + 2), columns)  # lists made when read


def _read_file(
    root: Path, schema: Schema, filename: str, props: dict[str, Prop], parsed: Future, problems: list[Problem]
) -> Typed | None:
    """One file typed: through Arrow when it is plain and clean, else row by row with every problem worded."""
    fast = _read_fast(filename, parsed.result(), props)
    if fast is not None:
        if not _enough_rows(schema, fast, problems):
            return None
        _has_data(schema, fast, problems)
        return fast
    required = {n for n, p in props.items() if p.required}
    table = read_table(root / filename, list(props), required, problems)
    if table is None or not _enough_rows(schema, table, problems):
        return None
    _single_line(schema, table, problems)
    typed = Typed(
        filename, {n: convert_column(table, p, problems) for n, p in props.items() if n in table.data}, table.lines
    )
    _has_data(schema, typed, problems)
    return typed


def _largest(root: Path, files) -> str | None:
    """The largest of the files (each checked already: a regular file, or a link to one in the folder)."""
    sizes = {}
    for f in files:
        try:
            sizes[f] = (root / f).stat().st_size
        except OSError:
            sizes[f] = 0  # gone since it was checked: the reader reports it
    return max(sizes, key=sizes.get, default=None)


def _refused(root: Path, files, problems: list[Problem]) -> set[str]:
    """The files that must not be read — a link out of the folder, a FIFO, a device, a directory, a file too
    large, unreadable or not text (read.check_data_file) — each with its problem. Checked before any file is
    opened by either reader, so nothing is read from them and validation still fails whole."""
    refused = set()
    for filename in files:
        problem = check_data_file(root, filename)
        if problem is not None:
            problems.append(problem)
            refused.add(filename)
    return refused


def validate(data_dir: Path | str, schema: Schema | None = None) -> Dataset:
    """Read and validate every file; return the Dataset or raise DataError listing all problems."""
    schema = schema or load_schema()
    root = Path(data_dir)
    if not root.is_dir():
        raise DataError([Problem(str(root), 0, "(folder)", "data folder not found")])
    checks = _Checks(schema)
    files = {filename: file_columns(schema, filename) for filename in schema.files()}
    refused = _refused(root, files, checks.problems)
    readable = [f for f in files if f not in refused]
    with ThreadPoolExecutor(2, thread_name_prefix="outreach-parse") as pool:  # Arrow parses files while we
        # type and check the others: the largest from the start in one thread (typed there too, as soon as it is
        # parsed), the rest in order in the other
        big = _largest(root, readable)
        parsed = {
            f: pool.submit(read_columns, root / f, files[f], _convert, is_iso3)
            if f == big
            else pool.submit(parse_file, root / f, files[f])
            for f in sorted(readable, key=lambda f: f != big)
        }
        for batch in ([f for f in files if f != big], [big] if big else []):
            for filename in batch:
                if filename in refused:
                    continue  # reported; counted as checked below, so references into it are not each reported
                typed = _read_file(
                    root,
                    schema,
                    filename,
                    files[filename],
                    parsed.pop(filename),  # (frees it)
                    checks.problems,
                )
                if typed is not None:
                    checks.tables[filename] = typed
            checks.run(set(batch))
    if checks.problems:
        raise DataError(checks.problems)  # sorted by file and line, whatever order the checks ran in
    return Dataset(root=root, tables=checks.tables, schema=schema)


@dataclass
class _Checks:
    """The checks across files, run on the files read so far: all but the largest while it is still being
    parsed, then on it."""

    schema: Schema
    tables: dict[str, Typed] = field(default_factory=dict)
    keys: dict[str, dict] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    checked: set = field(default_factory=set)  # files run through
    refs_due: set = field(default_factory=set)  # files whose references wait for every node file's keys

    def run(self, files: set) -> None:
        schema, tables = self.schema, self.tables
        for spec in schema.nodes.values():
            if spec.file in files and spec.file in tables:
                self.keys[spec.label] = _node_keys(spec, tables[spec.file], self.problems)
        for rel in schema.rels.values():
            if rel.own_file and rel.file in files and rel.file in tables:
                _rel_keys(rel, tables[rel.file], self.problems)
        self.checked |= files
        self.refs_due |= files
        if {spec.file for spec in schema.nodes.values() if spec.file} <= self.checked:
            _check_refs(tables, self.keys, schema, self.problems, self.refs_due)
            self.refs_due = set()
        check_rules({f: t for f, t in tables.items() if f in files}, self.problems)
