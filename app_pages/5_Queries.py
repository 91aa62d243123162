"""Queries: the Cypher library (queries/*.cypher), one form per query built from its header, results as a
table (and a small graph when rows name countries), CSV download; and a read-only free-form Cypher box with a
field for each $parameter. Every query runs in a worker process with limits (queries/sandbox.py): a refusal,
a timeout or a crash is one line here, and the app goes on."""

from __future__ import annotations

import streamlit as st

from graph_loader import network_view as nv
from queries import QueryError
from queries.lexer import LexError
from queries.registry import TYPES, delete_query, parameters_used, save_query, typed_value, user_folder
from ui import context, render, state

MAX_SHOWN = 2000
GRAPH_COLUMNS = ("concern_iso3", "partner", "partners")

render.setup("Queries")
st.title("Queries")
ctx = context.sidebar()
which = ctx.backend
reg = state.registry()


def param_widget(qname: str, p):
    """One input per parameter type, with the header's default and help."""
    key, label = f"param_{qname}_{p.name}", f"{p.name} ({p.type}{', required' if p.required else ''})"
    if p.type == "int":
        return st.number_input(label, value=p.default, step=1, key=key, help=p.help, placeholder="null")
    if p.type == "float":
        return st.number_input(
            label, value=None if p.default is None else float(p.default), key=key, help=p.help, placeholder="null"
        )
    if p.type == "bool":
        return st.checkbox(label, value=bool(p.default), key=key, help=p.help)
    if p.choices:
        return st.selectbox(
            label, p.choices, index=p.choices.index(p.default) if p.default in p.choices else 0, key=key, help=p.help
        )
    if p.type == "list":
        text = st.text_input(label, value=", ".join(p.default or []), key=key, help=p.help + " (comma-separated)")
        return [x.strip() for x in text.split(",") if x.strip()]
    return st.text_input(label, value=p.default or "", key=key, help=p.help)


def run_named(qname: str, values: dict) -> None:
    try:
        before = state.neo4j_reconnects()
        with st.spinner(f"Running {qname} on {which} …"):
            cols, rows, more = state.query_capped(qname, **values)
        st.session_state["query_result"] = {
            "name": qname,
            "params": values,
            "columns": cols,
            "rows": rows,
            "more": more,
            "notice": state.reconnect_notice(before),
        }
    except QueryError as e:
        st.session_state["query_result"] = {"name": qname, "error": str(e)}


def show_result(res: dict, key: str) -> None:
    if "error" in res:
        st.error(render.md(res["error"]))
        return
    if res.get("notice"):
        st.info(res["notice"])
    rows, cols = res["rows"], res["columns"]
    used = ", ".join(f"{k}={v}" for k, v in (res.get("params") or {}).items())
    count = (
        f"the first {len(rows):,} of more than {len(rows):,} rows (the row cap; the CSV holds these)"
        if res.get("more")
        else f"{len(rows):,} row{'' if len(rows) == 1 else 's'}"
    )
    if res.get("more"):
        st.warning(f"Showing {count}: fetching stopped there. Narrow the query (WHERE, LIMIT) to see the rest.")
    st.caption(
        count
        + (f" (first {MAX_SHOWN:,} shown in the table)" if len(rows) > MAX_SHOWN else "")
        + (f" · parameters: {render.md(used)}" if used else "")
    )
    render.table(rows[:MAX_SHOWN], cols, key, file_name=f"{res['name']}.csv")
    g, ds = state.graph()
    drawn = nv.rows_graph(g, rows[:MAX_SHOWN], {label: spec.key for label, spec in ds.schema.nodes.items()})
    if drawn.number_of_nodes():
        with st.expander(
            f"As a graph ({drawn.number_of_nodes()} nodes, {drawn.number_of_edges()} relationships returned)",
            expanded=True,
        ):
            render.view(nv.render_html(drawn, title=res["name"], height=420), height=480)
    elif "iso3" in cols and any(c in cols for c in GRAPH_COLUMNS) and rows:
        g = state.graph()[0]
        small = nv.result_graph(g, rows[:MAX_SHOWN])
        if small.number_of_nodes():
            with st.expander(
                f"As a graph ({small.number_of_nodes()} countries, {small.number_of_edges()} links)", expanded=True
            ):
                render.view(nv.render_html(small, title=res["name"], height=420), height=480)


