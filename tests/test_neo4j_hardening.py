"""The local Neo4j (tools/neo4j-local) is hardened like a shared server should be: a Cypher console cannot read
files, fetch URLs or call plugin procedures even if the application's read-only guard were bypassed.

Everything here talks to the server through the neo4j driver directly, in read transactions (the console's
mode: a read transaction alone does NOT stop LOAD CSV), and asserts on the server's own answers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, free_port, java_available, need, stop_local_neo4j

pytestmark = pytest.mark.neo4j

LOAD_REFUSED = "Neo.ClientError.Statement.ExternalResourceFailed"
FILE_URLS_OFF = "configuration property 'dbms.security.allow_csv_import_from_file_urls' is false"
IPS_BLOCKED = "is blocked via the configuration property internal.dbms.cypher_ip_blocklist"


def read(uri: str, text: str, **params) -> list[dict]:
    from neo4j import READ_ACCESS, GraphDatabase

    with GraphDatabase.driver(uri, auth=None) as driver, driver.session(default_access_mode=READ_ACCESS) as s:
        return s.execute_read(lambda tx: [r.data() for r in tx.run(text, params)])


def refusal(uri: str, text: str):
    from neo4j.exceptions import ClientError

    with pytest.raises(ClientError) as err:
        read(uri, text)
    return err.value


# ------------------------------------------------------------------ LOAD CSV
@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:/etc/passwd",
        "FILE:///etc/passwd",
        "file:///../../../../etc/passwd",
        "file:///..%2F..%2Fetc/passwd",  # out of the import directory
        "file:///nope.csv",
        "file:///import/nope.csv",  # inside it, not there
    ],
)
def test_load_csv_from_any_file_url_is_refused_by_the_server(neo4j_uri, url):
    err = refusal(neo4j_uri, f"LOAD CSV FROM '{url}' AS row RETURN row LIMIT 1")
    assert err.code == LOAD_REFUSED
    assert f"Cannot load from URL '{url}': {FILE_URLS_OFF}" in err.message


@pytest.mark.parametrize(
    "url, address",
    [
        ("http://127.0.0.1:9/x.csv", "/127.0.0.1"),
        ("HTTP://127.0.0.1:9/x.csv", "/127.0.0.1"),
        ("https://localhost/x.csv", r"localhost/\S+"),
        ("http://[::1]:9/x.csv", "/0:0:0:0:0:0:0:1"),
        ("ftp://127.0.0.1/x.csv", "/127.0.0.1"),
    ],
)
def test_load_csv_over_the_network_is_refused_by_the_server_for_every_address(neo4j_uri, url, address):
    err = refusal(neo4j_uri, f"LOAD CSV FROM '{url}' AS row RETURN row LIMIT 1")
    assert err.code == LOAD_REFUSED
    assert re.search(
        f"Cannot load from URL '{re.escape(url)}': access to {address} {re.escape(IPS_BLOCKED)}", err.message
    ), err.message


def test_the_server_reports_the_hardening_settings_and_its_import_directory_is_empty(neo4j_uri):
    names = [
        "dbms.security.allow_csv_import_from_file_urls",
        "server.directories.import",
        "dbms.security.procedures.allowlist",
    ]
    got = {
        r["name"]: r["value"]
        for r in read(
            neo4j_uri, "CALL dbms.listConfig() YIELD name, value WHERE name IN $names RETURN name, value", names=names
        )
    }
    assert got["dbms.security.allow_csv_import_from_file_urls"] == "false"
    assert got["dbms.security.procedures.allowlist"] == ""
    import_dir = Path(got["server.directories.import"])
    assert import_dir.name == "import" and import_dir.parent.name == "home"  # DIR/home/import, a dedicated one
    if import_dir.is_dir():  # the server runs on this machine (as under CI): nothing to read in there
        assert list(import_dir.iterdir()) == []


# ------------------------------------------------------------------ procedures
def test_built_in_procedures_are_not_affected_by_the_allow_list(neo4j_uri):
    """Measured on 5.26 Community: the (empty) allow-list leaves built-in db.* / dbms.* / tx.* procedures alone."""
    assert read(neo4j_uri, "CALL dbms.components() YIELD edition RETURN edition") == [{"edition": "community"}]
    assert isinstance(read(neo4j_uri, "CALL db.labels() YIELD label RETURN count(label) AS n")[0]["n"], int)
    assert read(
        neo4j_uri, "CALL dbms.listConfig('dbms.security.allow_csv_import_from_file_urls') YIELD value RETURN value"
    ) == [{"value": "false"}]


def test_only_built_in_procedures_and_functions_are_there(neo4j_uri):
    namespaces = read(neo4j_uri, "SHOW PROCEDURES YIELD name RETURN collect(DISTINCT split(name, '.')[0]) AS ns")
    assert set(namespaces[0]["ns"]) <= {"db", "dbms", "tx"}
    assert read(neo4j_uri, "SHOW FUNCTIONS YIELD name, isBuiltIn WHERE NOT isBuiltIn RETURN count(name) AS n") == [
        {"n": 0}
    ]


PROBE_PLUGIN = """\
package probe;

