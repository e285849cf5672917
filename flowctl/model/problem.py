"""A problem found in a user's files: the currency of loader, lint and visitors checks."""

from __future__ import annotations

import enum
import re
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

    def __post_init__(self) -> None:  # a 200 KB title must not make 1 MB of report
        object.__setattr__(self, "message", shorten_quoted(self.message))
        if self.hint is not None:
            object.__setattr__(self, "hint", shorten_quoted(self.hint))

    def stamped(self, code: str, name: str, severity: Severity) -> Problem:
        return replace(self, code=code, name=name, severity=severity)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)


QUOTED_MAX = 100  # characters of a value quoted in a message
MESSAGE_MAX = 1000
_QUOTED = re.compile("|".join(f"{q}[^{q}\\n]{{{QUOTED_MAX + 1},}}{q}" for q in "'\"`"))


def shorten(text: str, limit: int = QUOTED_MAX) -> str:
    """``text`` cut in the middle to ``limit`` characters (an ellipsis where it was cut)."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]}…{text[len(text) - (limit - head - 1):]}"


def _short_quote(match: re.Match[str]) -> str:
    quote, value = match[0][0], match[0][1:-1]
    return f"{quote}{shorten(value)}{quote} ({len(value):,} characters)"


def shorten_quoted(message: str) -> str:
    """The message with every long value it quotes (in '', "" or ``) shortened, and at most
    MESSAGE_MAX characters: messages are built in many rules, shortened here once."""
    if len(message) <= QUOTED_MAX:
        return message
    return shorten(_QUOTED.sub(_short_quote, message), MESSAGE_MAX)
