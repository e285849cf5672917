"""What can go wrong talking to a runtime: one exception, :class:`ClientError`, with a sentence
for people (never a token), and the lint problems of a bundle the server refused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flowctl.errors import PublishError


@dataclass(frozen=True)
class LintProblem:
    """One problem of the server's lint (the ``flowctl lint --format json`` shape); ``file`` is
    relative to the project root, as in the bundle."""

    file: str
    line: int
    column: int
    code: str
    severity: str
    message: str
    rule: str = ""
    hint: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LintProblem:
        def number(key: str) -> int:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else 1

        hint = data.get("hint")
        return cls(str(data.get("file", "")), number("line"), number("column"),
                   str(data.get("code") or ""), str(data.get("severity") or "error"),
                   str(data.get("message", "")), str(data.get("rule") or ""),
                   hint if isinstance(hint, str) and hint else None)

    def __str__(self) -> str:
        """``file:line:column: severity[CODE]: message``, as ``flowctl lint`` heads a problem."""
        heading = f"{self.severity}[{self.code}]" if self.code else self.severity
        return f"{self.file}:{self.line}:{self.column}: {heading}: {self.message}"


class ClientError(PublishError):
    """A request that did not get the answer it needed: the target unreachable or silent, the
    token refused (401), something missing (404), the bundle refused by the server's lint
    (422, :attr:`problems`), or an answer that is not the runtime API's.

    ``status`` is the HTTP status (None when there was no answer), ``code`` the error code of
    the answer's body (``unauthorized``, ``not_found``, ``lint_failed``...; ``unreachable`` and
    ``timeout`` when there was no answer).
    """

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None,
                 code: str | None = None, problems: Iterable[LintProblem] = ()) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.problems: tuple[LintProblem, ...] = tuple(problems)

    @property
    def refused(self) -> bool:
        """The server linted the bundle and refused it: :attr:`problems` say why."""
        return self.code == "lint_failed"

    def with_hint(self, hint: str) -> ClientError:
        return ClientError(self.message, hint=hint, status=self.status, code=self.code,
                           problems=self.problems)
