"""Located data of a ``*.flow.yaml`` → :class:`flowctl.model.Flow`.

Defensive: the schema check has already reported every shape error, so a field with the
wrong type is simply left out here and a block without an ``id`` or a known ``type`` is
skipped.  Whatever can be checked further still is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowctl.loader.nodes import Located, as_int, as_number, as_str
from flowctl.loader.yaml_reader import Path_, YamlDocument
from flowctl.model.blocks import (
    BLOCK_TYPES,
    HANDOFF_REASONS,
    AIBlock,
    ArticlesBlock,
    Block,
    BranchBlock,
    Case,
    Choice,
    DataRequestBlock,
    DataUpdateBlock,
    EndBlock,
    EscalateBlock,
    FormBlock,
    FormField,
    GotoBlock,
    Image,
    LinkButton,
    MessageBlock,
    Pattern,
    QuestionBlock,
    Ref,
    SetBlock,
    TagBlock,
)
from flowctl.model.flow import ONCE_POLICIES, DateWindow, EventRef, Flow, Start
from flowctl.model.span import SourceSpan
from flowctl.model.values import Template

Builder = Callable[[Located, Path_, dict[str, Any], dict[str, Any]], Block]


def build_flow(doc: YamlDocument) -> Flow | None:
    data = doc.data
    if not isinstance(data, dict):
        return None
    at = Located(doc)
    flow_id = as_str(data.get("flow"))
    blocks: list[Block] = []
    raw_blocks = data.get("blocks")
    if isinstance(raw_blocks, list):
        for index, raw in enumerate(raw_blocks):
            block = _block(at, ("blocks", index), raw)
            if block is not None:
                blocks.append(block)
    by_id: dict[str, Block] = {}
    for block in blocks:
        by_id.setdefault(block.id, block)
    span = at.key_span(("flow",)) if "flow" in data else SourceSpan(doc.path)
    return Flow(
        id=flow_id,
        span=span,
        blocks=tuple(blocks),
        title=as_str(data.get("title")),
        description=as_str(data.get("description")),
        start=_start(at, data.get("start")),
        by_id=by_id,
    )


def _start(at: Located, raw: Any) -> Start | None:
    if not isinstance(raw, dict):
        return None
    path: Path_ = ("start",)
    events: tuple[EventRef, ...] = ()
    on = raw.get("on")
    if isinstance(on, str):
        events = (EventRef.parse(on, at.span((*path, "on"))),)
    elif isinstance(on, list):
        events = tuple(
            EventRef.parse(item, at.span((*path, "on", i)))
            for i, item in enumerate(on) if isinstance(item, str)
        )
    when = at.condition((*path, "when"), raw["when"]) if "when" in raw else None
    active = None
    window = raw.get("active")
    if isinstance(window, dict):
        active = DateWindow(
            start=window.get("from") if isinstance(window.get("from"), str) else None,
            end=window.get("until") if isinstance(window.get("until"), str) else None,
            span=at.key_span((*path, "active")),
            start_span=at.span((*path, "active", "from")) if "from" in window else None,
            end_span=at.span((*path, "active", "until")) if "until" in window else None,
        )
    once = raw.get("once")
    return Start(
        on=events,
        span=at.key_span(path),
        when=when,
        schedule=at.ref((*path, "schedule"), raw.get("schedule")),
        active=active,
        once=once if once in ONCE_POLICIES else "per_conversation",
        priority=as_int(raw.get("priority"), 0),
        priority_span=at.span((*path, "priority")) if "priority" in raw else None,
    )


def _block(at: Located, path: Path_, raw: Any) -> Block | None:
    if not isinstance(raw, dict):
        return None
    block_id = raw.get("id")
    block_type = raw.get("type")
    if not isinstance(block_id, str) or not isinstance(block_type, str) \
            or block_type not in BLOCK_TYPES:
        return None
    common: dict[str, Any] = {
        "id": block_id,
        "span": at.span(path),
        "next": at.ref((*path, "next"), raw.get("next")),
        "note": at.template((*path, "note"), raw.get("note")),
        "fields": tuple(str(k) for k in raw),
        # keys point at the key, but `id` at its value: it names the block in messages
        "field_spans": {str(k): at.span((*path, k)) if k == "id" else at.key_span((*path, k))
                        for k in raw},
    }
    builder = _BUILDERS[block_type]
    block: Block = builder(at, path, raw, common)
    return block


def _template(at: Located, path: Path_, raw: dict[str, Any], key: str) -> Template | None:
    return at.template((*path, key), raw[key]) if key in raw else None


def _message(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    image = None
    if isinstance(raw.get("image"), dict):
        img = raw["image"]
        url = at.template((*path, "image", "url"), img.get("url"))
        if url is not None:
            image = Image(url, at.template((*path, "image", "alt"), img.get("alt")),
                          at.span((*path, "image")))
    buttons = []
    if isinstance(raw.get("buttons"), list):
        for i, item in enumerate(raw["buttons"]):
            if isinstance(item, dict):
                sub = (*path, "buttons", i)
                label = at.template((*sub, "label"), item.get("label"))
                url = at.template((*sub, "url"), item.get("url"))
                if label is not None and url is not None:
                    buttons.append(LinkButton(label, url, at.span(sub)))
    return MessageBlock(**common, text=_template(at, path, raw, "text"), image=image,
                        buttons=tuple(buttons), delay=as_number(raw.get("delay")))


def _question(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    choices = []
    if isinstance(raw.get("choices"), list):
        for i, item in enumerate(raw["choices"]):
            sub = (*path, "choices", i)
            if isinstance(item, dict):
                label = item.get("label")
                if label is None or isinstance(label, dict | list):
                    continue
                choices.append(Choice(
                    label=str(label), span=at.span(sub),
                    value=at.value((*sub, "value"), item["value"]) if "value" in item else None,
                    next=at.ref((*sub, "next"), item.get("next")),
                ))
            elif item is not None and not isinstance(item, list):
                choices.append(Choice(label=_label(item), span=at.span(sub)))
    expect = raw.get("expect")
    if not isinstance(expect, str):
        expect = "choice" if choices else "text"
    pattern = None
    if isinstance(raw.get("pattern"), str):
        pattern = Pattern(raw["pattern"], at.span((*path, "pattern")))
    return QuestionBlock(
        **common,
        text=_template(at, path, raw, "text"),
        choices=tuple(choices),
        style=as_str(raw.get("style"), "quick_replies"),
        expect=expect,
        pattern=pattern,
        min=as_number(raw.get("min")),
        max=as_number(raw.get("max")),
        allow_other=raw.get("allow_other") is True,
        save=at.ref((*path, "save"), raw.get("save")),
        retries=as_int(raw.get("retries"), 2),
        retry_text=_template(at, path, raw, "retry_text"),
        on_invalid=at.ref((*path, "on_invalid"), raw.get("on_invalid")),
        timeout=as_number(raw.get("timeout")),
        on_timeout=at.ref((*path, "on_timeout"), raw.get("on_timeout")),
    )


def _label(item: Any) -> str:
    if item is True:
        return "true"
    if item is False:
        return "false"
    if isinstance(item, float) and item.is_integer():
        return str(int(item))
    return str(item)


def _form(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    fields = []
    if isinstance(raw.get("fields"), list):
        for i, item in enumerate(raw["fields"]):
            sub = (*path, "fields", i)
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            options = item.get("options")
            fields.append(FormField(
                name=item["name"], span=at.span(sub),
                label=at.template((*sub, "label"), item.get("label")),
                type=as_str(item.get("type"), "text"),
                required=item.get("required") is True,
                options=tuple(_label(o) for o in options) if isinstance(options, list) else (),
                profile=at.ref((*sub, "profile"), item.get("profile")),
            ))
    return FormBlock(
        **common,
        title=_template(at, path, raw, "title"),
        form_fields=tuple(fields),
        submit_label=_template(at, path, raw, "submit_label"),
        save=at.ref((*path, "save"), raw.get("save")),
        timeout=as_number(raw.get("timeout")),
        on_timeout=at.ref((*path, "on_timeout"), raw.get("on_timeout")),
    )


def _ai(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    assistant = at.ref((*path, "assistant"), raw.get("assistant")) or Ref(
        "default", common["span"]
    )
    handoff = raw.get("handoff_when")
    if isinstance(handoff, str):
        handoff = [handoff]
    return AIBlock(
        **common,
        assistant=assistant,
        instructions=_template(at, path, raw, "instructions"),
        knowledge=at.refs((*path, "knowledge"), raw.get("knowledge")),
        max_turns=as_int(raw.get("max_turns"), 5),
        handoff_when=tuple(h for h in handoff if isinstance(h, str))
        if isinstance(handoff, list) else HANDOFF_REASONS,
        save=at.ref((*path, "save"), raw.get("save")),
    )


def _data(cls: type[DataUpdateBlock] | type[DataRequestBlock]) -> Builder:
    def build(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
        endpoint = at.ref((*path, "endpoint"), raw.get("endpoint")) or Ref("", common["span"])
        return cls(
            **common,
            endpoint=endpoint,
            method=raw.get("method") if isinstance(raw.get("method"), str) else None,
            body=at.value((*path, "body"), raw["body"]) if "body" in raw else None,
            query=at.value((*path, "query"), raw["query"]) if "query" in raw else None,
            headers=at.value((*path, "headers"), raw["headers"]) if "headers" in raw else None,
            save=at.ref((*path, "save"), raw.get("save")),
            timeout=as_number(raw.get("timeout")),
            on_error=at.ref((*path, "on_error"), raw.get("on_error")),
        )

    return build


def _branch(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    cases = []
    if isinstance(raw.get("cases"), list):
        for i, item in enumerate(raw["cases"]):
            sub = (*path, "cases", i)
            if not isinstance(item, dict) or "when" not in item:
                continue
            when = at.condition((*sub, "when"), item["when"])
            target = at.ref((*sub, "next"), item.get("next"))
            if when is not None and target is not None:
                cases.append(Case(when, target, at.span(sub)))
    return BranchBlock(**common, cases=tuple(cases),
                       default=at.ref((*path, "default"), raw.get("default")))


def _tag(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    return TagBlock(**common, add=at.templates((*path, "add"), raw.get("add")),
                    remove=at.templates((*path, "remove"), raw.get("remove")))


def _escalate(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    priority = raw.get("priority")
    return EscalateBlock(
        **common,
        department=at.ref((*path, "department"), raw.get("department")),
        priority=priority if isinstance(priority, str) else "normal",
        text=_template(at, path, raw, "text"),
        when_unavailable=at.ref((*path, "when_unavailable"), raw.get("when_unavailable")),
    )


def _end(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    return EndBlock(**common, outcome=as_str(raw.get("outcome"), "completed") or "completed",
                    text=_template(at, path, raw, "text"))


def _set(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    values = []
    if isinstance(raw.get("values"), dict):
        for name, value in raw["values"].items():
            sub = (*path, "values", name)
            values.append((Ref(str(name), at.key_span(sub)), at.value(sub, value)))
    return SetBlock(**common, values=tuple(values))


def _articles(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    return ArticlesBlock(
        **common,
        query=_template(at, path, raw, "query"),
        collection=at.ref((*path, "collection"), raw.get("collection")),
        limit=as_int(raw.get("limit"), 3),
        save=at.ref((*path, "save"), raw.get("save")),
    )


def _goto(at: Located, path: Path_, raw: dict[str, Any], common: dict[str, Any]) -> Block:
    target = at.ref((*path, "flow"), raw.get("flow")) or Ref("", common["span"])
    return GotoBlock(**common, flow=target)


_BUILDERS = {
    "message": _message,
    "question": _question,
    "form": _form,
    "ai": _ai,
    "data_update": _data(DataUpdateBlock),
    "data_request": _data(DataRequestBlock),
    "branch": _branch,
    "tag": _tag,
    "escalate": _escalate,
    "end": _end,
    "set": _set,
    "articles": _articles,
    "goto": _goto,
}
