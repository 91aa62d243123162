"""Property-based tests (hypothesis): random valid and invalid data folders drawn from the schema.

Valid folders — a small tools/synth.py folder plus drawn, validity-preserving edits of the columns the schema
types as free text (any Unicode: quotes, commas, line breaks, HTML, spreadsheet formulas, control characters)
and of its numeric columns (drawn inside the schema's ranges) — always load, and round-trip unchanged through
every export format, the embedded store and a Neo4j sync. Invalid folders — a valid one with ONE drawn
breaking mutation from a catalogue derived from the schema — are always refused with a DataError whose
problems name the file, line and field that was broken, and the CLI says so in `file:line: field: reason`
lines, without a traceback and without writing a file. Arbitrary bytes in any data file load or are refused
with a DataError, never another exception.

Every column list comes from graph_loader/schema.yaml (via graph_loader.schema), so the tests follow the schema.
Examples are derandomised (the same examples on every run and in CI); no example database is kept, and
Hypothesis's caches go to ~/.cache/outreach-graph/hypothesis, not into the repository.

Seven product bugs the properties found (now fixed) are pinned at the end of the module by one explicit example
each, so they stay fixed.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import math
import os
import re
import shutil
import tempfile
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from conftest import ROOT
from graph_loader import cli
from graph_loader.errors import DataError, one_line
from graph_loader.export import FORMATS, export_graph
from graph_loader.graph import as_built, iter_edges
from graph_loader.pipeline import load
from graph_loader.schema import Prop, load_schema
from graph_loader.validate import endpoint_columns, file_columns

# Hypothesis keeps caches (Unicode tables, constants seen in the code) in a .hypothesis folder, by default in
# the working directory: keep them out of the repository, beside the project's other caches
_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
set_hypothesis_home_dir(_CACHE / "outreach-graph" / "hypothesis")

_spec = importlib.util.spec_from_file_location("outreach_synth", ROOT / "tools" / "synth.py")
synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synth)

SCHEMA = load_schema()
FILES = SCHEMA.files()

# Derandomised: the same examples on every run (they change only with the test's code), and no .hypothesis
# folder. For a longer hunt: OUTREACH_PROPERTY_SCALE=10 runs ten times the examples, OUTREACH_PROPERTY_RANDOM=1
# new ones on every run.
_SCALE = int(os.environ.get("OUTREACH_PROPERTY_SCALE", "1"))
_COMMON = dict(
    deadline=None,
    database=None,
    derandomize=not os.environ.get("OUTREACH_PROPERTY_RANDOM"),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def _settings(examples: int, **kw) -> settings:
    return settings(max_examples=examples * _SCALE, **_COMMON, **kw)


CHEAP = _settings(40)  # a load and a check: well under a second each
EXPORTS = _settings(25)  # a load, an export and a read-back
STORE = _settings(8)  # builds a Ladybug database (2-5 s each under load)
# three syncs and three snapshots of a real server (10-15 s); no shrinking (minutes of syncs): a failing
# example is reported as drawn, and its Data repr is the recipe
NEO4J = _settings(6, phases=[Phase.explicit, Phase.reuse, Phase.generate])
BROKEN = _settings(12)  # per mutation kind (sixteen kinds)
FUZZ = _settings(200)


# ------------------------------------------------------------------------------------ the schema's columns
def _references(filename: str) -> dict[str, set[str]]:
    """Columns of a file that refer to nodes (relationship endpoints), with the labels they may name;
    the file's own key is not a reference."""
    own = SCHEMA.node_for_file(filename)
    out: dict[str, set[str]] = {}
    for rel in SCHEMA.rels_in_file(filename):
        for col, labels in endpoint_columns(rel):
            if own and col == own.key and labels == (own.label,):
                continue
            out.setdefault(col, set()).update(labels)
    return out


def _key_columns(filename: str) -> set[str]:
    node = SCHEMA.node_for_file(filename)
    if node:
        return {node.key, *node.key_columns}
    return {c for rel in SCHEMA.rels_in_file(filename) if rel.own_file for c in rel.key}


def _duplicate_field(filename: str) -> str:
    """The field a duplicate-key problem names: the node key (or its key columns), or the relationship key."""
    node = SCHEMA.node_for_file(filename)
    if node:
        return "+".join(node.key_columns) if node.key_columns else node.key
    return "+".join(next(rel.key for rel in SCHEMA.rels_in_file(filename) if rel.own_file))


# Columns that graph_loader/rules.py ties to other columns (dates agree with year/month, periods end after they
# start, the category follows from the elements, a leaving month needs a year). The schema cannot express
# these, so drawn numbers leave them alone; free text and floats are never rule-bound.
RULE_BOUND = {
    "year",
    "month",
    "from_year",
    "to_year",
    "start_year",
    "end_year",
    "leaving_year",
    "leaving_month",
    "leaving_from_year",
    "leaving_from_month",
    "category",
}


@dataclass(frozen=True)
class Column:
    file: str
    name: str
    prop: Prop


def _editable(filename: str) -> list[Column]:
    """Columns whose values can be redrawn without breaking validity: free text (string/list without pattern
    or code check) and numbers, never keys or references."""
    fixed = set(_references(filename)) | _key_columns(filename)
    out = []
    for name, p in file_columns(SCHEMA, filename).items():
        if name in fixed or p.computed:
            continue
        text = p.type in ("string", "list") and not p.pattern and not p.check
        number = p.type == "float" or p.type == "int" and name not in RULE_BOUND
        if text or number:
            out.append(Column(filename, name, p))
    return out


EDITABLE = {f: _editable(f) for f in FILES}
# a node file's columns of which every record needs at least one (schema `at_least_one`)
AT_LEAST_ONE = {spec.file: tuple(getattr(spec, "at_least_one", ())) for spec in SCHEMA.nodes.values() if spec.file}
assert any(c.prop.type == "string" for cols in EDITABLE.values() for c in cols)
assert any(c.prop.type == "float" for cols in EDITABLE.values() for c in cols)


# ------------------------------------------------------------------------------------------- CSV writing
BREAK = re.compile(r"\r\n|\r|\n")  # a line ends at CR LF, CR or LF (as the loader reads: universal newlines)


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