import java.util.stream.Stream;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;
import org.neo4j.procedure.UserFunction;

public class Probe {
    public static class Out {
        public String value;
        public Out(String value) { this.value = value; }
    }

    @Procedure("probe.echo")
    public Stream<Out> echo(@Name("s") String s) { return Stream.of(new Out(s)); }

    @UserFunction("probe.twice")
    public String twice(@Name("s") String s) { return s + s; }
}
"""


@pytest.fixture(scope="module")
def plugin_server(neo4j_uri, tmp_path_factory):
    """A server of its own with a plugin jar (procedure probe.echo, function probe.twice) in DIR/home/plugins.
    Depends on neo4j_uri so that a local run has built tools/neo4j-launcher (its jars compile the plugin)."""
    need(java_available() and bool(shutil.which("javac")), "Java 17 (javac) and Maven are needed for the plugin test")
    api = sorted((ROOT / "tools" / "neo4j-launcher" / "target" / "lib").glob("neo4j-procedure-api-*.jar"))
    need(bool(api), "tools/neo4j-launcher is not built (run tools/neo4j-local start once)")
    work, folder, port = tmp_path_factory.mktemp("probe-plugin"), tmp_path_factory.mktemp("neo4j-plugin"), free_port()
    (work / "probe").mkdir()
    (work / "probe" / "Probe.java").write_text(PROBE_PLUGIN)
    subprocess.run(
        [
            "javac",
            "--release",
            "17",
            "-cp",
            str(api[-1]),
            "-d",
            str(work / "classes"),
            str(work / "probe" / "Probe.java"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    plugins = folder / "home" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(plugins / "probe.jar", "w") as jar:
        for f in sorted((work / "classes").rglob("*.class")):
            jar.write(f, f.relative_to(work / "classes").as_posix())
    # no --fresh: that would delete DIR/home with the plugin in it
    out = subprocess.run(
        [str(ROOT / "tools" / "neo4j-local"), "start", "--port", str(port), "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )
    if out.returncode != 0:
        raise RuntimeError(f"tools/neo4j-local start failed:\n{out.stderr[-3000:]}")
    yield {"uri": out.stdout.strip().splitlines()[-1], "folder": folder}
    stop_local_neo4j(folder, port)


def test_a_plugin_procedure_and_function_are_not_loaded_because_of_the_allow_list(plugin_server):
    uri = plugin_server["uri"]
    err = refusal(uri, "CALL probe.echo('x')")
    assert err.code == "Neo.ClientError.Procedure.ProcedureNotFound"
    assert "There is no procedure with the name `probe.echo` registered" in err.message
    err = refusal(uri, "RETURN probe.twice('x') AS v")
    assert err.code == "Neo.ClientError.Statement.SyntaxError"
    assert "Unknown function 'probe.twice'" in err.message
    assert read(uri, "SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'probe.' RETURN count(*) AS n") == [{"n": 0}]
    # the jar was found and skipped by the allow-list (not broken): Neo4j says so in its log
    log = (plugin_server["folder"] / "home" / "logs" / "debug.log").read_text(errors="replace")
    assert "The procedure 'probe.echo' is not on the allowlist and won't be loaded." in log
    assert "The function 'probe.twice' is not on the allowlist and won't be loaded." in log
    # built-ins still run on the same server
    assert read(uri, "CALL dbms.components() YIELD edition RETURN edition") == [{"edition": "community"}]


# ------------------------------------------------------------------ ordinary reads
def test_an_ordinary_read_query_still_works(neo4j_uri):
    assert read(neo4j_uri, "UNWIND range(1, 4) AS x RETURN sum(x) AS s") == [{"s": 10}]
    rows = read(neo4j_uri, "MATCH (n) RETURN count(n) AS n")
    assert len(rows) == 1 and rows[0]["n"] >= 0
