"""What can happen to a waiting conversation: the inputs a host feeds to ``Engine.handle``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from flowctl.engine.calls import Response


@dataclass(frozen=True)
class Say:
    """The visitor sends a message (typing a choice's label also selects it)."""

    text: str


@dataclass(frozen=True)
class Click:
    """The visitor clicks a choice by its label."""

    label: str


@dataclass(frozen=True)
class SubmitForm:
    """The visitor submits the open form."""

    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Elapse:
    """Time passed (the clock has moved): a timeout that is due fires."""


@dataclass(frozen=True)
class Responded:
    """The final answer to the awaited call ``key``: a success, or the last failure after
    the retry policy gave up (``attempts`` made)."""

    key: str
    response: Response
    attempts: int = 1


Input = Union[Say, Click, SubmitForm, Elapse, Responded]
