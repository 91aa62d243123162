"""The console cannot be a way in or a way down: what a hostile or careless user types into the free-form Cypher box
(or `python -m queries run-text`) gets rows or one clear line — on the embedded store and on Neo4j — and the
process that asked keeps working.

The corpus below is every query of the security review, with the exact message each gets.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, TINY
from queries import QueryError, Runner
from queries.guard import MAX_DEPTH, check_read_only
from queries.sandbox import Limits, Pool

PASSWD_TRICK = "WITH 1 AS `a'` LOAD CSV FROM 'file:///etc/passwd' AS l WITH l AS `b'` RETURN `b'` AS line LIMIT 3"
LOAD_REFUSED = (
    "only read queries are accepted; refused before running: LOAD (LOAD reads or writes files or other databases)"
)
NESTED = "RETURN " + "(" * 3000 + "1" + ")" * 3000 + " AS x"

# query text -> the exact one-line refusal; both backends refuse these before anything runs
REFUSED = {
    PASSWD_TRICK: LOAD_REFUSED,
    "LOAD CSV FROM 'http://127.0.0.1:9/' AS l RETURN l": LOAD_REFUSED,
    "WITH 1 AS `a'` LOAD FROM '/etc/passwd' (file_format='csv', header=false, delim=':') RETURN *": LOAD_REFUSED,
    "LOAD FROM '/etc/passwd' RETURN *": LOAD_REFUSED,
    "CALL dbms.components() YIELD name RETURN name": "only read queries are accepted; refused before running: CALL (CALL calls procedures or subqueries)",
    "MATCH (c:Country) CALL { WITH c RETURN c.iso3 AS x } RETURN x": "only read queries are accepted; refused before running: CALL (CALL calls procedures or subqueries)",
    "CREATE (n:Country {iso3: 'ZZZ'})": "only read queries are accepted; refused before running: CREATE (CREATE writes)",
    "MATCH (n) DETACH DELETE n": "only read queries are accepted; refused before running: DETACH, DELETE (DETACH writes; DELETE writes)",
    "MATCH (c:Country) SET c.name = 'x' RETURN c.iso3 AS iso3": "only read queries are accepted; refused before running: SET (SET writes)",
    "MATCH (c:Country) /* ' */ MERGE (d:Country {iso3: 'ZZZ'}) //'": "only read queries are accepted; refused before running: MERGE (MERGE writes)",
    "RETURN '\\\\' AS s FOREACH (x IN [1] | CREATE (n))": "only read queries are accepted; refused before running: FOREACH, CREATE (FOREACH writes; CREATE writes)",
    "WITH 1 AS `a``b` REMOVE n.x": "only read queries are accepted; refused before running: REMOVE (REMOVE writes)",
    "COPY Country FROM '/etc/passwd'": "only read queries are accepted; refused before running: COPY (COPY reads or writes files or other databases)",
    "ATTACH '/tmp/x.db' AS x (dbtype duckdb)": "only read queries are accepted; refused before running: ATTACH (ATTACH reads or writes files or other "
    "databases)",
    "INSTALL httpfs": "only read queries are accepted; refused before running: INSTALL (INSTALL reads or writes "
    "files or other databases)",
    "USE system MATCH (n) RETURN n": "only read queries are accepted; refused before running: USE (USE reads or "
    "writes files or other databases)",
    "SHOW DATABASES": "only read queries are accepted; refused before running: SHOW (SHOW administers the server)",
    "EXPLAIN MATCH (n) RETURN n": "only read queries are accepted; refused before running: EXPLAIN (EXPLAIN is not "
    "offered here)",
    "RETURN 1 AS x; RETURN 2 AS y": "one statement at a time: a ';' at line 1, column 14 is followed by more (run "
    "each statement on its own)",
    "MATCH (c:Country) RETURN c.iso3 AS x;\nMATCH (n) DETACH DELETE n": "one statement at a time: a ';' at line 1, "
    "column 37 is followed by more (run each "
    "statement on its own)",
    "RETURN 'abc AS x": "cannot read the query: a string opens at line 1, column 8 and never closes",
    "RETURN `abc AS x": "cannot read the query: a backticked name opens at line 1, column 8 and never closes",
    "MATCH (n) /* RETURN n": "cannot read the query: a comment opens at line 1, column 11 and never closes",
    NESTED: f"the query nests brackets 3000 deep; the limit is {MAX_DEPTH} (OUTREACH_QUERY_MAX_DEPTH)",
    "RETURN 1 AS x "
    + " " * 20_000: "the query is 20,014 characters long; the limit is 20,000 (OUTREACH_QUERY_MAX_CHARS)",
    "   ": "the query is empty",
    "DROP TABLE Country": "only read queries are accepted; refused before running: DROP (DROP writes)",
    "PROFILE MATCH (n) RETURN n": "only read queries are accepted; refused before running: PROFILE (PROFILE is not "
    "offered here)",
    "MATCH (c:Country) WHERE c.iso3 = $iso RETURN c.name AS name": "no value for $iso (give each parameter a value: the query would otherwise match nothing)",
    "START DATABASE neo4j": "only read queries are accepted; refused before running: START (START administers the "
    "server)",
    "CHECKPOINT": "only read queries are accepted; refused before running: CHECKPOINT (CHECKPOINT administers the "
    "server)",
    "FOO (n) RETURN n": "a read query starts with MATCH, OPTIONAL, WITH, UNWIND or RETURN (it starts with 'FOO')",
}

# names that look like clauses but are not: each runs
NOT_CLAUSES = [
    "MATCH (c:Country) WHERE c.iso3 = 'MYS' RETURN c.name AS start, {set: 1} AS copy ORDER BY start",
    "MATCH (c:Country) WHERE c.iso3 = 'MYS' RETURN 'CREATE (n) LOAD CSV' AS text, c.name AS `load` ORDER BY text",
    "MATCH (c:Country) WHERE c.iso3 = 'MYS' // DELETE everything\nRETURN c.iso3 AS iso3;",
]


@pytest.fixture(scope="module")
def embedded():
    return Runner("embedded", TINY)


@pytest.fixture(scope="module")
def neo4j(neo4j_uri):
    from graph_loader.pipeline import load
    from graph_loader.stores.neo4j_store import Neo4jSettings, Neo4jStore
    from graph_loader.stores.neo4j_sync import sync_graph

    settings = Neo4jSettings(uri=neo4j_uri)
    sync_graph(load(TINY, risk_year=2008)[0], settings, show_progress=False)
    store = Neo4jStore(settings, timeout_s=3)
    yield Runner("neo4j", store=store)
    store.close()


def refusal(run) -> str:
    with pytest.raises(QueryError) as e:
        run()
    return str(e.value)


@pytest.mark.parametrize("text", list(REFUSED), ids=lambda t: t[:40])
def test_the_console_refuses_each_hostile_query_with_its_message(embedded, text):
    assert refusal(lambda: embedded.run_text(text)) == REFUSED[text]


@pytest.mark.neo4j
@pytest.mark.parametrize("text", list(REFUSED), ids=lambda t: t[:40])
def test_the_console_refuses_each_hostile_query_on_neo4j_with_the_same_message(neo4j, text):
    assert refusal(lambda: neo4j.run_text(text)) == REFUSED[text]


@pytest.mark.parametrize("text", NOT_CLAUSES)
def test_keywords_inside_names_strings_and_comments_are_not_clauses(embedded, text):
    assert embedded.run_text(text).rows


def test_the_guard_reads_backticks_strings_and_escapes_as_the_engine_does():
    for text in (
        "MATCH (n) RETURN n.`a'` AS x",
        "RETURN 'it\\'s' AS s",
        'RETURN "a\\"b" AS s',
        "RETURN '// not a comment' AS s",
        "RETURN 1 AS `x``y`",
    ):
        check_read_only(text)  # no refusal
    with pytest.raises(QueryError, match="CREATE"):
        check_read_only("RETURN 'a\\\\' AS s CREATE (n)")  # the backslash is escaped: the string ends there


def test_a_query_that_would_need_unbounded_memory_is_stopped_in_its_worker(embedded):
    assert refusal(lambda: embedded.run_text("UNWIND range(1, 2000000000) AS x RETURN count(x) AS n")) == (
        "the query needed more memory than the 2048 MB a query may use (OUTREACH_QUERY_MEMORY_MB) and was stopped "
        "(query ran out of its memory budget (std::bad_alloc))"
    )
    assert embedded.run_text("RETURN 1 AS n").rows == [{"n": 1}]


def test_a_huge_result_stops_at_the_row_cap_and_says_so(embedded):
    res = embedded.run_text("UNWIND range(1, 30000000) AS x RETURN x", max_rows=1000)
    assert (len(res.rows), res.more, res.rows[0], res.rows[-1]) == (1000, True, {"x": 1}, {"x": 1000})
    small = embedded.run_text("UNWIND range(1, 1000) AS x RETURN x", max_rows=1000)
    assert (len(small.rows), small.more) == (1000, False)


@pytest.mark.neo4j
def test_on_neo4j_an_endless_query_stops_at_the_server_timeout_and_a_huge_result_at_the_row_cap(neo4j):
    assert refusal(lambda: neo4j.run_text("UNWIND range(1, 2000000000) AS x RETURN count(x) AS n")) == (
        "engine error: query stopped by the Neo4j transaction timeout "
        "(Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration)"
    )
    res = neo4j.run_text("UNWIND range(1, 30000000) AS x RETURN x", max_rows=1000)
    assert (len(res.rows), res.more, res.rows[-1]) == (1000, True, {"x": 1000})


@pytest.mark.neo4j
@pytest.mark.parametrize(
    "text, operator",
    [
        ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "LoadCSV"),
        ("LOAD CSV FROM 'http://127.0.0.1:9/' AS l RETURN l", "LoadCSV"),
        ("CALL dbms.components() YIELD name RETURN name", "ProcedureCall"),
        ("CREATE (n:Country {iso3: 'ZZZ'}) RETURN n.iso3 AS x", "Create"),
        ("MATCH (c:Country) SET c.name = 'x' RETURN c.iso3 AS iso3", "SetProperty"),
    ],
)
def test_neo4j_s_own_plan_refuses_what_the_tokens_would_have_let_through(neo4j, text, operator):
    """The worker asks the server for the plan (EXPLAIN) before running: even a text that got past the tokens
    (here sent to the worker directly) is refused by what the engine says it would do."""
    from queries.sandbox import pool

    message = refusal(lambda: pool().run(neo4j.store.spec(), text, {}, 10))
    assert message == (
        f"only read queries are accepted; the server's plan for this query is not read-only ({operator})"
    )
    assert neo4j.run_text("MATCH (c:Country) WHERE c.iso3 = 'ZZZ' OR c.name = 'x' RETURN count(c) AS n").rows == [
        {"n": 0}
    ]


# --------------------------------------------------------------------------- the worker takes the blow
@pytest.fixture()
def pool():
    p = Pool(limits=Limits(wall_s=20))
    yield p
    p.close()


SLOW = "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b WITH a, b WHERE a + b = 3 RETURN count(*) AS n"


def test_a_crash_of_the_engine_is_one_line_and_the_next_query_runs(embedded, pool):
    """3,000 nested brackets crash Ladybug's parser (the guard refuses them; here they go to the worker
    directly): the worker dies, the caller gets a sentence, and a fresh worker answers the next query."""
    spec = embedded.store.spec()
    message = refusal(lambda: pool.run(spec, NESTED, {}))
    assert message.startswith("the query engine crashed (SIGSEGV) on this query")
    assert message.endswith("it ran in a separate worker process, so nothing else is affected")
    assert pool.run(spec, "RETURN 1 AS n", {})["rows"] == [{"n": 1}]


def test_a_query_past_the_wall_clock_limit_ends_its_worker_and_the_next_runs(embedded):
    """1e10 pairs filtered: Ladybug's own 10 s timeout would stop it; the 2 s wall clock ends the worker first."""
    pool = Pool(limits=Limits(wall_s=2))
    spec = embedded.store.spec()
    start = time.monotonic()
    message = refusal(lambda: pool.run(spec, SLOW, {}))
    elapsed = time.monotonic() - start
    assert message == (
        "the query ran longer than 2 s and was stopped (its worker process was ended; "
        "OUTREACH_QUERY_WALL_S sets the limit)"
    )
    assert elapsed < 4
    assert pool.run(spec, "RETURN 2 AS n", {})["rows"] == [{"n": 2}]
    pool.close()


