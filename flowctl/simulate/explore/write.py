"""Generated visitors as visitors-file data: the steps each path took and what it saw."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flowctl.engine import BotMessage, Click, FlowEnded, Say, SubmitForm
from flowctl.model.blocks import AIBlock
from flowctl.simulate.explore.records import ExploreResult, Finding, Path


def _as_glob(text: str) -> str:
    """A glob matching ``text`` (``*`` and ``?`` match themselves); a text that would read
    as ``/regex/`` gets its final slash replaced by ``?``."""
    return text[:-1] + "?" if len(text) >= 2 and text[0] == "/" and text[-1] == "/" else text


def visitor_of(result: ExploreResult, path: Path, number: int) -> dict[str, Any]:
    """A visitor (as YAML-ready data) that replays ``path`` and expects what it did."""
    steps: list[dict[str, Any]] = []

    def expect_messages(outputs: list[BotMessage]) -> None:
        for message in outputs:
            if message.text:
                steps.append({"bot": _as_glob(message.text)})
            else:
                steps.append({"bot": {"type": str(message.kind)}})

    for move, per_input in zip(path.moves, path.outputs, strict=False):
        if not move.inputs:  # the start
            for outputs in per_input:
                expect_messages(outputs)
            continue
        if move.wait:
            steps.append({"wait": move.wait})
        if move.agents is not None:
            steps.append({"agents": dict(move.agents)})
        for item, outputs in zip(move.inputs, per_input, strict=False):
            if isinstance(item, Click):
                steps.append({"click": item.label})
            elif isinstance(item, Say):
                steps.append({"say": item.text})
            elif isinstance(item, SubmitForm):
                steps.append({"form": dict(item.values)})
            expect_messages(outputs)
    mocks: dict[str, Any] = {}
    by_endpoint: dict[str, list[dict[str, Any]]] = {}
    for exchange in path.exchanges:
        entry = {"status": exchange.response.status, "json": exchange.response.json}
        by_endpoint.setdefault(exchange.call.endpoint, []).append(entry)
    if by_endpoint:
        mocks["endpoints"] = {name: responses if len(responses) > 1 else responses[0]
                              for name, responses in by_endpoint.items()}
    if path.ai_replies:
        replies: list[Any] = [{"handoff": r.handoff} if r.handoff else r.text
                              for r in path.ai_replies]
        assistants = sorted({b.assistant.name for b in result.flow.blocks if isinstance(b, AIBlock)})
        mocks["ai"] = {assistants[0] if assistants else "default": replies}
    state = path.state
    assert state is not None
    visitor: dict[str, Any] = {"name": f"explore {number}: " + ", ".join(
        m.label for m in path.moves[1:4]) + (" …" if len(path.moves) > 4 else "")}
    if path.setup.context:
        visitor["context"] = path.setup.context
    visitor["agents"] = path.setup.agents
    if mocks:
        visitor["mocks"] = mocks
    visitor["steps"] = steps
    expect: dict[str, Any] = {"path": path.blocks}
    ended = [e.outcome for e in path.trace if isinstance(e, FlowEnded) and e.flow == result.flow.id]
    first_outcome = ended[0] if ended else state.outcome
    if first_outcome:
        expect["outcome"] = first_outcome
    visitor["expect"] = expect
    return visitor


def visitors_document(result: ExploreResult, start_time: datetime) -> dict[str, Any]:
    return {
        "flow": result.flow.id,
        "defaults": {"now": start_time.isoformat()},
        "visitors": [visitor_of(result, path, n) for n, path in enumerate(result.paths, 1)],
    }


def iter_findings(result: ExploreResult) -> Iterator[tuple[str, Finding]]:
    for finding in result.violations:
        yield "violation", finding
    for finding in result.unreached:
        yield "unreached", finding
