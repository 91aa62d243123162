"""The fast way in: read a plain CSV file as Arrow columns and type it column by column.

pyarrow's multi-threaded parser reads the file, told that quotes are text, and for plain text splits it
exactly as Python's csv module does. Each column is typed through its distinct values with the row-by-row
reader's own converter (`validate._convert`), so the values are the same by construction; a number column
with many distinct values (trade values) is checked for stray characters in one byte scan and cast by
Arrow, which parses decimal text to the same correctly rounded float as Python's float().

Anything unusual returns None, and the row-by-row reader reads the file again and words every problem with
its line: a header problem, a ragged or blank row, a blank required cell, a value that does not convert,
or a value that is not plain (not ASCII, a quote, a control character, a space around it). So this path
only ever accepts what that path accepts.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import grammar
from .read import MAX_FIELD  # csv's field limit: a longer field is refused by the row-by-row reader
from .schema import Prop

ODD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # read.ODD's ASCII part (checked in the header)
# every ASCII character but read.ODD's (the control characters other than tab, line feed and CR)
PRINTABLE = bytes(range(32, 128)) + b"\t\n\r"
SPACES = (b" ", b"\t")
THREADED = 8 << 20  # bytes above which Arrow parses a file with its thread pool
MANY = 20_000  # distinct values above which an int column is cast by Arrow, not converted value by value
CHARS = {"int": b"0123456789+-", "float": b"0123456789+-.eE"}  # the only characters a number may have here
INT64 = (-(2**63), 2**63 - 1)


@dataclass
class Column:
    """A typed column: the distinct raw values' typed forms and, per row, the index of its raw value —
    or (a number column with mostly distinct values, like trade values) the typed Arrow array itself."""

    values: list | None  # typed value per distinct raw value (None = blank)
    indices: np.ndarray | None  # per row: position in `values`
    numbers: pa.Array | None = None  # instead of values and indices: int64/float64, null = blank

    def __len__(self) -> int:
        return len(self.numbers) if self.numbers is not None else len(self.indices)

    def to_list(self) -> list:
        """The typed value of every row (None = blank), as the row-by-row reader gives them."""
        if self.numbers is not None:
            arr = self.numbers
            return arr.to_numpy(zero_copy_only=False).tolist() if arr.null_count == 0 else arr.to_pylist()
        if len(self.values) == 1:  # one value throughout (a source column, a column left blank)
            return self.values * len(self.indices)
        return objects(self.values)[self.indices].tolist()

    def distinct(self) -> set:
        """The typed values the column holds (None = blank)."""
        return set(self.to_list()) if self.numbers is not None else set(self.values)

    def blank(self) -> np.ndarray | None:
        """Per row: is the cell blank? (None: no cell is.)"""
        if self.numbers is not None:
            return self.numbers.is_null().to_numpy(zero_copy_only=False) if self.numbers.null_count else None
        none = [i for i, v in enumerate(self.values) if v is None]
        return np.isin(self.indices, none) if none else None


def objects(values: list) -> np.ndarray:
    """The values as a 1-d numpy object array (np.array would nest tuples and lists into more dimensions)."""
    return np.array(values + [None], dtype=object)[:-1]


class ColumnLists(MutableMapping):
    """A validated file's columns by name, as lists (None = blank), made from the typed columns the first time
    each is read: trade's million rows stay coded until a row-by-row reader (a store, the networkx edges)
    asks for them; bulk readers use `coded`. Reading a column from several threads is safe (one list wins)."""

    def __init__(self, columns: dict[str, Column], names, rows: int):
        self._coded = columns
        self._names = list(names)  # the file's columns, in schema order (absent ones: all blank)
        self._rows = rows
        self._lists: dict[str, list] = {}

    def coded(self, name: str) -> Column | None:
        """The typed column (None when the file did not have it, or it has been replaced)."""
        return self._coded.get(name)

    def __getitem__(self, name: str) -> list:
        got = self._lists.get(name)
        if got is None:
            if name not in self._names:
                raise KeyError(name)
            col = self._coded.get(name)
            got = self._lists.setdefault(name, col.to_list() if col is not None else [None] * self._rows)
        return got

    def __setitem__(self, name: str, values: list) -> None:
        if name not in self._names:
            self._names.append(name)
        self._coded.pop(name, None)
        self._lists[name] = values

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._coded.pop(name, None)
        self._lists.pop(name, None)

    def __contains__(self, name) -> bool:
        return name in self._names

    def __iter__(self):
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


def _first_line(path: Path, limit: int = 1 << 20) -> bytes | None:
    """The header line (None: unreadable, or longer than any header of ours)."""
    try:
        with path.open("rb") as f:
            line = f.readline(limit)
    except OSError:
        return None
    return None if len(line) == limit and not line.endswith(b"\n") else line


def _header(line: bytes, expected: list[str], required: set[str]) -> list[str] | None:
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError:
        return None  # a byte-order mark, or a name that is not plain ASCII
    header = [h.strip() for h in text.split(",")]
    if (
        '"' in text
        or ODD.search(text)
        or len(set(header)) != len(header)
        or not set(header) <= set(expected)
        or not required <= set(header)
        or len(header) == 1
        and len(expected) > 1
    ):
        return None
    return header


def _parse(path: Path, header: list[str], props: dict[str, Prop]) -> pa.Table | None:
    """Every column as dictionary-coded text (few distinct values), floats as plain text."""
    types = {c: pa.string() if props[c].type == "float" else pa.dictionary(pa.int32(), pa.string()) for c in header}
    try:
        return pacsv.read_csv(
            str(path),  # Arrow reads the file itself, block by block, while it parses
            # a small file is parsed in this thread: in Arrow's shared pool it would queue behind the big file
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=1, use_threads=path.stat().st_size > THREADED
            ),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=False, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[], strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException, OSError):
        return None  # a ragged or blank row, text that is not UTF-8: the row-by-row reader says which


def _odd_or_spaced(uniques: list[str]) -> bool:
    """Is a value not plain — a character that is not ASCII (Python's strip and the row-by-row reader's
    checks know more of Unicode), a quote (Arrow was told to read quotes as text), a control character
    (read.ODD) — or has it a space or tab at either end (what str.strip would remove from plain ASCII text)?
    A few scans in C over all values joined (none holds a line break)."""
    try:
        joined = "\n".join(uniques).encode("ascii")
    except UnicodeEncodeError:
        return True
    return bool(
        joined.translate(None, PRINTABLE)
        or b'"' in joined
        or joined[:1] in SPACES
        or joined[-1:] in SPACES
        or any(pair in joined for pair in (b" \n", b"\t\n", b"\n ", b"\n\t"))
    )


def _one_by_one(prop: Prop, uniques: list[str], convert, is_iso3) -> list | None:
    if _odd_or_spaced(uniques) or max(map(len, uniques), default=0) > MAX_FIELD:
        return None  # a space around a value: the row-by-row reader strips it (and it may then be a duplicate)
    if prop.type == "string" and not prop.pattern and prop.check is None:  # text as it stands
        if prop.required and "" in uniques:
            return None
        return [x or None for x in uniques]
    out = []
    for raw in uniques:
        if raw == "":
            if prop.required:
                return None
            out.append(None)
            continue
        value, why = convert(prop, raw)
        if why or prop.check == "iso3" and not is_iso3(value):
            return None
        out.append(value)
    return out


def _text_ok(text: pa.Array, prop: Prop) -> np.ndarray | None:
    """Per row, is the cell blank? — or None when a cell is too long, has a character no number of this type
    has (a space, an underscore, a letter other than e/E), or the column holds nulls. One pass over the bytes."""
    if text.type != pa.string() or text.null_count:
        return None
    _, offsets, data = text.buffers()
    ends = np.frombuffer(offsets, np.int32)[text.offset : text.offset + len(text) + 1]
    lengths = np.diff(ends)
    if len(lengths) and lengths.max() > MAX_FIELD:
        return None
    body = memoryview(data)[ends[0] : ends[-1]] if len(ends) and data is not None else b""
    if bytes(body).translate(None, CHARS[prop.type]):
        return None
    return lengths == 0


def _number_array(prop: Prop, text: pa.Array) -> pa.Array | None:
    """Numbers cast by Arrow: the values Python's int()/float() give (both round decimal text correctly), None
    where blank. Every cell that is not blank must match grammar.py's pattern for its type — the grammar the
    row-by-row reader uses — checked by Arrow's regex engine in C, so Arrow's cast never decides what a number
    is (tests/test_columnar checks every text of number characters up to four long)."""
    blank = _text_ok(text, prop)
    if blank is None or prop.required and blank.any():
        return None
    if not _follows_grammar(prop, text, blank):
        return None
    if blank.any():
        text = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), text)
    try:
        typed = pc.cast(text, pa.int64() if prop.type == "int" else pa.float64())
    except (pa.ArrowInvalid, pa.ArrowException):
        return None  # malformed, or an integer beyond 64 bits
    bounds = pc.min_max(typed).as_py()
    lo, hi = bounds["min"], bounds["max"]
    if lo is not None and (prop.min is not None and lo < prop.min or prop.max is not None and hi > prop.max):
        return None
    if prop.type == "float" and not pc.all(pc.is_finite(typed)).as_py():
        return None  # 1e999: Python reads inf, which the row-by-row reader refuses
    return typed


def _follows_grammar(prop: Prop, text: pa.Array, blank: np.ndarray) -> bool:
    """Does every cell that is not blank match grammar.ANCHORED[prop.type]?"""
    matched = pc.match_substring_regex(text, grammar.ANCHORED[prop.type])
    return bool(pc.all(pc.or_(matched, pa.array(blank))).as_py())


def _numbers(prop: Prop, text: pa.Array) -> list | None:
    """_number_array's values as a list (None = blank)."""
    typed = _number_array(prop, text)
    return None if typed is None else Column(None, None, typed).to_list()


