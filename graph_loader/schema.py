"""The schema model: `schema.yaml` read into small immutable objects that every part of the product uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")
TYPES = {"string", "int", "float", "bool", "date", "enum", "list"}


@dataclass(frozen=True)
class Prop:
    name: str
    type: str
    required: bool = False
    computed: bool = False
    values: tuple = ()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    check: str | None = None
    references: str | None = None
    description: str = ""

    def expected(self) -> str:
        """A short phrase saying what a valid value looks like (used in error messages)."""
        if self.type == "enum":
            return "one of " + ", ".join(self.values)
        words = {
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
            "date": "a date YYYY-MM-DD",
            "string": "text",
            "list": "a ';'-separated list",
        }
        text = words[self.type]
        if self.min is not None and self.max is not None:
            text += f" from {_num(self.min)} to {_num(self.max)}"
        elif self.min is not None:
            text += f" >= {_num(self.min)}"
        if self.check == "iso3":
            text = "an ISO 3166-1 alpha-3 code"
        return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class NodeSpec:
    label: str
    key: str
    props: dict[str, Prop]
    file: str | None = None
    key_columns: tuple[str, ...] = ()
    key_format: str | None = None
    computed: bool = False
    description: str = ""
    style: dict = field(default_factory=dict)
    min_rows: int = 0  # a file with fewer records is refused (every other file depends on these)
    at_least_one: tuple[str, ...] = ()  # a record with all of these blank carries no data and is refused

    @property
    def data_props(self) -> dict[str, Prop]:
        return {n: p for n, p in self.props.items() if not p.computed}


@dataclass(frozen=True)
class RelSpec:
    type: str
    from_labels: tuple[str, ...]
    to_labels: tuple[str, ...]
    props: dict[str, Prop]
    file: str | None = None
    from_column: str | None = None
    to_columns: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    from_where: dict = field(default_factory=dict)  # flags the node a from_column value names must carry
    to_where: dict = field(default_factory=dict)  # ... and the node a to_column value names
    to_where_reason: str = ""  # why (said in the message when a value breaks to_where)
    computed: bool = False
    description: str = ""

    @property
    def own_file(self) -> bool:
        """True when the relationship has a CSV of its own (not a reference column in a node file)."""
        return bool(self.props)

    @property
    def identity(self) -> tuple[str, ...]:
        """Properties that, with the endpoints, identify one relationship (for MERGE)."""
        ends = {self.from_column, *self.to_columns}
        return tuple(k for k in self.key if k not in ends)


@dataclass(frozen=True)
class Schema:
    nodes: dict[str, NodeSpec]
    rels: dict[str, RelSpec]
    styles: dict
    non_iso_countries: frozenset

    def node_for_file(self, filename: str) -> NodeSpec | None:
        return next((n for n in self.nodes.values() if n.file == filename), None)

    def files(self) -> list[str]:
        """Every data file the schema reads, node files first (references resolve against them)."""
        seen: list[str] = []
        for spec in [*self.nodes.values(), *self.rels.values()]:
            if spec.file and spec.file not in seen:
                seen.append(spec.file)
        return seen

    def rels_in_file(self, filename: str) -> list[RelSpec]:
        return [r for r in self.rels.values() if r.file == filename]


def _prop(name: str, raw: dict) -> Prop:
    if raw.get("type") not in TYPES:
        raise ValueError(f"schema: property {name}: unknown type {raw.get('type')!r}")
    if any(not isinstance(v, str) for v in raw.get("values", ())):
        raise ValueError(f"schema: property {name}: enum values must be quoted strings (YAML reads yes/no as booleans)")
    return Prop(
        name=name,
        type=raw["type"],
        required=bool(raw.get("required", False)),
        computed=bool(raw.get("computed", False)),
        values=tuple(raw.get("values", ())),
        min=raw.get("min"),
        max=raw.get("max"),
        pattern=raw.get("pattern"),
        check=raw.get("check"),
        references=raw.get("references"),
        description=raw.get("description", ""),
    )


def _tuple(v) -> tuple:
    if v is None:
        return ()
    return tuple(v) if isinstance(v, list) else (v,)


def parse_schema(raw: dict) -> Schema:
    nodes = {}
    for label, n in raw["nodes"].items():
        props = {k: _prop(k, v) for k, v in n["properties"].items()}
        if n["key"] not in props:
            raise ValueError(f"schema: {label}: key {n['key']} is not a property")
        nodes[label] = NodeSpec(
            label=label,
            key=n["key"],
            props=props,
            file=n.get("file"),
            key_columns=_tuple(n.get("key_columns")),
            key_format=n.get("key_format"),
            computed=bool(n.get("computed", False)),
            description=n.get("description", ""),
            style=n.get("style", {}),
            min_rows=int(n.get("min_rows", 0)),
            at_least_one=_tuple(n.get("at_least_one")),
        )
        for col in nodes[label].at_least_one:
            if col not in props:
                raise ValueError(f"schema: {label}: at_least_one names {col}, which is not a property")
    rels = {}
    for rtype, r in raw["relationships"].items():
        props = {k: _prop(k, v) for k, v in (r.get("properties") or {}).items()}
        spec = RelSpec(
            type=rtype,
            from_labels=_tuple(r["from"]),
            to_labels=_tuple(r["to"]),
            props=props,
            file=r.get("file"),
            from_column=r.get("from_column"),
            to_columns=_tuple(r.get("to_column")),
            key=_tuple(r.get("key")),
            from_where=r.get("from_where") or {},
            to_where=r.get("to_where") or {},
            to_where_reason=r.get("to_where_reason", ""),
            computed=bool(r.get("computed", False)),
            description=r.get("description", ""),
        )
        for label in spec.from_labels + spec.to_labels:
            if label not in nodes:
                raise ValueError(f"schema: {rtype}: unknown label {label}")
        rels[rtype] = spec
    ids = raw.get("ids") or {}
    return Schema(
        nodes=nodes,
        rels=rels,
        styles=raw.get("styles", {}),
        non_iso_countries=frozenset((ids.get("non_iso_countries") or {}).keys()),
    )


@lru_cache(maxsize=4)
def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    with Path(path).open(encoding="utf-8") as f:
        return parse_schema(yaml.safe_load(f))
