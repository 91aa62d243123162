"""The fast, columnar way in (graph_loader/columnar.py) accepts only what the row-by-row reader accepts,
and types every value exactly as it does."""

from __future__ import annotations

import itertools
import math
import os
import unicodedata
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from graph_loader import columnar, grammar
from graph_loader.errors import DataError
from graph_loader.read import read_table
from graph_loader.schema import Prop
from graph_loader.validate import _convert, convert_column, is_iso3, validate

set_hypothesis_home_dir(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "outreach-graph" / "hypothesis"
)
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PROPS = {
    "code": Prop("code", "string", required=True),
    "year": Prop("year", "int", min=1980, max=2100),
    "value": Prop("value", "float", min=0),
    "flag": Prop("flag", "bool"),
    "kind": Prop("kind", "enum", values=("land", "sea")),
    "day": Prop("day", "date"),
    "tags": Prop("tags", "list"),
    "iso": Prop("iso", "string", check="iso3"),
}
# Cells worth trying in each column: valid forms (some only after stripping), then near misses
VALID = {
    "code": ["A1", "b-2", "x y"],
    "year": ["2008", "+2008", "02008", "2100", ""],
    "value": ["1", "1.5", ".5", "5.", "1e3", "1E-2", "+0.25", "0", ""],
    "flag": ["true", "FALSE", "Yes", "n", "1", "0", "t", ""],
    "kind": ["land", "sea", ""],
    "day": ["2008-01-31", "", "2008-02-29"],
    "tags": ["a;b", "a; ;b", ";", "", "x"],
    "iso": ["THA", "CHN", ""],
}
ODD_BUT_VALID = {"code": [" A1", "A1 ", '"A1"', "\u00a0A1", "é"], "year": [" 1980"], "value": [" 2"], "kind": [" sea"]}
INVALID = {
    "code": ["", "\x07", "A\u202e1", "\u2066A1"],
    "year": [
        "1979",
        "2101",
        "20.0",
        "2e3",
        "x",
        "99999999999999999999",
        "-0",
        "２００８",
        "2_008",
        "\u0662\u0660\u0660\u0668",
    ],
    "value": ["-1", "inf", "nan", "0x1", "1e999", "1.2.3", "1_0", "１００", "\u0663"],
    "flag": ["maybe", "2"],
    "kind": ["Land", "air"],
    "day": ["2008-02-30", "2008-1-1", "20080101", "2008-W05-1", "２００８-01-31"],
    "tags": [],
    "iso": ["XXX", "tha"],
}


def _row_by_row(path: Path) -> tuple[dict | None, list]:
    problems: list = []
    table = read_table(path, list(PROPS), {n for n, p in PROPS.items() if p.required}, problems)
    if table is None:
        return None, problems
    return {n: convert_column(table, p, problems) for n, p in PROPS.items()}, problems


ACCEPTED: list[int] = []  # files the fast path took (a generator that never feeds it proves nothing)


def _typed(values: list) -> list:
    return [(type(v).__name__, v) for v in values]


@st.composite
def _files(draw) -> str:
    """Mostly valid files (so that the fast path has something to accept); some with one cell that is valid
    only after stripping or by Python's looser rules, some with one bad cell."""
    cols = draw(st.permutations(list(PROPS)))
    rows = draw(st.lists(st.lists(st.sampled_from(range(100))), min_size=0, max_size=12))
    cells = [[VALID[c][i % len(VALID[c])] for c, i in zip(cols, r + [0] * len(cols))] for r in rows]
    change = [ODD_BUT_VALID, INVALID, None][draw(st.integers(0, 2))]
    if cells and change:
        row, col = draw(st.integers(0, len(cells) - 1)), draw(st.integers(0, len(cols) - 1))
        other = change.get(cols[col])
        if other:
            cells[row][col] = draw(st.sampled_from(other))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    body = "".join(",".join(r) + end for r in cells)
    if draw(st.booleans()) and body:
        body = body[: -len(end)]  # no final line break
    return ",".join(cols) + end + body