names = list(reg)
qname = st.selectbox(
    "Query",
    names,
    key="query_name",
    format_func=lambda n: f"{n} — {reg[n].title}" + (" (saved)" if reg[n].saved else ""),
)
q = reg[qname]
st.markdown(f"**{render.md(q.title)}**")
st.caption(render.md(q.description) + (f" · saved in {render.md(q.path.parent)}" if q.saved else ""))
if q.saved and st.button(f"Delete the saved query {qname}", key="delete_query"):
    try:
        delete_query(qname, reg)
        state.registry.clear()
        st.session_state.pop("query_name", None)
        st.rerun()
    except QueryError as e:
        st.error(render.md(e))
st.markdown("Returns: " + ", ".join(f"`{c}`" for c in q.returns))
with st.container(border=True):
    values = {p.name: param_widget(qname, p) for p in q.params}
    if not q.params:
        st.caption("This query has no parameters.")
    if st.button("Run query", key="run_query", type="primary"):
        run_named(qname, values)
res = st.session_state.get("query_result")
if res and res["name"] == qname:
    show_result(res, f"query_{qname}")

with st.expander("Query text"):
    st.code(q.text, language="cypher")

st.subheader("Free-form Cypher (read-only)")
st.caption(
    "One read query on the current backend, run in a separate worker process with time, memory and row "
    "limits. Writes, file loading (LOAD CSV, LOAD FROM, COPY), procedure calls and several statements are "
    "refused before running; on Neo4j the server's own plan is checked too. Use `$name` for a parameter: "
    "a field appears for it."
)
text = st.text_area(
    "Cypher",
    "MATCH (c:Country) WHERE c.recipient RETURN c.iso3 AS iso3, c.name AS name, "
    "c.risk_score AS risk ORDER BY risk DESC LIMIT 10",
    key="cypher_text",
    height=110,
)
try:
    wanted = parameters_used(text)
except LexError:
    wanted = []  # the run says what cannot be read
given = {}
for p in wanted:
    left, right = st.columns([4, 1])
    given[p] = (
        left.text_input(f"${p}", key=f"cypher_param_{p}"),
        right.selectbox(
            "type",
            ["by its text", *TYPES],
            key=f"cypher_type_{p}",
            help="'by its text': 2008 is a number, 0.5 a decimal, true/false a truth value, anything else text",
        ),
    )
if st.button("Run Cypher", key="run_cypher"):
    try:
        missing = [p for p, (v, _) in given.items() if v == ""]
        if missing:
            raise QueryError(
                "no value for "
                + ", ".join(f"${p}" for p in missing)
                + " (fill in its field: the query would otherwise match nothing)"
            )
        params = {p: typed_value(p, v, "" if t == "by its text" else t) for p, (v, t) in given.items()}
        before = state.neo4j_reconnects()
        with st.spinner("Running …"):
            r = state.runner().run_text(text, params)
        st.session_state["cypher_result"] = {
            "name": "cypher",
            "columns": r.columns,
            "rows": r.rows,
            "more": r.more,
            "params": params,
            "text": text,
            "notice": state.reconnect_notice(before),
        }
    except QueryError as e:
        st.session_state["cypher_result"] = {"name": "cypher", "error": str(e)}
if st.session_state.get("cypher_result"):
    res = st.session_state["cypher_result"]
    show_result(res, "cypher_result")
    if "error" not in res:
        with st.expander("Save as query (it joins the library above, with a form for its parameters)"):
            with st.form("save_query"):
                c1, c2 = st.columns(2)
                name = c1.text_input("Name (lower-case letters, digits, _)", key="save_name")
                title = c2.text_input("Title", key="save_title")
                description = st.text_input("What it answers", key="save_description")
                if st.form_submit_button("Save"):
                    try:
                        path = save_query(
                            name,
                            title,
                            description,
                            res["text"],
                            res.get("params") or {},
                            res["columns"],
                            reg,
                            user_folder(),
                        )
                        state.registry.clear()
                        st.session_state["query_saved"] = f"Saved {name} in {path}."
                        st.rerun()
                    except QueryError as e:
                        st.error(render.md(e))
if st.session_state.get("query_saved"):
    st.success(render.md(st.session_state.pop("query_saved")))