@dataclass
class Rendered:
    """One CSV file as text, with the character offsets at which every record and field starts (0 = header)."""

    text: str
    begins: list[int]
    fields: list[list[int]]

    def line(self, offset: int) -> int:
        return 1 + len(BREAK.findall(self.text, 0, offset))

    def record_line(self, i: int) -> int:
        """Line on which data record i (0-based) starts."""
        return self.line(self.begins[i + 1])


def render(header: list[str], rows: list[list[str]]) -> Rendered:
    out, begins, fields, pos = [], [], [], 0
    for row in [header, *rows]:
        begins.append(pos)
        starts = []
        for j, value in enumerate(row):
            if j:
                out.append(",")
                pos += 1
            starts.append(pos)
            cell = _cell(value)
            out.append(cell)
            pos += len(cell)
        out.append("\n")
        pos += 1
        fields.append(starts)
    return Rendered("".join(out), begins, fields)


@lru_cache(maxsize=64)
def synth_tables(countries: int, years: int, activities: int, seed: int) -> dict:
    """The files of one synthetic folder as {file: (header, rows)} (immutable; copied before editing)."""
    with tempfile.TemporaryDirectory() as d:
        synth.generate(Path(d), countries=countries, years=years, activities=activities, seed=seed)
        out = {}
        for name in FILES:
            with (Path(d) / name).open(encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f))
            out[name] = (tuple(rows[0]), tuple(map(tuple, rows[1:])))
    return out


class Data:
    """A drawn data folder: every file's header and rows, and the edits drawn on top of the synthetic base."""

    def __init__(self, params: tuple, tables: dict, edits: dict):
        self.params, self.tables, self.edits = params, tables, edits

    def __repr__(self) -> str:  # hypothesis prints this for a failing example: the recipe, not 2,000 rows
        c, y, a, s = self.params
        return f"Data(synth(countries={c}, years={y}, activities={a}, seed={s}), edits={self.edits!r})"

    @classmethod
    def synth(cls, params: tuple) -> Data:
        """The synthetic folder of (countries, years, activities, seed), unedited."""
        return cls(
            params, {f: (list(h), [list(r) for r in rows]) for f, (h, rows) in synth_tables(*params).items()}, {}
        )

    def copy(self) -> Data:
        return Data(
            self.params,
            {f: (list(h), [list(r) for r in rows]) for f, (h, rows) in self.tables.items()},
            dict(self.edits),
        )

    def rendered(self, name: str) -> Rendered:
        return render(*self.tables[name])

    def write(self, folder: Path, replace: dict[str, bytes] | None = None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            raw = (replace or {}).get(name)
            (folder / name).write_bytes(raw if raw is not None else self.rendered(name).text.encode("utf-8"))
        return folder

    def keys(self, label: str) -> set[str]:
        spec = SCHEMA.nodes[label]
        header, rows = self.tables[spec.file]
        i = header.index(spec.key)
        return {r[i].strip() for r in rows}


# --------------------------------------------------------------------------------------- drawn values
# All of Unicode that a UTF-8 file can hold, but what the loader refuses (graph_loader/read.py ODD): NUL, U+FEFF
# after the start, the C0 controls but TAB/LF/CR and U+FFFE/U+FFFF — signs of binary data, of files pasted
# together, of terminal escapes; XML cannot hold them. They belong to the invalid datasets.
REFUSED_CHARS = (
    "\x00\ufeff\ufffe\uffff"
    + "".join(map(chr, [*range(1, 9), 11, 12, *range(14, 32)]))
    + "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]))
)  # bidi controls
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_characters=REFUSED_CHARS), max_size=30)
HOSTILE = st.sampled_from(
    [
        '=HYPERLINK("http://evil","x")',
        "+1",
        "-1+2",
        "@SUM(1)",
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(1)</script>",
        "a, b, c",
        'say "hi"',
        "two\nlines",
        "crlf\r\nline",
        "cr\ronly",
        "'}) DETACH DELETE n //",
        "$param",
        "  padded  ",
        "tab\there",
        "esc[31mred",
        "del\x7f",
        "c1\x9b31m",
        "\u2028sep\u2029",
        "emoji \U0001f600",
        "x" * 300,
        "&amp; &lt;",
        "]]>",
        "\\N",
        "NULL",
        "None",
        "nan",
        "true",
        "1e309",
        ";",
        "a;;b; c",
    ]
)
FREE_TEXT = st.one_of(ANY_TEXT, HOSTILE, st.lists(st.one_of(ANY_TEXT, HOSTILE), min_size=2, max_size=4).map("".join))


def _num_text(value, style: str) -> str:
    if style == "repr":
        return repr(value)
    if style == "padded":
        return f"  {value!r} "
    return f"{value:e}" if isinstance(value, float) else f"+{value}" if value >= 0 else str(value)


INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)


def number_values(p: Prop) -> st.SearchStrategy[str]:
    lo = None if p.min is None else p.min
    hi = None if p.max is None else p.max
    if p.type == "int":
        # an open range stops at what the stores hold, 64 bits; the loader refuses more (see
        # test_an_int_beyond_64_bits_is_refused_by_the_loader_or_held_by_the_embedded_store)
        nums = st.integers(INT64_MIN if lo is None else int(lo), INT64_MAX if hi is None else int(hi))
        edges = [int(v) for v in (lo, hi) if v is not None] + ([2**31, 2**53 + 1, INT64_MAX] if hi is None else [])
    else:
        nums = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
        edges = [float(v) for v in (lo, hi) if v is not None] + (
            [5e-324, 1e-300, 1.7976931348623157e308] if hi is None else []
        )
    nums = st.one_of(nums, st.sampled_from(edges)) if edges else nums
    texts = st.builds(_num_text, nums, st.sampled_from(["repr", "padded", "other"]))

    def in_range(t: str) -> bool:  # "%e" rounds to 7 digits: keep only what still lies in the range
        v = float(t) if p.type == "float" else int(t)
        return (lo is None or v >= lo) and (hi is None or v <= hi)

    return texts.filter(in_range)


def values_for(p: Prop, required: bool = False) -> st.SearchStrategy[str]:
    s = number_values(p) if p.type in ("int", "float") else FREE_TEXT
    if p.required or required:
        return s.filter(lambda t: t.strip() != "")
    return st.one_of(st.just(""), s)