@pytest.mark.parametrize("many", [0, columnar.MANY])
@EXAMPLES
@given(text=_files())
@example(text="code,year,value\n A1,2008,1\nB ,2009,2\n")
@example(text="code,value,flag\nA,1_0,yes\nB,1e3,T\n")
@example(text="code,year,value\nA,２００８,１００\nB,2009,\u0663\n")
@example(text="code,year\nA,+2008\nB,02008")
def test_the_fast_path_accepts_only_what_the_row_by_row_reader_accepts_and_types_it_the_same(
    tmp_path, text, many, monkeypatch
):
    monkeypatch.setattr(columnar, "MANY", many)  # many=0: every int column goes through Arrow's cast
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    slow, problems = _row_by_row(path)
    fast = columnar.read_columns(path, PROPS, _convert, is_iso3)
    if fast is None:
        return
    columns, rows = fast
    ACCEPTED.append(rows)
    assert problems == [] and slow is not None, "the fast path accepted a file the row-by-row reader refuses"
    assert rows == len(next(iter(slow.values())))
    for name, col in columns.items():
        assert _typed(col.to_list()) == _typed(slow[name]), name


def test_the_generated_files_do_feed_the_fast_path():
    assert len(ACCEPTED) >= 40 and sum(ACCEPTED) >= 200  # run after the property above (file order)


