"""Secrets in outgoing calls: ``${NAME}`` references, resolved at send time, redacted after.

Flows and ``flowctl.yaml`` never hold a secret (lint rule P003): an endpoint's url or
header says ``Authorization: Bearer ${CRM_TOKEN}`` and the runtime reads ``CRM_TOKEN`` from
its environment only when the call is sent (:func:`resolve`), so a secret never enters a
conversation's state, the outbox or a log.

- ``NAME`` is ``[A-Za-z_][A-Za-z0-9_]*``; any other ``$`` text is left as it is.
- Resolution is one pass: a value holding ``${OTHER}`` is not resolved again.
- A reference to a name ``env`` lacks raises :class:`SecretMissing`, whose message names
  the reference, never a value; the call fails (``error="secret_missing"``) unsent.
- :func:`redact` replaces every resolved value (and its percent-encoded spellings, as it
  would appear in a URL) with ``***`` in any text about to be logged, stored or shown.

``env`` should hold only what the runtime means to expose to flows: a data block's
header may carry visitor text, so a visitor who types ``${SOME_NAME}`` makes the call
reference that name (the value then goes to the endpoint the flow names, no further).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "REFERENCE", "SecretMissing", "redact", "redact_value", "references",
           "resolve"]

#: A secret reference: ``${NAME}``.
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: What a secret value becomes in redacted text.
REDACTED = "***"


class SecretMissing(LookupError):
    """A ``${NAME}`` reference whose NAME the runtime's environment does not define."""

    def __init__(self, name: str) -> None:
        super().__init__(f"secret ${{{name}}} is not set in the runtime's environment")
        self.name = name


def references(text: str) -> list[str]:
    """The NAMEs ``text`` references, in order, each once."""
    return list(dict.fromkeys(REFERENCE.findall(text)))


def resolve(text: str, env: Mapping[str, str], used: set[str] | None = None,
            allowed: Collection[str] | None = None) -> str:
    """``text`` with every ``${NAME}`` replaced by ``env[NAME]``; with ``allowed``, only the
    NAMEs it holds (any other ``${...}`` stays text: a visitor's words that reached a header
    never fetch a secret).

    Raises :class:`SecretMissing` for the first NAME ``env`` lacks.  Each value resolved
    is added to ``used`` (when given): the values :func:`redact` must hide afterwards.
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if allowed is not None and name not in allowed:
            return match.group(0)
        if name not in env:
            raise SecretMissing(name)
        if used is not None and env[name]:
            used.add(env[name])
        return env[name]

    return REFERENCE.sub(value, text)


def _spellings(values: Iterable[str]) -> list[str]:
    """Each value as written and as percent-encoded in a URL; longest first, so a value
    that contains another is replaced whole."""
    found: set[str] = set()
    for value in values:
        if value:
            found.update({value, quote(value), quote(value, safe=""), quote_plus(value)})
    return sorted(found, key=len, reverse=True)


def redact(text: str, env_values: Iterable[str]) -> str:
    """``text`` with every one of ``env_values`` (resolved secrets) replaced by ``***``."""
    for spelling in _spellings(env_values):
        text = text.replace(spelling, REDACTED)
    return text


def redact_value(value: Any, env_values: Iterable[str]) -> Any:
    """:func:`redact` applied to every string (keys too) in a JSON-shaped value."""
    spellings = _spellings(env_values)
    if not spellings:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for spelling in spellings:
                item = item.replace(spelling, REDACTED)
            return item
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)
