"""Export the graph for Gephi and other tools (GraphML, GEXF, JSON), always written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import networkx as nx
from networkx.readwrite.graphml import GraphMLWriter

from .graph import as_built, tables
from .schema import Schema

FORMATS = ("graphml", "gexf", "json")


@contextmanager
def atomic_path(out: Path | str, suffix: str = ""):
    """Yield a temporary path beside `out`; rename it onto `out` only if the block succeeds."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix or ".tmp", dir=out.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # an ordinary file's mode, not mkstemp's private 0600
    try:
        yield Path(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_json(g: nx.MultiDiGraph, schema: Schema) -> dict:
    """{"nodes": [{id, label, properties}], "relationships": [{type, from, to, properties}]} in schema order."""
    order = {label: i for i, label in enumerate(schema.nodes)}
    nodes = sorted(g.nodes(data=True), key=lambda nd: (order.get(nd[1]["label"], 99), nd[0]))
    rels = sorted(g.edges(data=True), key=lambda e: (e[2]["type"], e[0], e[1], json.dumps(e[2], sort_keys=True)))
    return {
        "nodes": [
            {"id": n, "label": d["label"], "properties": {k: v for k, v in d.items() if k != "label"}} for n, d in nodes
        ],
        "relationships": [
            {"type": d["type"], "from": u, "to": v, "properties": {k: x for k, x in d.items() if k != "type"}}
            for u, v, d in rels
        ],
    }


def _scalar(value):
    """A value GraphML and GEXF can hold: lists, tuples, sets and maps (a view's highlights and bundles carry
    them) as JSON text; scalars as they are."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return json.dumps(
            sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value),
            ensure_ascii=False,
            default=str,
        )
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return value


def _flat(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose edges carry an id (GEXF needs one) and whose values are plain scalars."""
    h = nx.MultiDiGraph()
    h.add_nodes_from((n, {k: _scalar(v) for k, v in d.items()}) for n, d in g.nodes(data=True))
    for i, (u, v, d) in enumerate(g.edges(data=True)):
        h.add_edge(u, v, key=i, **{k: _scalar(x) for k, x in d.items()})
    return h


def _one_type_per_name(h: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GEXF declares one type per attribute name (for nodes, and for edges): where one name carries values of
    different types (Country.partner is a flag, Activity.partner a country code) write that name as text,
    or the file does not read back."""
    for attrs in ([d for _, d in h.nodes(data=True)], [d for *_, d in h.edges(keys=True, data=True)]):
        types: dict[str, set] = {}
        for d in attrs:
            for k, v in d.items():
                types.setdefault(k, set()).add(type(v))
        mixed = {k for k, ts in types.items() if len(ts) > 1}
        for d in attrs:
            for k in mixed & d.keys():
                d[k] = ("true" if d[k] else "false") if isinstance(d[k], bool) else str(d[k])
    return h


def _gexf_types(h: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GEXF's edge `type` means directed/undirected/mutual, and networkx writes an edge attribute `type` there:
    the relationship type goes out as the attribute `rel_type` instead."""
    for *_, d in h.edges(keys=True, data=True):
        d["rel_type"] = d.pop("type")
    return h


def _write_graphml(h: nx.MultiDiGraph, path: Path) -> None:
    """GraphML keeps values as element text, where every XML reader turns a CR into LF: written as the
    character reference &#13; a CR in a note reads back as itself. The writer itself never emits a CR."""
    writer = GraphMLWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph_element(h)
    text = "<?xml version='1.0' encoding='utf-8'?>\n" + str(writer).replace("\r", "&#13;")
    Path(path).write_bytes(text.encode("utf-8"))


def _write(g: nx.MultiDiGraph, schema: Schema, fmt: str, path: Path) -> None:
    """Every relationship goes out as an edge: the bulk tables' rows too, in the order of an edge-by-edge build
    (graph.as_built), so the file does not depend on which form the data had in memory."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if tables(g):
        g = as_built(g)
    if fmt == "json":
        path.write_text(json.dumps(to_json(g, schema), ensure_ascii=False, indent=1), encoding="utf-8")
    elif fmt == "graphml":
        _write_graphml(_flat(g), path)
    else:
        nx.write_gexf(_gexf_types(_one_type_per_name(_flat(g))), path)


def export_graph(g: nx.MultiDiGraph, schema: Schema, fmt: str, out: Path | str) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})")
    out = Path(out)
    with atomic_path(out) as tmp:
        _write(g, schema, fmt, tmp)
    return out


def export_bytes(g: nx.MultiDiGraph, schema: Schema, fmt: str) -> bytes:
    """The bytes export_graph would write (for a download button): the same writer, through a temporary file."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="outreach-export-") as tmp:
        path = Path(tmp) / f"graph.{fmt}"
        _write(g, schema, fmt, path)
        return path.read_bytes()