def typed_column(prop: Prop, column: pa.ChunkedArray, convert, is_iso3) -> Column | None:
    """The column typed as the row-by-row reader types it, or None if any value would be a problem."""
    if column.type == pa.string():  # a float column, read as text
        typed = _number_array(prop, column.combine_chunks() if column.num_chunks else pa.array([], pa.string()))
        return None if typed is None else Column(None, None, typed)
    arr = (
        column.unify_dictionaries().combine_chunks()
        if column.num_chunks > 1
        else column.chunk(0)
        if column.num_chunks
        else pa.array([], pa.string()).dictionary_encode()
    )
    uniques = arr.dictionary
    if prop.type == "int" and len(uniques) > MANY:
        values = _numbers(prop, uniques)
    else:
        values = _one_by_one(prop, uniques.to_pylist(), convert, is_iso3)
    if values is None:
        return None
    return Column(values, arr.indices.to_numpy(zero_copy_only=False))


def _has_blank_row(columns: list[Column], rows: int) -> bool:
    """Is there a record whose every cell is blank? (The row-by-row reader refuses it.)"""
    blank = np.ones(rows, dtype=bool)
    for col in columns:
        mask = col.blank()
        if mask is None:
            return False
        blank &= mask
    return bool(rows and blank.any())


def parse_file(path: Path, props: dict[str, Prop]) -> pa.Table | None:
    """The file split into text columns when its header is plain (see the module docstring), else None. Arrow
    parses without holding the GIL, so the next file can be parsed while this one is typed."""
    line = _first_line(path)
    header = None if not line else _header(line, list(props), {n for n, p in props.items() if p.required})
    return None if header is None else _parse(path, header, props)


