"""What can happen to a waiting conversation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


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
    """Time passed (the clock has moved): timeouts may fire."""


Input = Union[Say, Click, SubmitForm, Elapse]
