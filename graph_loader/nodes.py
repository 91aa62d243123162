"""Node ids and node records: what build_graph writes into the graph's node dicts.

Kept apart from build so that validation can make the records while the largest file is still being
parsed (its main thread would otherwise wait), and build_graph can take them as they are.
"""
from __future__ import annotations

from itertools import repeat


def node_id(label: str, key) -> str:
    return f"{label}:{key}"


def node_records(schema, tables: dict) -> tuple[dict[str, dict], dict[str, set]]:
    """(node id -> attributes, label -> keys) for every node file read, in schema order: each node's
    non-blank properties and its `label` (blank values are left out: missing is missing, never zero)."""
    records: dict[str, dict] = {}
    keys: dict[str, set] = {}
    for spec in schema.nodes.values():
        t = tables.get(spec.file) if spec.file else None
        if t is None:
            continue
        label = spec.label
        names = ["label", *(c for c in spec.data_props if c in t.data)]
        for key, vals in zip(t.data[spec.key], zip(repeat(label), *(t.data[c] for c in names[1:]))):
            attrs = {name: x for name, x in zip(names, vals) if x is not None}
            nid = node_id(label, key)
            if nid in records:
                records[nid].update(attrs)
            else:
                records[nid] = attrs
        keys[label] = set(t.data[spec.key])
    return records, keys