def test_a_blank_row_is_left_to_the_row_by_row_reader_even_when_no_column_is_required(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("year,flag\n2008,yes\n,\n", encoding="utf-8")
    optional = {n: PROPS[n] for n in ("year", "flag")}
    assert columnar.read_columns(path, optional, _convert, is_iso3) is None
    path.write_text("year,flag\n2008,\n,yes\n", encoding="utf-8")
    assert columnar.read_columns(path, optional, _convert, is_iso3) is not None


def test_a_plain_file_with_every_value_valid_takes_the_fast_path(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("year,value,code,flag\n+2008,1e3,A,yes\n2009,.5,B,\n", encoding="utf-8")
    columns, rows = columnar.read_columns(path, PROPS, _convert, is_iso3)
    assert rows == 2
    assert columns["year"].to_list() == [2008, 2009]
    assert columns["value"].to_list() == [1000.0, 0.5]
    assert columns["flag"].to_list() == [True, None]


@pytest.mark.parametrize("text", ["code,year\r\nA,2008\r\nB,2009", "code,year\nA,2008\rB,2009\r\n"])
def test_windows_and_mixed_line_ends_take_the_fast_path_and_read_as_the_row_by_row_reader_reads_them(tmp_path, text):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    columns, rows = columnar.read_columns(path, PROPS, _convert, is_iso3)
    problems: list = []
    table = read_table(path, list(PROPS), {"code"}, problems)
    assert problems == [] and list(table.lines) == [2, 3] and rows == 2
    assert {n: c.to_list() for n, c in columns.items()} == {"code": ["A", "B"], "year": [2008, 2009]}


@pytest.mark.parametrize(
    "text, why",
    [
        ('code,year\n"A",2008\n', "a quote"),
        ("code,year\nA,2008\n\nB,2009\n", "a blank line"),
        ("code,year\nA,2008\n,\n", "an all-blank row"),
        ("code,year\nA,2008,7\n", "a ragged row"),
        ("code,yeer\nA,2008\n", "an unknown column"),
        ("year\n2008\n", "a missing required column"),
        ("code,year\nÄ,2008\n", "non-ASCII text"),
        ("code,year\nA, 2008\n", "a space around a value"),
        ("code,year\nA,1979\n", "a value out of range"),
    ],
)
def test_anything_unusual_is_left_to_the_row_by_row_reader(tmp_path, text, why):
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert columnar.read_columns(path, PROPS, _convert, is_iso3) is None, why


decimal_text = st.one_of(
    st.from_regex(r"\A[+-]?([0-9]{1,20}\.?[0-9]{0,20}|\.[0-9]{1,20})([eE][+-]?[0-9]{1,3})?\Z"),
    st.floats(allow_nan=False, allow_infinity=False).map(repr).filter(lambda s: "inf" not in s),
    st.floats(min_value=0, max_value=1e6).map(lambda x: f"{x:.17g}"),
)


@EXAMPLES
@given(texts=st.lists(decimal_text, min_size=1, max_size=30))
def test_arrow_reads_decimal_text_as_exactly_the_float_python_reads(texts):
    got = columnar._numbers(Prop("v", "float"), pa.array(texts))
    want = [float(t) for t in texts]
    if any(abs(x) == float("inf") for x in want):
        assert got is None  # the row-by-row reader refuses infinities too
    else:
        assert got == want and all(type(x) is float for x in got)


@EXAMPLES
@given(
    values=st.lists(
        st.text(st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\n\r"), max_size=6), max_size=6
    )
)
@example(values=["a", "\tb"])
@example(values=["a\t", "b"])
@example(values=["", " "])
@example(values=["a", 'b"'])
@example(values=["\u00a0a"])
def test_a_value_is_odd_or_spaced_exactly_when_it_is_not_plain_or_strip_would_change_it(values):
    want = any(columnar.ODD.search(v) or v != v.strip() or '"' in v or not v.isascii() for v in values)
    assert columnar._odd_or_spaced(values) == want


def _python_reads(kind: str, text: str):
    """What the row-by-row reader reads: grammar.py's number, finite."""
    value = grammar.parse_int(text) if kind == "int" else grammar.parse_float(text)
    return value if value is None or kind == "int" or math.isfinite(value) else None


@pytest.mark.parametrize("kind", ["int", "float"])
def test_every_short_text_of_number_characters_that_arrow_accepts_python_reads_as_the_same_number(kind):
    chars = columnar.CHARS[kind].decode()
    texts = ["".join(t) for n in range(1, 5) for t in itertools.product(chars, repeat=n)]
    accepted = 0
    for text in texts:
        got = columnar._numbers(Prop("v", kind), pa.array([text]))
        if got is not None:
            accepted += 1
            assert got == [_python_reads(kind, text)] and type(got[0]) is type(_python_reads(kind, text)), text
    assert accepted > 1000  # the cast did accept many texts ("1e5", "-.5", "+12"), so the check means something


def test_no_duplicate_keys_is_decided_on_typed_values(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("code,year\nA,2008\nA,+2008\nB,2008\n", encoding="utf-8")
    columns, _ = columnar.read_columns(path, PROPS, _convert, is_iso3)
    assert columnar.unique_rows([columns["code"]]) is False
    assert columnar.unique_rows([columns["code"], columns["year"]]) is False  # 2008 and +2008 are one year
    assert columnar.unique_rows([columns["year"], columns["code"]]) is False
    path.write_text("code,year\nA,2008\nA,2009\nB,2008\n", encoding="utf-8")
    columns, _ = columnar.read_columns(path, PROPS, _convert, is_iso3)
    assert columnar.unique_rows([columns["code"], columns["year"]]) is True


def test_a_trade_row_repeated_with_its_year_written_differently_is_refused_as_a_duplicate(tiny_copy):
    trade = tiny_copy / "trade.csv"
    trade.write_text(trade.read_text(encoding="utf-8") + "THA,CHN,+2008,5,IMF_DOTS,false,fixture\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        validate(tiny_copy)
    assert any(
        p.file == "trade.csv" and "duplicate row for THA/CHN/2008/IMF_DOTS" in p.message for p in e.value.problems
    )


def test_a_field_longer_than_the_csv_field_limit_is_left_to_the_row_by_row_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(columnar, "MAX_FIELD", 5)
    path = tmp_path / "f.csv"
    for text, fast in [
        ("code,value\nABCDE,1.234\n", True),
        ("code,value\nABCDEF,1.234\n", False),
        ("code,value\nA,1.2345\n", False),
    ]:
        path.write_text(text, encoding="utf-8")
        assert (columnar.read_columns(path, PROPS, _convert, is_iso3) is not None) is fast, text


def test_a_file_without_an_optional_key_column_is_checked_for_duplicates_without_it(tiny_copy):
    path = tiny_copy / "contiguity.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    drop = rows[0].split(",").index("from_year")
    path.write_text(
        "".join(",".join(c for i, c in enumerate(r.split(",")) if i != drop) + "\n" for r in rows), encoding="utf-8"
    )
    ds = validate(tiny_copy)  # from_year is part of the key but optional: absent means blank
    assert all(v is None for v in ds.tables["contiguity.csv"].data["from_year"])


def test_column_lists_make_each_list_once_when_read_and_behave_as_a_mapping_of_lists(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("code,value\nA1,1.5\nB2,\nA1,3\n", encoding="utf-8")
    columns, rows = columnar.read_columns(
        path, {"code": PROPS["code"], "value": PROPS["value"], "year": PROPS["year"]}, _convert, is_iso3
    )
    data = columnar.ColumnLists(columns, ["code", "value", "year"], rows)
    assert list(data) == ["code", "value", "year"] and len(data) == 3 and "year" in data and "x" not in data
    assert data._lists == {}  # nothing made yet
    assert data["value"] == [1.5, None, 3.0] and data["value"] is data["value"]  # made once, then kept
    assert data["year"] == [None, None, None]  # a column the file does not have: all blank
    assert data.get("x") is None and dict(data) == {
        "code": ["A1", "B2", "A1"],
        "value": [1.5, None, 3.0],
        "year": [None, None, None],
    }
    assert data.coded("code").distinct() == {"A1", "B2"}
    data["key"] = ["k1", "k2", "k3"]  # a composite key added by validation
    assert list(data) == ["code", "value", "year", "key"] and data["key"] == ["k1", "k2", "k3"]


@pytest.mark.parametrize(
    "kind, texts",
    [
        ("int", ["２００８", "\u0662\u0660\u0660\u0668", "2_008", "\u0968"]),
        ("float", ["１００", "\u0663", "1_0", "1_000.5", "inf", "nan", "Infinity", "1e999"]),
    ],
)
def test_the_fast_path_refuses_every_number_the_grammar_refuses(tmp_path, kind, texts, monkeypatch):
    """Every number outside grammar.py: through the distinct-values path, Arrow's cast (int columns with many
    values, float columns) and validate._fast_column — none of them accepts one."""
    from graph_loader.validate import _fast_column

    prop = Prop("v", kind)
    for text in texts:
        assert _fast_column(prop, ["1", text]) is None, text
        assert _convert(prop, text)[1] is not None, text
        assert columnar._numbers(prop, pa.array(["1", text])) is None, text
        path = tmp_path / "f.csv"
        path.write_text(f"code,{'year' if kind == 'int' else 'value'}\nA,2008\nB,{text}\n", encoding="utf-8")
        for many in (0, columnar.MANY):
            monkeypatch.setattr(columnar, "MANY", many)
            assert columnar.read_columns(path, PROPS, _convert, is_iso3) is None, (text, many)


def test_the_grammar_arrow_checks_is_the_grammar_python_checks():
    """columnar hands grammar.ANCHORED to Arrow's RE2; on every short text of number characters (and some
    others) both engines agree."""
    chars = "0123456789+-.eE_ x"
    texts = ["".join(t) for n in range(1, 4) for t in itertools.product(chars, repeat=n)] + [
        "２",
        "\u0663",
        "1\n",
        "\n1",
        "12345678901234567890",
    ]
    for kind, check in (("int", grammar.is_int), ("float", grammar.is_float)):
        arrow = pc.match_substring_regex(pa.array(texts), grammar.ANCHORED[kind]).to_pylist()
        assert arrow == [check(t) for t in texts], kind


@pytest.mark.parametrize("char", "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
def test_a_bidirectional_control_never_takes_the_fast_path(tmp_path, char):
    path = tmp_path / "f.csv"
    path.write_text(f"code,year\nA{char}1,2008\nB,2009\n", encoding="utf-8")
    assert columnar.read_columns(path, PROPS, _convert, is_iso3) is None
    slow, problems = _row_by_row(path)
    assert slow is None and [str(p) for p in problems] == [
        f"f.csv:2: code: bidirectional control character U+{ord(char):04X} ({unicodedata.name(char)}), which is "
        "invisible and changes the order in which the text around it is displayed, so one key or name can "
        "display as another (expected text without direction controls)"
    ]
