"""Located data of a ``*.visitors.yaml`` → :class:`flowctl.model.visitors.VisitorFile`.

``defaults`` are merged under every visitor: mappings key by key (the visitor wins),
lists replaced.  Each piece is built from its own place in the file, so positions survive
the merge.
"""

from __future__ import annotations

from typing import Any

from flowctl.loader.nodes import Located, as_number
from flowctl.loader.yaml_reader import Path_, YamlDocument
from flowctl.model.blocks import Ref
from flowctl.model.flow import EventRef
from flowctl.model.span import SourceSpan
from flowctl.model.visitors import (
    AgentsStep,
    AIMock,
    AIReply,
    BotStep,
    ClickStep,
    EndpointMock,
    Expect,
    ExpectedRequest,
    FormStep,
    MockResponse,
    Mocks,
    SayStep,
    Step,
    Visitor,
    VisitorFile,
    WaitStep,
    freeze,
)


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key (``over`` wins); anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return over


def build_visitors(doc: YamlDocument) -> VisitorFile | None:
    data = doc.data
    if not isinstance(data, dict):
        return None
    at = Located(doc)
    defaults: dict[str, Any] = data["defaults"] if isinstance(data.get("defaults"), dict) else {}
    visitors = []
    if isinstance(data.get("visitors"), list):
        for index, raw in enumerate(data["visitors"]):
            if isinstance(raw, dict):
                visitors.append(_visitor(at, ("visitors", index), raw, defaults))
    return VisitorFile(
        span=SourceSpan(doc.path),
        visitors=tuple(visitors),
        flow=at.ref(("flow",), data.get("flow")),
    )


def _pick(raw: dict[str, Any], defaults: dict[str, Any], key: str, path: Path_) -> tuple[Any, Path_]:
    if key in raw:
        return raw[key], (*path, key)
    return defaults.get(key), ("defaults", key)


def _visitor(at: Located, path: Path_, raw: dict[str, Any], defaults: dict[str, Any]) -> Visitor:
    event, event_path = _pick(raw, defaults, "event", path)
    now, _ = _pick(raw, defaults, "now", path)
    steps_raw, steps_path = _pick(raw, defaults, "steps", path)
    agents = (deep_merge(defaults.get("agents"), raw["agents"]) if "agents" in raw
              else defaults.get("agents"))
    context = deep_merge(defaults.get("context") or {}, raw.get("context") or {})
    return Visitor(
        name=str(raw.get("name", f"visitor {path[-1]}")),
        span=at.span(path),
        event=EventRef.parse(event, at.span(event_path)) if isinstance(event, str) else None,
        now=now if isinstance(now, str) else None,
        agents=freeze(agents) if isinstance(agents, dict) else None,
        context=freeze(context) if isinstance(context, dict) else freeze({}),
        mocks=_mocks(at, raw.get("mocks"), (*path, "mocks"), defaults.get("mocks")),
        steps=_steps(at, steps_path, steps_raw),
        expect=_expect(at, (*path, "expect"), raw.get("expect")),
    )


def _mocks(at: Located, raw: Any, path: Path_, default: Any) -> Mocks:
    """Mocks of ``defaults`` merged under the visitor's: mappings key by key, lists replaced."""
    merged = deep_merge(default if isinstance(default, dict) else {},
                        raw if isinstance(raw, dict) else {})
    endpoints: dict[str, EndpointMock] = {}
    ai: dict[str, AIMock] = {}

    def origin(section: str, name: str) -> Path_:
        own = raw.get(section) if isinstance(raw, dict) else None
        if isinstance(own, dict) and name in own:
            return (*path, section, name)
        return ("defaults", "mocks", section, name)

    if isinstance(merged.get("endpoints"), dict):
        for name, spec in merged["endpoints"].items():
            sub = origin("endpoints", name)
            endpoints[name] = EndpointMock(Ref(name, at.key_span(sub)), _responses(at, sub, spec))
    if isinstance(merged.get("ai"), dict):
        for name, replies in merged["ai"].items():
            sub = origin("ai", name)
            ai[name] = AIMock(Ref(name, at.key_span(sub)), _replies(at, sub, replies))
    return Mocks(tuple(endpoints.values()), tuple(ai.values()))