@st.composite
def datasets(draw, countries=(8, 20), years=(1, 3), activities=(0, 40), max_edits=14):
    """A valid data folder: synth parameters (synth needs at least 8 countries) plus drawn edits."""
    params = (
        draw(st.integers(*countries)),
        draw(st.integers(*years)),
        draw(st.integers(*activities)),
        draw(st.integers(0, 5000)),
    )
    data = Data.synth(params)
    cells = [c for f in FILES for c in EDITABLE[f] if data.tables[f][1] and c.name in data.tables[f][0]]
    for _ in range(draw(st.integers(0, max_edits))):
        col = draw(st.sampled_from(cells))
        header, rows = data.tables[col.file]
        i = draw(st.integers(0, len(rows) - 1))
        value = draw(values_for(col.prop))
        group = AT_LEAST_ONE.get(col.file, ())
        if (
            col.name in group
            and not value.strip()
            and not any(rows[i][header.index(c)].strip() for c in group if c != col.name and c in header)
        ):
            value = draw(values_for(col.prop, required=True))  # the row's last figure: keep one
        rows[i][header.index(col.name)] = value
        data.edits[(col.file, i, col.name)] = value
    return data


def loaded_value(p: Prop, raw: str):
    """What the graph must hold for a CSV value (None = no attribute): values are trimmed, lists re-joined."""
    s = raw.strip()
    if s == "":
        return None
    if p.type == "int":
        return int(s)
    if p.type == "float":
        return float(s)
    if p.type == "list":
        return ";".join(x.strip() for x in s.split(";") if x.strip())
    return s


# ------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A scratch folder for drawn data folders; the embedded store's cache lives in it too."""
    base = tmp_path_factory.mktemp("properties")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OUTREACH_CACHE", str(base / "cache"))
        yield base


@contextlib.contextmanager
def folder_of(data: Data, work: Path, replace: dict[str, bytes] | None = None):
    d = Path(tempfile.mkdtemp(dir=work, prefix="data-"))
    try:
        yield data.write(d, replace)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def load_graph(data: Data, work: Path):
    with folder_of(data, work) as d:
        return load(d)


# ----------------------------------------------------------------------------------------- comparison
def _canon(value) -> str:
    return repr(value)  # exact: 1, 1.0 and True differ, as do 'true' and True


def graph_view(nodes, edges) -> tuple[dict, list]:
    """({node id: {attr: repr}}, sorted [(from, to, {attr: repr})]) — a graph's content, order-free."""
    n = {str(k): {a: _canon(v) for a, v in d.items()} for k, d in nodes}
    e = sorted(repr((str(u), str(v), sorted((a, _canon(x)) for a, x in d.items()))) for u, v, d in edges)
    return n, e


def assert_same(want: tuple[dict, list], got: tuple[dict, list], what: str) -> None:
    (wn, we), (gn, ge) = want, got
    assert set(gn) == set(wn), (
        f"{what}: nodes differ: missing {sorted(set(wn) - set(gn))[:5]}, extra {sorted(set(gn) - set(wn))[:5]}"
    )
    bad = [
        (k, {a: (wn[k].get(a), gn[k].get(a)) for a in set(wn[k]) | set(gn[k]) if wn[k].get(a) != gn[k].get(a)})
        for k in wn
        if wn[k] != gn[k]
    ]
    assert not bad, f"{what}: {len(bad)} nodes have other values (attr: (graph, read back)): {bad[:3]}"
    missing, extra = Counter(we) - Counter(ge), Counter(ge) - Counter(we)
    assert not missing and not extra, f"{what}: edges differ: missing {list(missing)[:3]}, extra {list(extra)[:3]}"


