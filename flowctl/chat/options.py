"""What a chat is set up with, parsed from the command line's ``KEY=VALUE`` strings.

Every parser raises :class:`flowctl.errors.ConfigError` with a message naming the bad
option, so that the command line can exit with code 2 and no traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from flowctl.engine.calls import Response
from flowctl.engine.device import DEVICE_TYPES
from flowctl.errors import ConfigError
from flowctl.model.flow import EVENT_TYPES as FLOW_EVENT_TYPES

#: Event types a chat can start on, without ``custom`` (written ``custom:<name>``).
EVENT_TYPES = tuple(kind for kind in FLOW_EVENT_TYPES if kind != "custom")


@dataclass
class ChatOptions:
    """The virtual visitor: its event and context, and how the outside world answers."""

    flow: str | None = None
    event: dict[str, Any] = field(default_factory=lambda: {"type": "page_view"})
    page: dict[str, Any] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=lambda: {"type": "desktop"})
    visitor: dict[str, Any] = field(default_factory=dict)
    #: agents online per department; departments not named keep the default (1 each)
    agents: dict[str, int] = field(default_factory=dict)
    #: the clock's start; None = the real current time in the project's time zone
    now: datetime | None = None
    #: canned responses per endpoint; endpoints not named answer 200 with ``{}``
    endpoints: dict[str, Response] = field(default_factory=dict)
    #: endpoints whose every call fails (status 500)
    failing: set[str] = field(default_factory=set)


def _pair(text: str, option: str, example: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"{option} expects KEY=VALUE, got '{text}'", hint=f"for example {example}")
    return key.strip(), value.strip()


def parse_scalar(text: str) -> Any:
    """``true``/``false``/``null``, numbers, JSON lists and mappings; anything else is text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", text):
        return float(text)
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def parse_event(text: str) -> dict[str, Any]:
    """``page_view`` or ``custom:<name>`` → the context's ``event``."""
    text = text.strip()
    if text.startswith("custom:"):
        name = text.split(":", 1)[1].strip()
        if not name:
            raise ConfigError("--event custom: needs a name",
                              hint="for example --event custom:purchase_completed")
        return {"type": "custom", "name": name}
    if text not in EVENT_TYPES:
        raise ConfigError(f"unknown event '{text}'",
                          hint="one of " + ", ".join(EVENT_TYPES) + ", or custom:<name>")
    return {"type": text}


def parse_visitor(items: list[str]) -> dict[str, Any]:
    """``name=Ada``, ``returning=true``, ``attributes.plan=pro`` → a nested mapping."""
    visitor: dict[str, Any] = {}
    for item in items:
        key, value = _pair(item, "--visitor", "--visitor name=Ada --visitor attributes.plan=pro")
        parts = key.split(".")
        if any(not part for part in parts):
            raise ConfigError(f"--visitor: bad field name '{key}'")
        target = visitor
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                raise ConfigError(f"--visitor: '{part}' is already set to a value")
            target = nested
        target[parts[-1]] = parse_scalar(value)
    return visitor


def parse_agents(items: list[str], departments: set[str] | frozenset[str]) -> dict[str, int]:
    """``sales=0`` (several may be comma-separated) → agents online per department."""
    agents: dict[str, int] = {}
    for item in items:
        for part in (p for p in re.split(r"[,\s]+", item) if p):
            name, value = _pair(part, "--agents", "--agents sales=2")
            if departments and name not in departments:
                raise ConfigError(f"unknown department '{name}'",
                                  hint="departments of flowctl.yaml: " + ", ".join(sorted(departments)))
            if not re.fullmatch(r"\d+", value):
                raise ConfigError(f"agents for '{name}' must be a whole number, got '{value}'")
            agents[name] = int(value)
    return agents


def parse_endpoint(items: list[str], known: set[str] | frozenset[str]) -> dict[str, Response]:
    """``crm=201`` or ``slots=200:[{"at": "10:00"}]`` → a canned response per endpoint."""
    out: dict[str, Response] = {}
    for item in items:
        name, value = _pair(item, "--endpoint", "--endpoint 'crm=201:{\"id\": 42}'")
        _known(name, known)
        status_text, sep, body = value.partition(":")
        if not re.fullmatch(r"\d{3}", status_text.strip()):
            raise ConfigError(f"--endpoint {name}: the status must be a 3-digit HTTP code, "
                              f"got '{status_text}'",
                              hint="NAME=STATUS or NAME=STATUS:JSON")
        payload: Any = {}
        if sep:
            try:
                payload = json.loads(body)
            except json.JSONDecodeError as error:
                raise ConfigError(f"--endpoint {name}: the response is not JSON ({error.msg})") from None
        out[name] = Response(status=int(status_text), json=payload)
    return out


def parse_failing(items: list[str], known: set[str] | frozenset[str]) -> set[str]:
    for name in items:
        _known(name, known)
    return set(items)


def _known(name: str, known: set[str] | frozenset[str]) -> None:
    if name not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise ConfigError(f"unknown endpoint '{name}'", hint=f"endpoints of flowctl.yaml: {listed}")


def parse_now(text: str, zone: tzinfo) -> datetime:
    """ISO 8601; without an offset, in the project's time zone."""
    from flowctl.engine.clock import NowError
    from flowctl.engine.clock import parse_now as engine_now

    try:
        return engine_now(text, zone)
    except NowError as error:
        raise ConfigError(f"--now: {error}",
                          hint="for example --now 2026-11-24T10:00 or 2026-11-24T10:00:00+01:00") from None


def parse_device(device_type: str | None, user_agent: str | None) -> dict[str, Any]:
    if device_type is not None and device_type not in DEVICE_TYPES:
        raise ConfigError(f"unknown device type '{device_type}'", hint="one of " + ", ".join(DEVICE_TYPES))
    device: dict[str, Any] = {}
    if user_agent:
        device["user_agent"] = user_agent
    if device_type:
        device["type"] = device_type
    return device or {"type": "desktop"}
