"""Build the evaluation context of the spec from what the caller knows and the state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from flowctl.loader.context_fields import context_roots

if TYPE_CHECKING:
    from datetime import datetime

    from flowctl.engine.state import Conversation

#: The context's top-level names (the format reference, via the visitors schema).
CONTEXT_KEYS = tuple(context_roots())

VISITOR_DEFAULTS: dict[str, Any] = {
    "identified": False, "returning": False, "visits": 1, "pages_viewed": 1,
    "time_on_page": 0, "time_on_site": 0, "idle": 0, "tags": [], "attributes": {},
    "utm": {},
}


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def plain(value: Any) -> Any:
    """Deep-copy mappings and sequences into dicts and lists (frozen data thawed)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def page_of(page: Mapping[str, Any]) -> dict[str, Any]:
    out = plain(page)
    url = out.get("url")
    if isinstance(url, str) and url:
        parts = urlsplit(url)
        out.setdefault("path", parts.path or "/")
        out.setdefault("query", dict(parse_qsl(parts.query)))
    out.setdefault("path", "/")
    out.setdefault("query", {})
    return out


def static_context(raw: Mapping[str, Any], departments: Mapping[str, int],
                   now: datetime) -> dict[str, Any]:
    """The parts of the context that do not change while one step runs: the caller's
    ``raw`` context completed with defaults, the device parsed from its user agent, the
    agents online per department and the time."""
    from flowctl.engine.device import device_from

    departments = dict(departments)
    context: dict[str, Any] = {
        key: plain(value) for key, value in raw.items() if key not in CONTEXT_KEYS
    }
    context.update({
        "event": plain(raw.get("event") or {}),
        "page": page_of(raw.get("page") or {}),
        "visitor": _merge(VISITOR_DEFAULTS, plain(raw.get("visitor") or {})),
        "device": device_from(plain(raw.get("device") or {})),
        "agents": {"online": sum(departments.values()), "departments": departments},
        "now": now,
        "chat": plain(raw.get("chat") or {}),
    })
    return context


def with_state(static: Mapping[str, Any], state: Conversation) -> dict[str, Any]:
    """The static context overlaid with what the conversation changed so far."""
    context = dict(static)
    context.update(state.variables)
    for key in ("event", "page", "device", "agents", "now"):
        context[key] = static[key]
    context["visitor"] = _merge(static["visitor"], state.visitor) if state.visitor else static["visitor"]
    chat = dict(static["chat"])
    chat["tags"] = list(state.tags)
    chat["messages"] = state.messages + int(chat.get("messages") or 0)
    context["chat"] = chat
    return context