def export_and_read(g, fmt: str, work: Path):
    out = Path(tempfile.mkdtemp(dir=work, prefix="export-")) / f"graph.{fmt}"
    try:
        export_graph(g, SCHEMA, fmt, out)
        if fmt == "json":  # standard JSON: NaN / Infinity would not read in other tools
            return json.loads(out.read_text(encoding="utf-8"), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
        back = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
        assert back.is_directed() and back.is_multigraph()
        return back
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


# ---------------------------------------------------------------------------------------- valid: load
@CHEAP
@given(data=datasets())
def test_valid_datasets_always_load_with_every_edited_value_on_its_node(work, data):
    g, _ = load_graph(data, work)
    assert g.number_of_nodes() > 0 and g.number_of_edges() > 0
    values = [v for _, d in g.nodes(data=True) for v in d.values()] + [
        v
        for *_, d in iter_edges(g)
        for v in d.values()  # the bulk tables' rows too (graph.py)
    ]
    assert all(math.isfinite(v) for v in values if isinstance(v, float))  # risk scores too: never NaN or inf
    assert not any(v is None for v in values)  # missing is missing: no attribute at all
    for spec in SCHEMA.nodes.values():
        if spec.file:
            assert sum(1 for _, d in g.nodes(data=True) if d["label"] == spec.label) == len(data.tables[spec.file][1])
    for (name, i, col), raw in data.edits.items():
        spec = SCHEMA.node_for_file(name)
        if spec is None:
            continue  # a relationship file: the round trips below compare every edge
        header, rows = data.tables[name]
        key = (
            rows[i][header.index(spec.key)]
            if not spec.key_columns
            else spec.key_format.format(**{c: rows[i][header.index(c)] for c in spec.key_columns})
        )
        node = g.nodes[f"{spec.label}:{key}"]
        assert node.get(col) == loaded_value(spec.props[col], raw), (name, i, col, raw)


# -------------------------------------------------------------------------------- valid: export round trips
@EXPORTS
@given(data=datasets())
def test_valid_datasets_round_trip_through_json_unchanged(work, data):
    g, _ = load_graph(data, work)
    full = as_built(g)  # every relationship as an edge: the bulk tables' rows too (graph.py)
    doc = export_and_read(g, "json", work)
    nodes = [(x["id"], {"label": x["label"], **x["properties"]}) for x in doc["nodes"]]
    edges = [(r["from"], r["to"], {"type": r["type"], **r["properties"]}) for r in doc["relationships"]]
    assert len(nodes) == g.number_of_nodes() and len(edges) == full.number_of_edges()
    # JSON keeps every type the graph holds (str, int, float, bool; no attribute is ever None): compare all
    assert_same(graph_view(g.nodes(data=True), full.edges(data=True)), graph_view(nodes, edges), "json")


@EXPORTS
@given(data=datasets())
def test_valid_datasets_round_trip_through_graphml_unchanged(work, data):
    g, _ = load_graph(data, work)
    full = as_built(g)  # every relationship as an edge: the bulk tables' rows too (graph.py)
    back = export_and_read(g, "graphml", work)
    assert (back.number_of_nodes(), back.number_of_edges()) == (g.number_of_nodes(), full.number_of_edges())
    # GraphML declares a typed key per (name, type), so the same name may be a flag on one node and text on
    # another; edge keys are the export's edge ids, not data. Everything else must come back as it was.
    assert_same(
        graph_view(g.nodes(data=True), full.edges(data=True)),
        graph_view(back.nodes(data=True), back.edges(data=True)),
        "graphml",
    )


def gexf_expected(g) -> tuple[dict, list]:
    """What a GEXF read-back can hold: GEXF declares ONE type per attribute name, so a name whose values have
    different types (Country.partner is a flag, Activity.partner a country code) is written as text — "true" /
    "false" for flags, str() for the rest (export._one_type_per_name); the relationship type is the attribute
    `rel_type`, since GEXF's edge `type` means directed/undirected (export._gexf_types)."""

    def as_text(v):
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    def one_type(items):
        types: dict[str, set] = {}
        for d in items:
            for k, v in d.items():
                types.setdefault(k, set()).add(type(v))
        mixed = {k for k, ts in types.items() if len(ts) > 1}
        return [{k: as_text(v) if k in mixed else v for k, v in d.items()} for d in items]

    ids, ndata = zip(*g.nodes(data=True))
    ends = [(u, v) for u, v, _ in g.edges(data=True)]
    edata = one_type([{("rel_type" if k == "type" else k): x for k, x in d.items()} for *_, d in g.edges(data=True)])
    return graph_view(zip(ids, one_type(list(ndata))), [(u, v, d) for (u, v), d in zip(ends, edata)])


@EXPORTS
@given(data=datasets())
def test_valid_datasets_round_trip_through_gexf_unchanged(work, data):
    g, _ = load_graph(data, work)
    full = as_built(g)  # every relationship as an edge: the bulk tables' rows too (graph.py)
    back = export_and_read(g, "gexf", work)
    assert (back.number_of_nodes(), back.number_of_edges()) == (g.number_of_nodes(), full.number_of_edges())
    # `id` on a read-back edge is the GEXF edge id the format requires (the export numbers the edges), not data
    edges = [(u, v, {k: x for k, x in d.items() if k != "id"}) for u, v, d in back.edges(data=True)]
    assert_same(gexf_expected(full), graph_view(back.nodes(data=True), edges), "gexf")


# ------------------------------------------------------------------------------------ valid: embedded store
def _store_rows(store, text: str) -> list[dict]:
    return store.query(text)[1]


@STORE
@given(data=datasets(countries=(8, 12), years=(1, 2), activities=(0, 30)))
def test_valid_datasets_build_an_embedded_store_with_the_graphs_nodes_and_relationships(work, data):
    from graph_loader.stores.embedded import normalise, store_for_graph

    g, _ = load_graph(data, work)
    full = as_built(g)  # every relationship as an edge: the bulk tables' rows too (graph.py)
    key = f"props-{uuid.uuid4().hex}"
    store = store_for_graph(g, key)
    try:
        want_nodes = Counter(d["label"] for _, d in g.nodes(data=True))
        want_rels = Counter(d["type"] for *_, d in full.edges(data=True))
        got_nodes = {
            label: _store_rows(store, f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"] for label in SCHEMA.nodes
        }
        got_rels = {t: _store_rows(store, f"MATCH ()-[r:{t}]->() RETURN count(r) AS n")[0]["n"] for t in SCHEMA.rels}
        assert got_nodes == {label: want_nodes.get(label, 0) for label in SCHEMA.nodes}
        assert got_rels == {t: want_rels.get(t, 0) for t in SCHEMA.rels}
        # and the values: the store API rounds floats to 9 decimals (embedded.normalise), the graph side too
        for label, spec in SCHEMA.nodes.items():
            want = sorted(
                repr(sorted((p, normalise(d.get(p))) for p in spec.props))
                for _, d in g.nodes(data=True)
                if d["label"] == label
            )
            got = sorted(
                repr(sorted((p, v) for p, v in r["n"].items() if not p.startswith("_")))
                for r in _store_rows(store, f"MATCH (n:{label}) RETURN n")
            )
            assert got == want, label
        keys = {n: (d["label"], d[SCHEMA.nodes[d["label"]].key]) for n, d in g.nodes(data=True)}
        for t, rel in SCHEMA.rels.items():
            want = sorted(
                repr((*keys[u], *keys[v], sorted((p, normalise(d.get(p))) for p in rel.props)))
                for u, v, d in full.edges(data=True)
                if d["type"] == t
            )
            got = sorted(
                repr(
                    (
                        r["a"]["_LABEL"],
                        r["a"][SCHEMA.nodes[r["a"]["_LABEL"]].key],
                        r["b"]["_LABEL"],
                        r["b"][SCHEMA.nodes[r["b"]["_LABEL"]].key],
                        sorted((p, v) for p, v in r["r"].items() if not p.startswith("_")),
                    )
                )
                for r in _store_rows(store, f"MATCH (a)-[r:{t}]->(b) RETURN a, b, r")
            )
            assert got == want, t
    finally:
        store.close()
        shutil.rmtree(store.folder, ignore_errors=True)


# ------------------------------------------------------------------------------------------ valid: Neo4j
SMALL = dict(countries=(8, 12), years=(1, 2), activities=(0, 20), max_edits=10)


@pytest.mark.neo4j
@NEO4J
@given(first=datasets(**SMALL), second=datasets(**SMALL))
def test_valid_datasets_sync_to_neo4j_exactly_and_syncing_another_dataset_and_back_converges(
    neo4j_uri, work, first, second
):
    from graph_loader.stores.neo4j_store import Neo4jSettings
    from graph_loader.stores.neo4j_sync import sync_graph
    from test_neo4j import expected, snapshot

    assume(repr(first) != repr(second))
    settings_ = Neo4jSettings(uri=neo4j_uri)
    g1, _ = load_graph(first, work)
    g2, _ = load_graph(second, work)
    for g in (g1, g2, g1):  # the sync is diff-based: each one must leave exactly its graph behind
        sync_graph(g, settings_, show_progress=False)
        assert snapshot(neo4j_uri) == expected(g)


# ------------------------------------------------------------------------------- invalid: the mutations
class Broken:
    """One drawn mutation: the problem it must cause (file, line, field, a phrase of the reason) and the
    mutated file's bytes."""

    def __init__(self, file: str, line: int, field: str, words: str, replace: dict[str, bytes]):
        """`words`: a regular expression the reason must contain."""
        self.file, self.line, self.field, self.words, self.replace = file, line, field, words, replace

    def __repr__(self) -> str:  # what hypothesis prints for a failing example (not the whole file)
        return f"Broken(expects {self.file}:{self.line}: {self.field!r}: ...{self.words!r}...)"


def _with_rows(draw, data: Data, columns) -> tuple[str, str | None, int]:
    """Draw a file with at least one record (and one of `columns`, a function file -> column names) and a row."""
    choices = [
        (f, c)
        for f in FILES
        if data.tables[f][1]
        for c in (columns(f) if columns else [None])
        if c is None or c in data.tables[f][0]
    ]
    f, c = draw(st.sampled_from(choices))
    i = draw(st.integers(0, len(data.tables[f][1]) - 1))
    _stir(draw, data, f, i)
    return f, c, i


LINE_BREAKS = st.sampled_from(["a\rb", "a\nb", "a\r\nb", "\r", 'x\r\r\ny,"z"', "\n\n"])


def _stir(draw, data: Data, f: str, upto: int) -> None:
    """Valid free text (often with line breaks: CR, LF, CR LF) in records up to `upto` of file f, so that the
    record the mutation breaks sits on a line that only counting line breaks right can find."""
    header, rows = data.tables[f]
    cols = [c for c in EDITABLE[f] if c.prop.type in ("string", "list") and c.name in header]
    if not cols:
        return
    for _ in range(draw(st.integers(0, 3))):
        col, r = draw(st.sampled_from(cols)), draw(st.integers(0, upto))
        value = draw(st.one_of(FREE_TEXT, LINE_BREAKS))
        if col.prop.required and not value.strip():
            value = "x" + value
        rows[r][header.index(col.name)] = value
        data.edits[(f, r, col.name)] = value


def _set_cell(draw, data: Data, columns, values, words: str) -> Broken:
    f, col, i = _with_rows(draw, data, columns)
    header, rows = data.tables[f]
    rows[i][header.index(col)] = draw(values(f, col))
    r = data.rendered(f)
    return Broken(f, r.record_line(i), col, words, {f: r.text.encode("utf-8")})


def _props(f: str) -> dict[str, Prop]:
    return file_columns(SCHEMA, f)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


NOT_WHOLE = ["1.5", "1e3", "2,000", "0x10", "1_000", "12abc", "--1", "3.0"]  # numbers, but not whole ones


def m_not_a_number(draw, data):
    def values(f, c):
        text = FREE_TEXT.filter(lambda t: t.strip() and not _is_number(t.strip()))
        return st.one_of(text, st.sampled_from(NOT_WHOLE)) if _props(f)[c].type == "int" else text

    return _set_cell(
        draw, data, lambda f: [c for c, p in _props(f).items() if p.type in ("int", "float")], values, "is not"
    )


def _outside(p: Prop) -> st.SearchStrategy[str]:
    options = []
    if p.type == "int":
        if p.min is not None:
            options.append(st.integers(max_value=int(p.min) - 1))
        if p.max is not None:
            options.append(st.integers(min_value=int(p.max) + 1))
    else:
        if p.min is not None:
            options.append(st.floats(max_value=p.min, exclude_max=True, allow_nan=False, allow_infinity=False))
        if p.max is not None:
            options.append(st.floats(min_value=p.max, exclude_min=True, allow_nan=False, allow_infinity=False))
    return (
        st.one_of(options)
        .map(repr)
        .filter(lambda t: p.min is not None and float(t) < p.min or p.max is not None and float(t) > p.max)
    )


def m_out_of_range(draw, data):
    return _set_cell(
        draw,
        data,
        lambda f: [
            c for c, p in _props(f).items() if p.type in ("int", "float") and (p.min is not None or p.max is not None)
        ],
        lambda f, c: _outside(_props(f)[c]),
        "out of range",
    )


def m_unknown_enum(draw, data):
    return _set_cell(
        draw,
        data,
        lambda f: [c for c, p in _props(f).items() if p.type == "enum"],
        lambda f, c: FREE_TEXT.filter(lambda t: t.strip() and t.strip() not in _props(f)[c].values),
        "is not allowed",
    )


def m_blank_required(draw, data):
    return _set_cell(
        draw,
        data,
        lambda f: [c for c, p in _props(f).items() if p.required],
        lambda f, c: st.sampled_from(["", " ", "\t", " \t  "]),
        "missing value",
    )


def m_dangling_reference(draw, data):
    def values(f, c):
        labels = _references(f)[c]
        known = set().union(*(data.keys(label) for label in labels))
        return st.one_of(FREE_TEXT, st.sampled_from(["XXX", "ZZZ", "UTO", "jpn", "JPN ", "IAEA_X"])).filter(
            lambda t: t.strip() and ";" not in t and t.strip() not in known
        )

    return _set_cell(
        draw,
        data,
        lambda f: [c for c in _references(f) if _props(f)[c].type in ("string", "list")],
        values,
        "refers to a missing|unknown country code",
    )


def m_duplicate_key(draw, data):
    f, _, i = _with_rows(draw, data, None)
    header, rows = data.tables[f]
    j = draw(st.integers(i + 1, len(rows)))
    rows.insert(j, list(rows[i]))
    r = data.rendered(f)
    return Broken(f, r.record_line(j), _duplicate_field(f), "duplicate", {f: r.text.encode("utf-8")})


def m_unknown_column(draw, data):
    f = draw(st.sampled_from(FILES))
    header, rows = data.tables[f]
    # a name with a control character is refused before its header is read (m_nul_byte's kind of problem);
    # line breaks and unassigned characters stay, and are shown escaped
    names = st.one_of(FREE_TEXT, st.sampled_from(["extra", "Name", "iso3 2", "note2", "näme", "<b>x</b>"]))
    name = draw(names.filter(lambda t: t.strip() not in _props(f) and not _raw_controls(t)))
    at = draw(st.integers(0, len(header)))
    header.insert(at, name)
    for row in rows:
        row.insert(at, draw(st.one_of(st.just(""), FREE_TEXT)))
    r = data.rendered(f)
    return Broken(f, 1, name.strip() or "(blank)", "unknown column", {f: r.text.encode("utf-8")})


def m_required_column_removed(draw, data):
    f = draw(st.sampled_from(FILES))
    header, rows = data.tables[f]
    col = draw(st.sampled_from([c for c, p in _props(f).items() if p.required]))
    at = header.index(col)
    del header[at]
    for row in rows:
        del row[at]
    return Broken(f, 1, col, "missing required column", {f: data.rendered(f).text.encode("utf-8")})


INVALID_UTF8 = [
    b"\xff",
    b"\xfe\xfe",
    b"\x80",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\xf5\x80\x80\x80",
    b"\xc3",
    b"\xf0\x9f\x98",
]


def _column_at(header: list[str], k: int) -> str:
    return header[k].strip() if k < len(header) else f"(field {k + 1})"


def m_invalid_utf8(draw, data):
    """Bytes that are not UTF-8 at the start of a field: the problem names the record's line and the column."""
    f, _, i = _with_rows(draw, data, None)
    r = data.rendered(f)
    k = draw(st.integers(0, len(r.fields[i + 1]) - 1))
    off = r.fields[i + 1][k]
    bad = draw(st.sampled_from(INVALID_UTF8))
    raw = r.text[:off].encode("utf-8") + bad + r.text[off:].encode("utf-8")
    return Broken(f, r.record_line(i), _column_at(data.tables[f][0], k), "not valid UTF-8", {f: raw})


def m_unterminated_quote(draw, data):
    """A field opens a quote that nothing closes (every later quote of the file is gone): the problem names the
    record's line and the column where the quote opened."""
    f, _, i = _with_rows(draw, data, None)
    r = data.rendered(f)
    k = draw(st.integers(0, len(r.fields[i + 1]) - 1))
    off = r.fields[i + 1][k]
    text = r.text[:off] + '"' + r.text[off:].replace('"', "")
    return Broken(f, r.record_line(i), _column_at(data.tables[f][0], k), "never closes", {f: text.encode("utf-8")})


def m_too_many_fields(draw, data):
    f, _, i = _with_rows(draw, data, None)
    header, rows = data.tables[f]
    extra = draw(st.lists(st.one_of(st.just(""), FREE_TEXT), min_size=1, max_size=3))
    rows[i].extend(extra)
    r = data.rendered(f)
    return Broken(
        f,
        r.record_line(i),
        "(row)",
        f"row has {len(header) + len(extra)} fields, the header has {len(header)}",
        {f: r.text.encode("utf-8")},
    )


def m_nul_byte(draw, data):
    """A NUL byte in a field (binary data pasted in): the problem names the record's line and the column."""
    f, _, i = _with_rows(draw, data, None)
    header, rows = data.tables[f]
    k = draw(st.integers(0, len(header) - 1))
    rows[i][k] = draw(st.sampled_from(["\x00", "a\x00b", "\x00\x00\x00"])) + rows[i][k]
    r = data.rendered(f)
    return Broken(f, r.record_line(i), _column_at(header, k), "NUL", {f: r.text.encode("utf-8")})


def m_blank_row(draw, data):
    """A blank line, or a row of empty cells (a spreadsheet's leftover), between or after the records."""
    f, _, i = _with_rows(draw, data, None)
    header, rows = data.tables[f]
    j = draw(st.integers(i, len(rows)))
    empty = draw(st.booleans())
    rows.insert(j, [] if empty else [draw(st.sampled_from(["", " ", "\t", "  "])) for _ in header])
    r = data.rendered(f)
    return Broken(
        f, r.record_line(j), "(row)", "blank line" if empty else "every field is empty", {f: r.text.encode("utf-8")}
    )


def m_line_break_in_a_code(draw, data):
    """A line break (Alt+Enter in a spreadsheet cell) inside a key or a reference."""

    def codes(f):  # node keys and references (a relationship file's other key columns are not codes)
        node = SCHEMA.node_for_file(f)
        cols = (
            ({node.key, *node.key_columns} if node else set())
            | set(_references(f))
            | {c for c, p in _props(f).items() if p.references}
        )
        return [c for c in sorted(cols) if c in _props(f) and _props(f)[c].type in ("string", "list")]

    f, col, i = _with_rows(draw, data, codes)
    header, rows = data.tables[f]
    value = rows[i][header.index(col)].strip()
    value = value if len(value) >= 2 else "AB"
    at = draw(st.integers(1, len(value) - 1))  # inside: a value's leading and trailing whitespace is trimmed
    rows[i][header.index(col)] = value[:at] + draw(st.sampled_from(["\n", "\r\n", "\r"])) + value[at:]
    r = data.rendered(f)
    return Broken(f, r.record_line(i), col, "line break", {f: r.text.encode("utf-8")})


def m_row_without_figures(draw, data):
    """Every column of a node file's schema `at_least_one` group blank in one record."""
    f, _, i = _with_rows(draw, data, lambda f: [None] if AT_LEAST_ONE.get(f) else [])
    header, rows = data.tables[f]
    for c in AT_LEAST_ONE[f]:
        if c in header:
            rows[i][header.index(c)] = draw(st.sampled_from(["", " "]))
    r = data.rendered(f)
    return Broken(f, r.record_line(i), "(row)", "no figures", {f: r.text.encode("utf-8")})


def m_no_records(draw, data):
    """A file that the schema needs rows in (`min_rows`) with its header only."""
    f = draw(st.sampled_from([spec.file for spec in SCHEMA.nodes.values() if getattr(spec, "min_rows", 0)]))
    data.tables[f][1].clear()
    return Broken(f, 1, "(file)", "no records", {f: data.rendered(f).text.encode("utf-8")})


MUTATIONS = {
    "non_numeric_number": m_not_a_number,
    "out_of_range_number": m_out_of_range,
    "unknown_enum_value": m_unknown_enum,
    "blank_required_field": m_blank_required,
    "duplicate_key": m_duplicate_key,
    "dangling_reference": m_dangling_reference,
    "unknown_column": m_unknown_column,
    "required_column_removed": m_required_column_removed,
    "invalid_utf8": m_invalid_utf8,
    "unterminated_quote": m_unterminated_quote,
    "too_many_fields": m_too_many_fields,
    # refusals the validator adds beyond the schema's types
    "nul_byte": m_nul_byte,
    "blank_row": m_blank_row,
    "line_break_in_a_code": m_line_break_in_a_code,
    "row_without_figures": m_row_without_figures,
    "file_without_records": m_no_records,
}
if not any(AT_LEAST_ONE.values()):
    del MUTATIONS["row_without_figures"]
if not any(getattr(spec, "min_rows", 0) for spec in SCHEMA.nodes.values()):
    del MUTATIONS["file_without_records"]


@st.composite
def broken_datasets(draw, kind: str):
    data = draw(datasets(countries=(8, 12), years=(1, 2), activities=(0, 15), max_edits=8)).copy()
    return data, MUTATIONS[kind](draw, data)


def run_cli(*argv: str) -> tuple[int, str, str]:
    """`python -m graph_loader ...` in-process: exit code, stdout, stderr (an exception propagates: a traceback)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as e:  # argparse
            code = e.code
    return code, out.getvalue(), err.getvalue()


PROBLEM_LINE = re.compile(r"^[^\n:]+:\d+: [^\n]+: [^\n]+$")


def _raw_controls(text: str) -> list[str]:
    """Control characters and line/paragraph separators a terminal would act on (a problem line shows drawn
    values only escaped, as repr() does)."""
    return [ch for ch in text if unicodedata.category(ch) in ("Cc", "Zl", "Zp")]


@pytest.mark.parametrize("kind", list(MUTATIONS))
@BROKEN
@given(case=st.data())
def test_invalid_datasets_are_refused_naming_the_file_line_and_field_and_the_cli_exits_1_without_output(
    work, kind, case
):
    data, broken = case.draw(broken_datasets(kind), label="dataset and mutation")
    with folder_of(data, work, broken.replace) as d:
        with pytest.raises(DataError) as caught:
            load(d)
        problems = caught.value.problems
        hits = [p for p in problems if (p.file, p.line, p.field) == (broken.file, broken.line, broken.field)]
        assert hits, f"no problem at {broken.file}:{broken.line}: {broken.field}; got {[str(p) for p in problems[:8]]}"
        assert any(re.search(broken.words, p.message) for p in hits), [str(p) for p in hits]

        fmt = case.draw(st.sampled_from(FORMATS), label="export format")
        out_dir = Path(tempfile.mkdtemp(dir=work, prefix="out-"))
        try:
            code, out, err = run_cli("export", "--data", str(d), "--format", fmt, "--out", str(out_dir / f"g.{fmt}"))
            assert list(out_dir.iterdir()) == []  # neither the file nor a temporary one
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
    assert code == 1 and out == ""
    assert "Traceback" not in err
    n = len(problems)
    lines = err.rstrip("\n").split("\n")
    assert lines[0] == f"{n} problem{'s' if n != 1 else ''} in data:"
    shown = [str(p) for p in problems[:200]]
    assert lines[1 : 1 + len(shown)] == shown and len(lines) == 1 + len(shown) + (n > 200)
    assert all(PROBLEM_LINE.match(x) for x in lines[1 : 1 + len(shown)])  # one `file:line: field: reason` each
    assert not _raw_controls(err.replace("\n", "")), "a drawn value reached the terminal unescaped"
    assert f"{broken.file}:{broken.line}: {one_line(broken.field)}: " in err


# ------------------------------------------------------------------------------------------------ fuzz
FUZZ_BASE = (12, 2, 25, 7)


@pytest.fixture(scope="module")
def fuzz_folder(work):
    return Data.synth(FUZZ_BASE).write(work / "fuzz")


@st.composite
def fuzzed_file(draw):
    """(file name, bytes): arbitrary bytes, or the file's real bytes with a few drawn byte edits (CSV
    punctuation, line ends, NUL, a byte-order mark, random bytes) inserted, deleted, overwritten or cut at."""
    name = draw(st.sampled_from(FILES))
    if draw(st.booleans()):
        return name, draw(st.binary(max_size=2000))
    b = bytearray(render(*synth_tables(*FUZZ_BASE)[name]).text.encode("utf-8"))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(b)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        chunk = draw(
            st.one_of(
                st.binary(min_size=1, max_size=8),
                st.sampled_from([b'"', b",", b"\n", b"\r", b"\x00", b"\xef\xbb\xbf", b";", b"\t"]),
            )
        )
        if op == "insert":
            b[at:at] = chunk
        elif op == "delete":
            del b[at : at + len(chunk)]
        elif op == "replace":
            b[at : at + len(chunk)] = chunk
        else:
            del b[at:]
    return name, bytes(b)


@FUZZ
@given(case=fuzzed_file())
def test_arbitrary_bytes_in_any_data_file_load_or_are_refused_with_a_data_error_never_another_exception(
    fuzz_folder, case
):
    name, content = case
    path = fuzz_folder / name
    original = path.read_bytes()
    path.write_bytes(content)
    try:
        load(fuzz_folder)
    except DataError as e:
        assert e.problems and all(isinstance(p.line, int) and p.line >= 0 for p in e.problems)
    finally:
        path.write_bytes(original)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(["a", "é", " ", ",", "\n", '"', "\r", "\u2028", "\x85"]), max_size=60))
def test_the_fast_line_split_reads_exactly_the_records_and_lines_csv_reader_reads(text):
    """read._split_plain (str.split) gives csv.reader's records and start lines, and declines a text with a
    quote, a CR or a line longer than the field limit (here 12 characters, so that lines reach it)."""
    from graph_loader import read

    text = "h1,h2\n" + text
    limit, csv_limit = read.MAX_FIELD, csv.field_size_limit(12)
    read.MAX_FIELD = 12
    try:
        fast = read._split_plain(text)
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        next(reader)
        rows, starts, line = [], [], reader.line_num
        try:
            for row in reader:
                rows.append(row or [""])  # csv: [] for a blank line, the split [""]: both read as a blank line
                starts.append(line + 1)
                line = reader.line_num
        except csv.Error:
            rows = None
    finally:
        read.MAX_FIELD = limit
        csv.field_size_limit(csv_limit)
    declines = '"' in text or "\r" in text or max(map(len, text.split("\n"))) > 12
    assert (fast is None) == declines
    if fast is not None:
        assert fast == (rows, starts)


# ------------------------------------------------------------------------- bugs the properties found (fixed)
# Each was found by a property above and fixed in the product; one explicit example each keeps it fixed.
def small_data(**edits) -> Data:
    """synth(8 countries, 1 year, no activities, seed 0) with {file: {(row, column): value}} applied."""
    data = Data.synth((8, 1, 0, 0))
    for name, cells in edits.items():
        header, rows = data.tables[name.replace("__", ".")]
        for (i, col), value in cells.items():
            rows[i][header.index(col)] = value
    return data


def refused_or_loaded(data: Data, work: Path, where: tuple[str, int, str]):
    """The graph, or None when the loader refuses the value with a problem at (file, line, field)."""
    try:
        return load_graph(data, work)[0]
    except DataError as e:
        assert where in {(p.file, p.line, p.field) for p in e.problems}, e.summary()
        return None


@pytest.mark.parametrize("char", ["\x01", "\x0b", "\x1b", "\uffff"])
def test_text_with_a_control_character_is_refused_where_it_is(work, char):
    """Found: C0 controls (but TAB/LF/CR) and U+FFFE/U+FFFF loaded, and the GraphML/GEXF exports wrote them raw
    (not well-formed XML; readable nowhere). Now the loader refuses them, naming the line and the column."""
    data = small_data(topics__csv={(0, "name"): f"North{char}Korea"})
    with folder_of(data, work) as d, pytest.raises(DataError) as caught:
        load(d)
    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [("topics.csv", 2, "name")]
    assert f"control character U+{ord(char):04X}" in caught.value.problems[0].message


def test_a_cr_in_a_value_survives_the_graphml_export(work):
    """Found: GraphML wrote CR raw in element text, which every XML reader turns into LF, so a multi-line note
    from a CRLF file changed on export. Now it is written as &#13;."""
    g, _ = load_graph(small_data(topics__csv={(0, "name"): "two\r\nlines\rhere"}), work)
    for fmt in ("graphml", "gexf"):
        back = export_and_read(g, fmt, work)
        assert back.nodes["Topic:north_korea"]["name"] == "two\r\nlines\rhere", fmt


def test_a_gexf_export_keeps_the_relationship_type(work):
    """Found: networkx's GEXF writer put the edge attribute `type` into the GEXF edge `type` (directed /
    undirected / mutual), so every relationship came back without its type. Now it goes out as `rel_type`."""
    g, _ = load_graph(small_data(), work)
    full = as_built(g)  # every relationship as an edge: the bulk tables' rows too (graph.py)
    back = export_and_read(g, "gexf", work)
    assert Counter(d.get("rel_type") for *_, d in back.edges(data=True)) == Counter(
        d["type"] for *_, d in full.edges(data=True)
    )


def test_an_int_beyond_64_bits_is_refused_by_the_loader(work):
    """Found: an int column without a maximum (Country.n_ports, SHARES_IGO.count, ...) took any whole number,
    but both stores hold 64 bits (Ladybug raised a raw RuntimeError; the Neo4j driver an OverflowError, so
    every sync failed). Now the loader refuses it, naming line and column."""
    data = small_data(countries__csv={(0, "n_ports"): str(2**63)})
    with folder_of(data, work) as d, pytest.raises(DataError) as caught:
        load(d)
    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [("countries.csv", 2, "n_ports")]
    assert "too large" in caught.value.problems[0].message
    g, _ = load_graph(small_data(countries__csv={(0, "n_ports"): str(2**63 - 1)}), work)  # the largest held
    assert max(d.get("n_ports", 0) for _, d in g.nodes(data=True) if d["label"] == "Country") == 2**63 - 1


@pytest.mark.parametrize("kind", ["invalid_utf8", "unterminated_quote"])
def test_a_lone_cr_in_an_earlier_record_does_not_shift_the_reported_record(work, kind):
    """Found: read.py located an invalid byte and an unclosed quote by counting LF only, while the CSV reader
    (and so every other problem) also ends a line at a lone CR. Now both count lines as the reader does."""
    data = small_data(countries__csv={(0, "name"): "Afghan\ristan"})
    r = data.rendered("countries.csv")
    off = r.fields[3][3]  # record 2 (line 5: the name of record 0 spans lines 2-3), column `region`
    if kind == "invalid_utf8":
        raw = r.text[:off].encode("utf-8") + b"\xff" + r.text[off:].encode("utf-8")
    else:
        raw = (r.text[:off] + '"' + r.text[off:].replace('"', "")).encode("utf-8")
    with folder_of(data, work, {"countries.csv": raw}) as d, pytest.raises(DataError) as caught:
        load(d)
    assert ("countries.csv", 5, "region") in {(p.file, p.line, p.field) for p in caught.value.problems}, (
        caught.value.summary()
    )


@pytest.mark.parametrize("where", ["header", "key", "key-line-break"])
def test_a_header_name_or_key_value_with_a_line_break_or_escape_is_shown_escaped(work, where):
    """Found: header names and relationship key values reached problem lines raw: a line break split the
    one-line `file:line: field: reason` format (and could forge a problem line), an escape sequence reached the
    terminal. Now control characters are refused and every problem line shows them escaped."""
    if where == "header":
        data = small_data()
        header, rows = data.tables["topics.csv"]
        header.append("note\x1b[2J\nfake.csv:1: x")
        for row in rows:
            row.append("")
    else:  # a duplicated historical tie whose `kind` (part of the relationship key) has them
        kind = "vote\x1b[2J\nfake.csv:1: x" if where == "key" else "vote\nfake.csv:1: x"
        data = small_data(historical_ties__csv={(0, "kind"): kind})
        rows = data.tables["historical_ties.csv"][1]
        rows.append(list(rows[0]))
    with folder_of(data, work) as d:
        code, out, err = run_cli("validate", "--data", str(d))
    lines = err.splitlines()
    assert code == 1 and lines[0] == f"{len(lines) - 1} problem{'s' if len(lines) > 2 else ''} in data:", err
    assert all(re.match(r"(topics|historical_ties)\.csv:\d+: ", line) for line in lines[1:]), err
    assert not _raw_controls(err.replace("\n", "")), err


def test_a_row_of_blank_cells_is_refused_as_empty_whatever_the_other_rows(work):
    """Found: read.py's fast path looked for empty rows before trimming, so a row of whitespace-only cells got one
    "missing value" per required column unless another row was malformed. Now it is one "(row)" problem."""
    data = small_data()
    header, rows = data.tables["topics.csv"]
    rows.insert(1, [" "] * len(header))  # line 3
    with folder_of(data, work) as d, pytest.raises(DataError) as caught:
        load(d)
    assert [(p.line, p.field) for p in caught.value.problems] == [(3, "(row)")], caught.value.summary()
    assert "every field is empty" in caught.value.problems[0].message
