"""A problem found in a user's files: the currency of loader, lint and visitors checks."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from flowctl.model.span import SourceSpan


class Severity(enum.IntEnum):
    """How serious a problem is; ordered so that ``max()`` picks the worst."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding.  Rules yield problems without ``code``; the runner stamps it."""

    message: str
    span: SourceSpan
    code: str = ""
    name: str = ""
    severity: Severity = Severity.ERROR
    hint: str | None = None
    end_column: int | None = None

    def stamped(self, code: str, name: str, severity: Severity) -> Problem:
        return replace(self, code=code, name=name, severity=severity)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)
