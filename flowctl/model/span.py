"""Where a model node came from."""

from __future__ import annotations

from typing import NamedTuple


class SourceSpan(NamedTuple):
    """A position in a source file; ``line`` and ``column`` are 1-based.

    A named tuple rather than a dataclass: the loader makes one for every node, and a
    tuple is several times cheaper to create than a frozen dataclass instance.
    """

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def at(self, line: int, column: int) -> SourceSpan:
        return SourceSpan(self.file, line, column)


UNKNOWN = SourceSpan("<unknown>", 1, 1)
