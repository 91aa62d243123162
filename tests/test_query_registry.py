"""The Cypher library's rules, checked without a database: headers agree with bodies, names are unique,
queries are read-only, and every query stays inside the portable subset (shared/docs/portable-cypher.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from queries.guard import write_clauses
from queries.portable import portability_problems
from queries.registry import QUERY_DIR, QueryError, load_registry

# The thirteen queries of the library as documented; others may be added, none may disappear.
DOCUMENTED = {
    "assignment_gaps",
    "country_profile",
    "coverage_gaps",
    "handover_risk",
    "meeting_participation",
    "partner_overlap",
    "risk_ranking",
    "role_compliance",
    "role_matrix",
    "schedule_conflicts",
    "ties_to_concern",
    "unmet_requests",
    "unreached_high_risk",
}

HEADER = """// A test query
// description: one row per recipient
// params:
{params}// returns: iso3
"""
BODY = "MATCH (c:Country)\nWHERE c.recipient = true AND c.risk_year = $year\nRETURN c.iso3 AS iso3\nORDER BY iso3\n"


def write_query(
    folder: Path, name: str, body: str = BODY, params: str = "//   year: int = 2008 — a risk year\n"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.cypher"
    path.write_text(HEADER.format(params=params) + body, encoding="utf-8")
    return path


def refusal(folder: Path) -> str:
    with pytest.raises(QueryError) as e:
        load_registry(folder)
    message = str(e.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------------------ the library
def test_every_library_file_loads_under_its_file_name():
    reg = load_registry()
    files = {p.stem for p in QUERY_DIR.rglob("*.cypher")}
    assert set(reg) == files
    assert DOCUMENTED <= set(reg)
    for name, q in reg.items():
        assert q.name == name and q.title and q.description and q.returns
        assert len(set(q.returns)) == len(q.returns), f"{name}: a column is declared twice"


def test_every_library_file_is_read_only_and_portable():
    for name, q in load_registry().items():
        assert write_clauses(q.text) == [], name
        assert portability_problems(q.text) == [], name


def test_documented_parameters_and_defaults_are_as_the_headers_say():
    reg = load_registry()
    gaps = {p.name: p for p in reg["coverage_gaps"].params}
    assert (gaps["year_from"].type, gaps["year_from"].default, gaps["year_from"].required) == ("int", 2008, False)
    assert (gaps["min_priority"].type, gaps["min_priority"].default) == ("float", 0.0)
    profile = {p.name: p for p in reg["country_profile"].params}
    assert profile["iso3"].required and profile["iso3"].default is None
    assert {p.name: p.default for p in reg["meeting_participation"].params} == {"meeting_id": ""}
    assert {p.name: p.default for p in reg["assignment_gaps"].params}["needed_only"] is True


# ------------------------------------------------------------------------------- header and body checks
def test_a_well_formed_file_loads_with_its_parameters_and_columns(tmp_path):
    write_query(tmp_path, "good")
    q = load_registry(tmp_path)["good"]
    assert q.title == "A test query"
    assert [(p.name, p.type, p.default, p.required, p.help) for p in q.params] == [
        ("year", "int", 2008, False, "a risk year")
    ]
    assert q.returns == ("iso3",)
    assert q.text.startswith("MATCH (c:Country)")


def test_a_parameter_declared_but_not_used_is_refused(tmp_path):
    write_query(tmp_path, "q", params="//   year: int = 2008 — a year\n//   iso3: string = '' — unused\n")
    assert refusal(tmp_path) == "q.cypher: parameter(s) declared but not used: iso3"


def test_a_parameter_used_but_not_declared_is_refused(tmp_path):
    write_query(tmp_path, "q", body=BODY.replace("= $year", "= $year AND c.iso3 = $iso3"))
    assert refusal(tmp_path) == "q.cypher: parameter(s) used but not declared: iso3"


def test_a_parameter_mentioned_only_in_a_comment_or_string_is_not_used(tmp_path):
    body = (
        "MATCH (c:Country)\n// filter on $year later\nWHERE c.name <> '$year'\nRETURN c.iso3 AS iso3\nORDER BY iso3\n"
    )
    write_query(tmp_path, "q", body=body)
    assert refusal(tmp_path) == "q.cypher: parameter(s) declared but not used: year"


def test_a_required_parameter_has_no_default_and_binding_without_it_fails(tmp_path):
    write_query(tmp_path, "q", params="//   year: int — a year\n")
    q = load_registry(tmp_path)["q"]
    assert q.params[0].required
    with pytest.raises(QueryError, match=r"^q: parameter year is required \(int\)$"):
        q.bind({})
    assert q.bind({"year": "2009"}) == {"year": 2009}


def test_a_default_of_the_wrong_type_is_refused(tmp_path):
    write_query(tmp_path, "q", params="//   year: int = soon — a year\n")
    assert refusal(tmp_path) == "q.cypher: year: default 'soon' is not a valid int"


def test_a_file_without_header_or_without_returns_is_refused(tmp_path):
    (tmp_path / "bare.cypher").write_text("MATCH (c:Country) RETURN c.iso3 AS iso3 ORDER BY iso3\n")
    assert "no // header" in refusal(tmp_path)
    (tmp_path / "bare.cypher").write_text("// Title\n// description: x\n" + BODY)
    assert refusal(tmp_path) == "bare.cypher: header needs 'description:' and 'returns:'"


def test_two_files_with_the_same_name_in_different_folders_are_refused(tmp_path):
    write_query(tmp_path / "a", "same")
    write_query(tmp_path / "b", "same")
    message = refusal(tmp_path)
    assert message.startswith("duplicate query name 'same': ")
    assert str(tmp_path / "a" / "same.cypher") in message and str(tmp_path / "b" / "same.cypher") in message


@pytest.mark.parametrize(
    "clause, body",
    [
        (
            "CREATE",
            "MATCH (c:Country) WHERE c.risk_year = $year CREATE (d:Country {iso3: 'ZZZ'}) RETURN c.iso3 AS iso3 ORDER BY iso3",
        ),
        (
            "MERGE",
            "MERGE (c:Country {iso3: 'ZZZ'}) WITH c WHERE c.risk_year = $year RETURN c.iso3 AS iso3 ORDER BY iso3",
        ),
        ("SET", "MATCH (c:Country) WHERE c.risk_year = $year SET c.name = 'x' RETURN c.iso3 AS iso3 ORDER BY iso3"),
        ("DELETE", "MATCH (c:Country) WHERE c.risk_year = $year DETACH DELETE c RETURN 1 AS iso3 ORDER BY iso3"),
        (
            "CALL",
            "CALL db.labels() YIELD label MATCH (c:Country) WHERE c.risk_year = $year RETURN c.iso3 AS iso3 ORDER BY iso3",
        ),
    ],
)
def test_a_library_query_with_a_write_or_call_clause_is_refused(tmp_path, clause, body):
    write_query(tmp_path, "w", body=body + "\n")
    message = refusal(tmp_path)
    assert message.startswith("w.cypher: library queries are read-only; found ")
    assert clause in message.split("found ", 1)[1].split(", ")


def test_a_write_keyword_inside_a_string_literal_or_comment_is_not_a_write(tmp_path):
    body = (
        "MATCH (c:Country)\n// we never CREATE or DELETE anything here\n"
        "WHERE c.risk_year = $year AND c.name <> 'CREATE (x) SET x.y = 1' AND c.note <> \"MERGE\"\n"
        "RETURN c.iso3 AS iso3\nORDER BY iso3\n"
    )
    write_query(tmp_path, "fine", body=body)
    assert "fine" in load_registry(tmp_path)
    assert write_clauses(body) == []


def test_a_property_named_like_a_clause_is_not_a_write():
    assert write_clauses("MATCH (c:Country) RETURN c.set AS s, {delete: 1} AS m ORDER BY s") == []


def test_a_non_portable_library_file_is_refused_with_the_rule(tmp_path):
    write_query(
        tmp_path,
        "np",
        body="MATCH (c:Country)-[r]->(d) WHERE c.risk_year = $year\nRETURN type(r) AS iso3\nORDER BY iso3\n",
    )
    assert refusal(tmp_path) == ("np.cypher: not portable Cypher: no type()/labels()/label()/id()/elementId() (rule 2)")


# --------------------------------------------------------------------------------------- portability
CLEAN = "MATCH (a:Country)-[t:TRADES_WITH]->(b:Country)\nWHERE t.year = 2008\nRETURN a.iso3 AS iso3, b.iso3 AS other\nORDER BY iso3, other"


def test_the_clean_example_passes_the_lint():
    assert portability_problems(CLEAN) == []


@pytest.mark.parametrize(
    "construct, text, rule",
    [
        ("type()", "MATCH (a:Country)-[t]->(b:Country) RETURN type(t) AS k ORDER BY k", "rule 2"),
        ("labels()", "MATCH (a) RETURN labels(a) AS k ORDER BY k", "rule 2"),
        ("id()", "MATCH (a:Country) RETURN id(a) AS k ORDER BY k", "rule 2"),
        ("toInteger()", "MATCH (a:Country) RETURN toInteger(a.n_ports) AS k ORDER BY k", "rule 3"),
        ("head()", "MATCH (a:Country) RETURN head(collect(a.iso3)) AS k ORDER BY k", "rule 4"),
        ("substring()", "MATCH (a:Country) RETURN substring(a.name, 0, 3) AS k ORDER BY k", "rule 4"),
        ("round()", "MATCH (a:Country) RETURN round(a.risk_score) AS k ORDER BY k", "rule 5"),
        (
            "shortestPath()",
            "MATCH p = shortestPath((a:Country)-[:TRADES_WITH*..2]-(b:Country)) RETURN a.iso3 AS k ORDER BY k",
            "rule 8",
        ),
        (
            "exists(pattern)",
            "MATCH (a:Country), (b:Country) WHERE exists((a)-->(b)) RETURN a.iso3 AS k ORDER BY k",
            "rule 1",
        ),
        (
            "EXISTS { pattern }",
            "MATCH (a:Country), (b:Country) WHERE EXISTS { (a)-->(b) } RETURN a.iso3 AS k ORDER BY k",
            "rule 1",
        ),
        (
            "exists { pattern } in lower case",
            "MATCH (a:Country), (b:Country) WHERE exists { (a)-->(b) } RETURN a.iso3 AS k ORDER BY k",
            "rule 1",
        ),
        ("COUNT { pattern }", "MATCH (a:Country) RETURN COUNT { (a)-->() } AS k ORDER BY k", "rule 1"),
        (":A:B", "MATCH (a:Country:Partner) RETURN a.iso3 AS k ORDER BY k", "rule 6"),
        (":A:B without variable", "MATCH (:Country:Partner)-->(b:Country) RETURN b.iso3 AS k ORDER BY k", "rule 6"),
        ("unbounded *", "MATCH (a:Country)-[:TRADES_WITH*]-(b:Country) RETURN b.iso3 AS k ORDER BY k", "rule 8"),
        ("*1..3", "MATCH (a:Country)-[:TRADES_WITH*1..3]-(b:Country) RETURN b.iso3 AS k ORDER BY k", "rule 8"),
        ("*..5", "MATCH (a:Country)-[:TRADES_WITH*..5]-(b:Country) RETURN b.iso3 AS k ORDER BY k", "rule 8"),
        (
            "*2.. (no upper bound)",
            "MATCH (a:Country)-[:TRADES_WITH*2..]-(b:Country) RETURN b.iso3 AS k ORDER BY k",
            "rule 8",
        ),
        (
            "*3 (fixed length over 2)",
            "MATCH (a:Country)-[:TRADES_WITH*3]-(b:Country) RETURN b.iso3 AS k ORDER BY k",
            "rule 8",
        ),
        (
            "list comprehension",
            "MATCH (a:Country) WITH collect(a) AS cs RETURN [c IN cs | c.iso3] AS k ORDER BY k",
            "rule 4",
        ),
        (
            "filtering list comprehension",
            "MATCH (a:Country) WITH collect(a.iso3) AS cs RETURN [c IN cs WHERE c <> 'JPN'] AS k ORDER BY k",
            "rule 4",
        ),
        ("list comprehension over a literal", "RETURN [c IN ['JPN', 'USA'] | c] AS k ORDER BY k", "rule 4"),
        (
            "pattern comprehension",
            "MATCH (a:Country) RETURN [(a)-[:TRADES_WITH]->(b) | b.iso3] AS k ORDER BY k",
            "rule 4",
        ),
        ("list indexing", "MATCH (a:Country) WITH collect(a.iso3) AS cs RETURN cs[0] AS k ORDER BY k", "rule 4"),
        ("indexing a function result", "MATCH (a:Country) RETURN collect(a.iso3)[0] AS k ORDER BY k", "rule 4"),
        ("list slicing", "MATCH (a:Country) WITH collect(a.iso3) AS cs RETURN cs[1..2] AS k ORDER BY k", "rule 4"),
        ("apoc.", "MATCH (a:Country) RETURN apoc.coll.sort(collect(a.iso3)) AS k ORDER BY k", "rule 12"),
        ("missing ORDER BY", "MATCH (a:Country) RETURN a.iso3 AS k", "rule 9"),
    ],
)
def test_each_banned_construct_is_caught_with_its_rule(construct, text, rule):
    problems = portability_problems(text)
    assert len(problems) == 1, (construct, problems)
    assert f"({rule})" in problems[0], (construct, problems)


@pytest.mark.parametrize(
    "text",
    [
        "MATCH (a:Country)-[:TRADES_WITH*1..2]-(b:Country) RETURN DISTINCT b.iso3 AS k ORDER BY k",
        "MATCH (a:Country)-[:TRADES_WITH*..2]-(b:Country) RETURN DISTINCT b.iso3 AS k ORDER BY k",
        "MATCH (a:Country) WHERE EXISTS { MATCH (a)-[:TRADES_WITH]->(:Country) } RETURN a.iso3 AS k ORDER BY k",
        "MATCH (a:Country) WHERE a.iso3 IN ['THA', 'MYS'] AND any(x IN ['a'] WHERE x = 'a') RETURN a.iso3 AS k ORDER BY k",
        "MATCH (a:Country) RETURN a.n_ports * 1.0 / 2 AS k, 'type(x) [x IN y | x]' AS s ORDER BY k, s",
        "MATCH (a:Country)-[r:TRADES_WITH|ALLIED_WITH]-(b:Country) RETURN count(r) AS k ORDER BY k",
    ],
)
def test_portable_idioms_are_not_flagged(text):
    assert portability_problems(text) == []
