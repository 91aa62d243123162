"""Error types: every problem in data/ is reported as `file:line: field: what is wrong (what was expected)`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class DataError(Exception):
    """Raised when data/ does not validate; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__(self.summary())

    def summary(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in data"
        return head + ":\n" + "\n".join(str(p) for p in self.problems[:200]) + (
            f"\n... and {n - 200} more" if n > 200 else "")


class ConfigError(Exception):
    """A bad option or configuration value (weights, parameters); the message names the problem."""
