"""The Cypher library: one .cypher file per query, a registry built from their headers, and a runner."""

from .registry import Param, Query, QueryError, load_registry
from .runner import Result, Runner

__all__ = ["Param", "Query", "QueryError", "Result", "Runner", "load_registry"]
