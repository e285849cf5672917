"""Located data of ``flowctl.yaml`` → :class:`flowctl.model.ProjectConfig`."""

from __future__ import annotations

from typing import Any

from flowctl.loader.nodes import Located, as_int, as_number, as_str
from flowctl.loader.yaml_reader import YamlDocument
from flowctl.model.blocks import Ref
from flowctl.model.project import (
    Assistant,
    Endpoint,
    HoursRule,
    LintSettings,
    ProjectConfig,
    PublishTarget,
    Schedule,
)
from flowctl.model.span import SourceSpan
from flowctl.model.values import Template


def build_config(doc: YamlDocument) -> ProjectConfig:
    data = doc.data if isinstance(doc.data, dict) else {}
    at = Located(doc)
    return ProjectConfig(
        name=as_str(data.get("project")),
        span=at.key_span(("project",)) if "project" in data else SourceSpan(doc.path),
        timezone=at.ref(("timezone",), data.get("timezone")),
        departments=at.refs(("departments",), data.get("departments")),
        schedules=_schedules(at, data.get("schedules")),
        endpoints=_endpoints(at, data.get("endpoints")),
        knowledge_dir=_knowledge_dir(data.get("ai")),
        knowledge_span=(at.span(("ai", "knowledge")) if _knowledge_dir(data.get("ai")) is not None
                        else None),
        assistants=_assistants(at, data.get("ai")),
        targets=_targets(at, data.get("targets")),
        identity_secret=at.template(("identity_secret",), data.get("identity_secret")),
        lint=_lint(at, data.get("lint")),
    )


def _schedules(at: Located, raw: Any) -> dict[str, Schedule]:
    out: dict[str, Schedule] = {}
    if not isinstance(raw, dict):
        return out
    for name, spec in raw.items():
        path = ("schedules", name)
        if not isinstance(spec, dict):
            out[name] = Schedule(name, at.key_span(path))
            continue
        hours = []
        if isinstance(spec.get("hours"), dict):
            for days, ranges in spec["hours"].items():
                sub = (*path, "hours", days)
                if isinstance(ranges, str):
                    ranges = [ranges]
                if isinstance(ranges, list):
                    hours.append(HoursRule(str(days), tuple(str(r) for r in ranges),
                                           at.key_span(sub)))
        out[name] = Schedule(
            name=name,
            span=at.key_span(path),
            hours=tuple(hours),
            closed=at.refs((*path, "closed"), spec.get("closed")),
            timezone=at.ref((*path, "timezone"), spec.get("timezone")),
        )
    return out


def _string_map(at: Located, path: tuple[Any, ...], raw: Any) -> tuple[tuple[str, Template], ...]:
    if not isinstance(raw, dict):
        return ()
    out = []
    for key, value in raw.items():
        template = at.template((*path, key), value)
        if template is not None:
            out.append((str(key), template))
    return tuple(out)


def _endpoints(at: Located, raw: Any) -> dict[str, Endpoint]:
    out: dict[str, Endpoint] = {}
    if not isinstance(raw, dict):
        return out
    for name, spec in raw.items():
        path = ("endpoints", name)
        spec = spec if isinstance(spec, dict) else {}
        url = at.template((*path, "url"), spec.get("url")) or Template("", at.key_span(path))
        out[name] = Endpoint(
            name=name,
            span=at.key_span(path),
            url=url,
            method=as_str(spec.get("method"), "POST").upper(),
            headers=_string_map(at, (*path, "headers"), spec.get("headers")),
            timeout=as_number(spec.get("timeout")) or 10.0,
            retries=as_int(spec.get("retries"), 0),
        )
    return out


def _knowledge_dir(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("knowledge"), str):
        return str(raw["knowledge"])
    return None


def _assistants(at: Located, raw: Any) -> dict[str, Assistant]:
    out: dict[str, Assistant] = {}
    if not isinstance(raw, dict) or not isinstance(raw.get("assistants"), dict):
        return out
    for name, spec in raw["assistants"].items():
        path = ("ai", "assistants", name)
        spec = spec if isinstance(spec, dict) else {}
        settings = _string_map(at, path, {k: v for k, v in spec.items() if k != "provider"})
        out[name] = Assistant(name, at.key_span(path), as_str(spec.get("provider")), settings)
    return out


def _targets(at: Located, raw: Any) -> dict[str, PublishTarget]:
    out: dict[str, PublishTarget] = {}
    if not isinstance(raw, dict):
        return out
    for name, spec in raw.items():
        path = ("targets", name)
        spec = spec if isinstance(spec, dict) else {}
        url = at.template((*path, "url"), spec.get("url")) or Template("", at.key_span(path))
        out[name] = PublishTarget(name, at.key_span(path), url,
                                  at.template((*path, "token"), spec.get("token")))
    return out


def _lint(at: Located, raw: Any) -> LintSettings:
    if not isinstance(raw, dict):
        return LintSettings()
    rules = []
    if isinstance(raw.get("rules"), dict):
        for key, level in raw["rules"].items():
            path = ("lint", "rules", key)
            rules.append((Ref(str(key), at.key_span(path)), str(level).lower()
                          if not isinstance(level, bool) else ("off" if not level else "error")))
    exclude = raw.get("exclude")
    return LintSettings(
        rules=tuple(rules),
        select=at.refs(("lint", "select"), raw.get("select")),
        ignore=at.refs(("lint", "ignore"), raw.get("ignore")),
        exclude=tuple(str(e) for e in exclude) if isinstance(exclude, list) else (),
    )


__all__ = ["Ref", "build_config"]