def type_columns(
    table: pa.Table | None, props: dict[str, Prop], convert, is_iso3
) -> tuple[dict[str, Column], int] | None:
    """The typed columns of a parsed file and its number of records — or None (the row-by-row reader then
    reads the file). `props`: the file's columns; `convert`, `is_iso3`: validate's own checks."""
    if table is None:
        return None
    columns = {}
    for name in table.column_names:
        col = typed_column(props[name], table.column(name), convert, is_iso3)
        if col is None:
            return None
        columns[name] = col
    if _has_blank_row(list(columns.values()), table.num_rows):
        return None
    return columns, table.num_rows


def read_columns(path: Path, props: dict[str, Prop], convert, is_iso3) -> tuple[dict[str, Column], int] | None:
    """parse_file, then type_columns."""
    return type_columns(parse_file(path, props), props, convert, is_iso3)


def typed_codes(col: Column, ids: dict) -> np.ndarray:
    """Per row, a number for its typed value, from `ids` (typed value -> number, grown as needed): equal
    typed values get equal numbers — "2008" and "+2008" too — in this column and in any other column
    coded with the same `ids`."""
    remap = np.array([ids.setdefault(v, len(ids)) for v in col.values] or [0], dtype=np.int64)
    return remap[col.indices]


def unique_rows(columns: list[Column]) -> bool | None:
    """True when no two rows agree on every one of these typed columns (None: too many combinations to
    tell this way). Typed values, not raw text, decide: "2000" and "+2000" are the same year."""
    if any(c.indices is None for c in columns):
        return None
    rows = len(columns[0].indices) if columns else 0
    code = np.zeros(rows, dtype=np.int64)
    span = 1
    for col in columns:
        ids: dict = {}
        codes = typed_codes(col, ids)
        span *= max(len(ids), 1)
        if span >= 2**62:
            return None
        code *= max(len(ids), 1)  # in place: a million rows, one array
        code += codes
    if rows < 2:
        return True
    if span <= 8 * rows:  # few combinations (trade: 200 x 200 x 25 x 2 for a million rows): count them
        return int(np.bincount(code, minlength=1).max()) <= 1
    code.sort()
    return not bool(np.any(code[1:] == code[:-1]))
