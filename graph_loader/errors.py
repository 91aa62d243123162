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
        return f"{one_line(self.file)}:{self.line}: {one_line(self.field)}: {one_line(self.message)}"


def one_line(text: str) -> str:
    """Text as one printable line: a line break or terminal escape taken from the data (a header name, a key)
    is written as its escape, so it can neither split a problem line nor act on the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class DataError(Exception):
    """Raised when data/ does not validate; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__(self.summary())

    def summary(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in data"
        return (
            head
            + ":\n"
            + "\n".join(str(p) for p in self.problems[:200])
            + (f"\n... and {n - 200} more" if n > 200 else "")
        )


class ConfigError(Exception):
    """A bad option or configuration value (weights, parameters); the message names the problem."""