def test_a_warm_worker_answers_ordinary_queries_without_starting_a_process(embedded, pool):
    spec = embedded.store.spec()
    pool.run(spec, "RETURN 1 AS n", {})
    times = []
    for _ in range(5):
        start = time.monotonic()
        pool.run(spec, "MATCH (c:Country) RETURN c.iso3 AS iso3", {})
        times.append(time.monotonic() - start)
    assert min(times) < 0.2  # a cold worker takes ~1 s to import and open; a warm one answers in milliseconds


# ------------------------------------------------------------------------------------ the command line
def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "queries", "run-text", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_run_text_prints_rows_with_typed_parameters():
    out = cli(
        "--text",
        "MATCH (c:Country) WHERE c.iso3 = $iso AND c.category = $cat RETURN c.name AS name",
        "--param",
        "iso=MYS",
        "--param",
        "cat=2",
        "--data",
        str(TINY),
        "--format",
        "json",
    )
    assert (out.returncode, json.loads(out.stdout)) == (0, [{"name": "Malaysia"}])


def test_run_text_refuses_with_one_line_and_exit_1(tmp_path):
    query = tmp_path / "q.cypher"
    query.write_text(PASSWD_TRICK, encoding="utf-8")
    for args in (["--text", PASSWD_TRICK], ["--file", str(query)]):
        out = cli(*args, "--data", str(TINY))
        assert (out.returncode, out.stdout, out.stderr) == (1, "", f"error: {LOAD_REFUSED}\n")
    out = cli("--text", "RETURN $y AS y", "--param", "y:int=２００８", "--data", str(TINY))
    assert (out.returncode, out.stderr) == (1, "error: parameter y: '２００８' is not a valid int\n")