def _responses(at: Located, path: Path_, spec: Any) -> tuple[MockResponse, ...]:
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for i, item in enumerate(items):
        sub = (*path, i) if isinstance(spec, list) else path
        if not isinstance(item, dict):
            continue
        status = item.get("status", 200)
        out.append(MockResponse(
            span=at.span(sub),
            status=status if isinstance(status, int) and not isinstance(status, bool) else 200,
            json=freeze(item.get("json")),
            text=item.get("text") if isinstance(item.get("text"), str) else None,
            headers=freeze(item.get("headers")),
            delay=as_number(item.get("delay")) or 0.0,
            timeout=item.get("timeout") is True,
            error=item.get("error") if isinstance(item.get("error"), str) else None,
        ))
    return tuple(out)


def _replies(at: Located, path: Path_, replies: Any) -> tuple[AIReply, ...]:
    items = replies if isinstance(replies, list) else [replies]
    out = []
    for i, item in enumerate(items):
        sub = (*path, i) if isinstance(replies, list) else path
        if isinstance(item, str):
            out.append(AIReply(at.span(sub), text=item))
        elif isinstance(item, dict) and isinstance(item.get("handoff"), str):
            out.append(AIReply(at.span(sub), handoff=item["handoff"],
                               text=item.get("text") if isinstance(item.get("text"), str) else None))
    return tuple(out)


def _strings(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(str(v) for v in value if not isinstance(v, dict | list))


def _steps(at: Located, path: Path_, raw: Any) -> tuple[Step, ...]:
    if not isinstance(raw, list):
        return ()
    steps: list[Step] = []
    for i, item in enumerate(raw):
        sub = (*path, i)
        if not isinstance(item, dict) or len(item) != 1:
            continue
        (kind, value), = item.items()
        span = at.key_span((*sub, kind))
        if kind == "bot":
            if isinstance(value, dict):
                text = value.get("text")
                steps.append(BotStep(
                    span, text=str(text) if text is not None else None,
                    choices=_strings(value.get("choices")),
                    buttons=_strings(value.get("buttons")),
                    image=value.get("image") if isinstance(value.get("image"), str) else None,
                    kind=value.get("type") if isinstance(value.get("type"), str) else None,
                ))
            elif value is not None and not isinstance(value, list):
                steps.append(BotStep(span, text=str(value)))
        elif kind == "say" and value is not None and not isinstance(value, dict | list):
            steps.append(SayStep(str(value), span))
        elif kind == "click" and value is not None and not isinstance(value, dict | list):
            steps.append(ClickStep(str(value), span))
        elif kind == "form" and isinstance(value, dict):
            steps.append(FormStep(freeze(value), span))
        elif kind == "wait" and as_number(value) is not None:
            steps.append(WaitStep(float(value), span))
        elif kind == "agents" and isinstance(value, dict):
            steps.append(AgentsStep(freeze(value), span))
    return tuple(steps)


def _expect(at: Located, path: Path_, raw: Any) -> Expect | None:
    if not isinstance(raw, dict):
        return None
    requests = None
    if isinstance(raw.get("requests"), list):
        requests = tuple(
            ExpectedRequest(
                endpoint=Ref(str(item.get("endpoint", "")), at.span((*path, "requests", i, "endpoint"))),
                span=at.span((*path, "requests", i)),
                method=item.get("method") if isinstance(item.get("method"), str) else None,
                body=freeze(item.get("body")),
                query=freeze(item.get("query")),
                headers=freeze(item.get("headers")),
            )
            for i, item in enumerate(raw["requests"]) if isinstance(item, dict)
        )
    path_ids = None
    if isinstance(raw.get("path"), list):
        path_ids = at.refs((*path, "path"), raw["path"])
    started = raw.get("started")
    outcome = raw.get("outcome")
    return Expect(
        span=at.key_span(path),
        started=started if isinstance(started, bool) else None,
        flow=at.ref((*path, "flow"), raw.get("flow")),
        outcome=outcome if isinstance(outcome, str) else None,
        department=at.ref((*path, "department"), raw.get("department")),
        tags=_strings(raw.get("tags")),
        variables=freeze(raw.get("variables")),
        visitor=freeze(raw.get("visitor")),
        requests=requests,
        path=path_ids,
    )
