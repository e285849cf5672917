"""Where a model node came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """A position in a source file; ``line`` and ``column`` are 1-based."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def at(self, line: int, column: int) -> SourceSpan:
        return SourceSpan(self.file, line, column)


UNKNOWN = SourceSpan("<unknown>", 1, 1)