def test_run_text_says_when_the_row_cap_stopped_fetching():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "queries",
            "run-text",
            "--text",
            "UNWIND range(1, 5000) AS x RETURN x",
            "--data",
            str(TINY),
            "--format",
            "csv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "OUTREACH_QUERY_MAX_ROWS": "100"},
    )
    assert out.returncode == 0
    assert out.stdout.splitlines()[-1] == "100" and len(out.stdout.splitlines()) == 101
    assert out.stderr == "note: the first 100 rows of more than 100 (the row cap, OUTREACH_QUERY_MAX_ROWS)\n"


# ------------------------------------------------------------------------------------------- the fuzz
PIECES = [
    "MATCH (c:Country)",
    "RETURN",
    "c.iso3 AS x",
    "WITH",
    "1 AS `a'`",
    "'",
    '"',
    "`",
    "//",
    "/*",
    "*/",
    "\\",
    ";",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "LOAD CSV FROM 'file:///etc/passwd' AS l",
    "CREATE (n)",
    "CALL db.labels()",
    "DELETE c",
    "SET c.x = 1",
    "UNWIND range(1, 10) AS y",
    "$p",
    "ORDER BY x",
    "LIMIT 5",
    "\n",
    "UNION",
    "COPY Country FROM 'x'",
    "LOAD FROM '/etc/passwd'",
    "x",
    "1",
    "c",
    ":",
    ",",
    ".",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map(" ".join))
def test_any_console_text_gets_rows_or_one_clear_line_and_the_process_survives(embedded, text):
    try:
        res = embedded.run_text(text, max_rows=50)
        assert "root:" not in json.dumps(res.rows, default=str)  # never a line of /etc/passwd
    except QueryError as e:
        message = str(e)
        assert message and "\n" not in message and "root:" not in message
    assert embedded.run_text("RETURN 1 AS alive").rows == [{"alive": 1}]
