"""The ``device`` part of the context: fields parsed from the user agent when not given.

Parsing uses the maintained ``ua-parser`` package (1.x API, ``ua_parser.parse``) with the
precompiled rules of ``ua-parser-builtins``, which ``ua_parser`` picks up by itself.  It is
imported on first use, so commands that never build a context (``flowctl lint``) do not pay
for loading the rules.

``type`` is derived as follows, first match wins:

* ``bot``: the device family is ``Spider`` (ua-parser's name for crawlers), or the browser
  family or the user agent names a bot, crawler or spider;
* ``tablet``: an iPad, a device family or brand saying tablet (``Generic_Android_Tablet``,
  Kindle, Galaxy Tab...), or Android without the ``Mobile`` token (Android's convention for
  tablets);
* ``mobile``: iPhone/iPod, Android phones, Windows Phone, BlackBerry, KaiOS and other
  ``Mobile`` user agents;
* ``desktop``: everything else (iPadOS 13+ Safari presents itself as macOS and is desktop).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

FIELDS = ("type", "browser", "browser_version", "os", "os_version")
#: What ``device.type`` can be.
DEVICE_TYPES = ("desktop", "mobile", "tablet", "bot")
_BOT = re.compile(r"bot\b|crawl|spider|slurp|headless|lighthouse|facebookexternalhit|"
                  r"bingpreview|python-requests|curl/|wget/", re.IGNORECASE)
_TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook|galaxy tab|sm-t\d|sm-x\d|nexus (7|9|10)\b",
                     re.IGNORECASE)
_MOBILE_OS = {"ios", "windows phone", "blackberry os", "kaios", "firefox os", "symbian os"}


def _version(*parts: str | None) -> str | None:
    out: list[str] = []
    for part in parts:
        if part is None or part == "":
            break
        out.append(part)
    return ".".join(out) or None


def _family(name: str | None) -> str | None:
    return None if not name or name == "Other" else name


@lru_cache(maxsize=512)
def parse_user_agent(user_agent: str) -> dict[str, str | None]:
    """The five device fields parsed from a user agent string (None where unknown)."""
    from ua_parser import parse  # lazy: loading the rules costs ~0.1 s

    result = parse(user_agent)
    agent, system, device = result.user_agent, result.os, result.device
    browser = _family(agent.family) if agent else None
    os_name = _family(system.family) if system else None
    return {
        "type": _device_type(user_agent, browser, os_name,
                             device.family if device else None, device.brand if device else None),
        "browser": browser,
        "browser_version": _version(agent.major, agent.minor, agent.patch) if agent and browser else None,
        "os": os_name,
        "os_version": _version(system.major, system.minor, system.patch) if system and os_name else None,
    }


def _device_type(user_agent: str, browser: str | None, os_name: str | None,
                 family: str | None, brand: str | None) -> str:
    family_brand = f"{family or ''} {brand or ''}"
    if family == "Spider" or brand == "Spider" or _BOT.search(browser or "") or _BOT.search(user_agent):
        return "bot"
    system = (os_name or "").lower()
    if _TABLET.search(family_brand) or _TABLET.search(user_agent):
        return "tablet"
    if system == "android":
        return "mobile" if "mobile" in user_agent.lower() else "tablet"
    if family in ("iPhone", "iPod") or system in _MOBILE_OS:
        return "mobile"
    if re.search(r"\bmobile\b|phone", user_agent, re.IGNORECASE):
        return "mobile"
    return "desktop"


def device_from(device: Mapping[str, Any] | None) -> dict[str, Any]:
    """The context's ``device``: the given fields, completed from ``user_agent``.

    Fields given explicitly (not None) win over parsed ones; fields nothing can tell are
    left out (undefined in expressions).  Other keys are kept as given.
    """
    out = dict(device or {})
    user_agent = out.get("user_agent")
    if not isinstance(user_agent, str) or not user_agent.strip():
        return out
    if all(out.get(name) is not None for name in FIELDS):
        return out
    for name, value in parse_user_agent(user_agent.strip()).items():
        if out.get(name) is None and value is not None:
            out[name] = value
    return out


__all__ = ["device_from", "parse_user_agent"]
