"""`python -m graph_loader` as a user runs it: validate, stats and export, in a subprocess."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from graph_loader.build import build_graph, counts
from graph_loader.schema import load_schema
from graph_loader.validate import validate

ROOT = Path(__file__).resolve().parents[1]
TINY_REL = "tests/fixtures/tiny"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graph_loader", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def records(path: Path) -> int:
    """Data records of a CSV file (not lines: a quoted note may span several lines)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return sum(1 for row in csv.reader(f) if row) - 1


def break_two_files(data: Path) -> None:
    """One wrong type in activities.csv and one unknown country code in trade.csv."""
    for name, old, new in (
        (
            "activities.csv",
            "JPN-IOS,,held,2008,3,,,1,,fixture,outreach\nA2,",
            "JPN-IOS,,held,abc,3,,,1,,fixture,outreach\nA2,",
        ),
        ("trade.csv", "SGP,THA,2008,200,COW", "XXX,THA,2008,200,COW"),
    ):
        text = (data / name).read_text(encoding="utf-8")
        assert text.count(old) == 1
        (data / name).write_text(text.replace(old, new), encoding="utf-8")


BROKEN_STDERR = (
    "2 problems in data:\n"
    "activities.csv:2: year: 'abc' is not a whole number from 1980 to 2100\n"
    "trade.csv:11: exporter: unknown country code 'XXX' (expected an ISO 3166-1 alpha-3 code listed in countries.csv)\n"
)


# -------------------------------------------------------------------------------------------- validate
def test_validate_on_the_tiny_fixture_exits_0_with_a_one_line_summary(tiny_dir):
    schema = load_schema()
    rows = sum(records(tiny_dir / f) for f in schema.files())
    nodes = sum(records(tiny_dir / spec.file) for spec in schema.nodes.values() if spec.file)
    rels = sum(counts(build_graph(validate(tiny_dir)), schema)["relationships"].values())
    done = run("validate", "--data", TINY_REL)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == (
        f"{TINY_REL}: valid — {rows} rows in {len(schema.files())} files; "
        f"{nodes} nodes, {rels} relationships from the data (loading adds one computed "
        "RiskScore node and SCORED relationship per country and year)\n"
    )


def test_validate_on_broken_data_exits_1_and_prints_every_problem_to_stderr(tiny_copy):
    break_two_files(tiny_copy)
    done = run("validate", "--data", tiny_copy)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == BROKEN_STDERR


def test_validate_on_a_folder_that_does_not_exist_exits_1(tmp_path):
    done = run("validate", "--data", tmp_path / "nowhere")
    assert done.returncode == 1
    assert done.stderr == f"1 problem in data:\n{tmp_path / 'nowhere'}:0: (folder): data folder not found\n"


# ----------------------------------------------------------------------------------------------- stats
@pytest.fixture(scope="module")
def real_stats() -> dict:
    done = run("stats", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_stats_json_has_counts_per_label_type_category_and_role(real_stats):
    schema = load_schema()
    assert set(real_stats) == {"nodes", "relationships", "categories", "roles"}
    assert list(real_stats["nodes"]) == list(schema.nodes)
    assert list(real_stats["relationships"]) == list(schema.rels)
    assert all(isinstance(v, int) for section in real_stats.values() for v in section.values())


def test_stats_on_the_real_data_counts_20_recipients_3_concerns_3_partners(real_stats):
    assert real_stats["roles"] == {"recipient": 21, "concern": 3, "partner": 3}  # Annex I's 20 and Israel


def test_stats_on_the_real_data_places_the_recipients_in_the_four_categories(real_stats):
    assert real_stats["categories"] == {"1": 11, "2": 1, "3": 4, "4": 4}


def test_stats_on_the_real_data_has_one_node_or_edge_per_csv_record(real_stats):
    data = ROOT / "data"
    assert real_stats["nodes"]["Activity"] == records(data / "activities.csv")
    assert real_stats["nodes"]["Country"] == records(data / "countries.csv")
    assert real_stats["relationships"]["TRADES_WITH"] == records(data / "trade.csv")
    assert real_stats["relationships"]["ATTENDED"] == records(data / "meeting_participants.csv")
    assert real_stats["relationships"]["SCORED"] == real_stats["nodes"]["RiskScore"] > 0


# ---------------------------------------------------------------------------------------------- export
def read_back(fmt: str, path: Path):
    if fmt == "graphml":
        return nx.read_graphml(path)
    if fmt == "gexf":
        return nx.read_gexf(path)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_export_writes_a_file_that_reads_back_with_every_node_and_edge(fmt, tiny_graph, tmp_path):
    out = tmp_path / f"tiny.{fmt}"
    done = run("export", "--data", TINY_REL, "--format", fmt, "--out", out)
    assert done.returncode == 0, done.stderr
    from graph_loader.graph import number_of_relationships

    n, m = tiny_graph.number_of_nodes(), number_of_relationships(tiny_graph)  # the bulk tables' rows too
    assert done.stdout == f"wrote {out} ({fmt}, {n} nodes, {m} relationships)\n"
    back = read_back(fmt, out)
    if fmt == "json":
        assert (len(back["nodes"]), len(back["relationships"])) == (n, m)
        nodes = {x["id"]: x["properties"] for x in back["nodes"]}
    else:
        assert (back.number_of_nodes(), back.number_of_edges()) == (n, m)
        nodes = dict(back.nodes(data=True))
    assert nodes["Country:THA"]["name"] == "Thailand"
    # `partner` is a flag on countries and a country code on activities; both must survive the round trip
    assert nodes["Activity:A1"]["partner"] == "JPN"
    assert nodes["Country:JPN"]["partner"] in (True, "true")


@pytest.mark.parametrize("fmt", ["graphml", "json"])
def test_export_on_broken_data_exits_1_and_writes_no_file(fmt, tiny_copy, tmp_path):
    break_two_files(tiny_copy)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    done = run("export", "--data", tiny_copy, "--format", fmt, "--out", out_dir / f"graph.{fmt}")
    assert done.returncode == 1
    assert done.stderr == BROKEN_STDERR
    assert list(out_dir.iterdir()) == []  # neither the file nor a temporary one


def test_export_on_broken_data_leaves_an_existing_file_byte_for_byte(tiny_copy, tmp_path):
    break_two_files(tiny_copy)
    out = tmp_path / "graph.gexf"
    before = b"<previous export \xe2\x80\x94 keep me>\n"
    out.write_bytes(before)
    done = run("export", "--data", tiny_copy, "--format", "gexf", "--out", out)
    assert done.returncode == 1
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".graph.gexf")] == []


def test_export_replaces_an_existing_file_when_the_data_are_valid(tiny_graph, tmp_path):
    out = tmp_path / "graph.json"
    out.write_text("old", encoding="utf-8")
    done = run("export", "--data", TINY_REL, "--format", "json", "--out", out)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["nodes"]) == tiny_graph.number_of_nodes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.json"]


def test_export_into_a_new_folder_creates_it(tmp_path):
    out = tmp_path / "a" / "b" / "graph.json"
    done = run("export", "--data", TINY_REL, "--format", "json", "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.is_file()
