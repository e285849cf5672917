"""Virtual visitor scripts checked against the flows and flowctl.yaml (C).

A script that names a flow, block, endpoint, department or choice that does not exist
would only fail when it is simulated, with a confusing transcript diff; these rules say so
at the line of the script.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any

from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.blocks import GotoBlock, MessageBlock, QuestionBlock
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem
from flowctl.model.span import SourceSpan
from flowctl.model.visitors import AgentsStep, ClickStep, VisitorFile


def _guess(name: str, names: Iterable[str], fallback: str) -> str:
    names = list(names)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return fallback + (": " + ", ".join(sorted(names)[:10]) if names else "")


def _flow(ctx: LintContext, name: str | None) -> Flow | None:
    return ctx.project.flow(name) if name else None


@rule("C001", "visitors-unknown-flow", scope="visitors")
def visitors_unknown_flow(vf: VisitorFile, ctx: LintContext) -> Iterator[Problem]:
    """A visitors file's `flow:`, or a visitor's `expect.flow`, is not a flow of the project.

    Bad:
        flow: lead-qualfication
        visitors:
          - name: small company
            expect: {flow: lead-qualfication}

    Good:
        flow: lead-qualification
        visitors:
          - name: small company
            expect: {flow: lead-qualification}
    """
    ids = [flow.id for flow in ctx.project.flows]
    refs = [vf.flow] + [v.expect.flow for v in vf.visitors if v.expect is not None]
    seen: set[tuple[int, int]] = set()
    for ref in refs:
        if ref is None or ref.name in ids or (ref.span.line, ref.span.column) in seen:
            continue
        seen.add((ref.span.line, ref.span.column))
        yield problem(f"'{ref.name}' is not a flow of the project", ref.span,
                      _guess(ref.name, ids, "flows"))


@rule("C002", "visitors-unknown-block", scope="visitors")
def visitors_unknown_block(vf: VisitorFile, ctx: LintContext) -> Iterator[Problem]:
    """An id in a visitor's `expect.path` is not a block of the flow it names.

    The flow is `expect.flow`, else the file's `flow:`.

    Bad:
        flow: lead-qualification
        visitors:
          - name: small company
            expect: {path: [greet, ask_sise, self_serve]}

    Good:
        flow: lead-qualification
        visitors:
          - name: small company
            expect: {path: [greet, ask_size, self_serve]}
    """
    seen: set[tuple[int, int]] = set()
    for visitor in vf.visitors:
        expect = visitor.expect
        if expect is None or not expect.path:
            continue
        name = expect.flow.name if expect.flow is not None else (vf.flow.name if vf.flow else None)
        flow = _flow(ctx, name)
        if flow is None:
            continue
        known = _blocks_with_gotos(ctx, flow)
        for ref in expect.path:
            if ref.name in known or (ref.span.line, ref.span.column) in seen:
                continue
            seen.add((ref.span.line, ref.span.column))
            yield problem(f"'{ref.name}' is not a block of flow '{flow.id}'", ref.span,
                          _guess(ref.name, flow.by_id, "blocks"))


def _blocks_with_gotos(ctx: LintContext, flow: Flow) -> set[str]:
    """Block ids of ``flow`` and of every flow it reaches with goto: a path spans them."""
    from flowctl.model.blocks import GotoBlock

    known: set[str] = set()
    pending, done = [flow], set()
    while pending:
        current = pending.pop()
        if current.id in done:
            continue
        done.add(current.id)
        known.update(current.by_id)
        for block in current.blocks:
            if isinstance(block, GotoBlock):
                target = _flow(ctx, block.flow.name)
                if target is not None:
                    pending.append(target)
    return known


@rule("C003", "visitors-unknown-endpoint", scope="visitors")
def visitors_unknown_endpoint(vf: VisitorFile, ctx: LintContext) -> Iterator[Problem]:
    """A mocked endpoint, or an endpoint in `expect.requests`, is not in flowctl.yaml.

    A mock of an endpoint that does not exist is never used, and the flow's real calls stay
    unmocked.

    Bad:
        mocks:
          endpoints:
            crn: {status: 201}

    Good:
        mocks:
          endpoints:
            crm: {status: 201}
    """
    if ctx.config is None:
        return
    names = list(ctx.config.endpoints)
    seen: set[tuple[int, int]] = set()
    for visitor in vf.visitors:
        refs = [mock.endpoint for mock in visitor.mocks.endpoints]
        if visitor.expect is not None and visitor.expect.requests:
            refs += [request.endpoint for request in visitor.expect.requests]
        for ref in refs:
            if ref.name in ctx.config.endpoints or (ref.span.line, ref.span.column) in seen:
                continue
            seen.add((ref.span.line, ref.span.column))
            yield problem(f"endpoint '{ref.name}' is not defined in flowctl.yaml", ref.span,
                          _guess(ref.name, names, "endpoints"))


def source_data(ctx: LintContext, file: str) -> tuple[Any, Any]:
    """A project file parsed again (for positions of mapping keys, scalars as written), memoised."""
    key = ("visitors-doc", file)
    cache = ctx._cache
    if key not in cache:
        doc = None
        text = ctx.project.sources.get(file)
        if text is not None:
            try:
                from flowctl.loader.yaml_reader import parse_yaml_text

                doc = parse_yaml_text(text, file)
            except Exception:
                doc = None
        cache[key] = doc
    doc = cache[key]
    return doc, (doc.data if doc is not None and doc.ok else None)


def _agents_maps(data: Any) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every ``agents`` mapping of a visitors file with its path."""
    if not isinstance(data, dict):
        return
    sources: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(data.get("defaults"), dict):
        sources.append((("defaults",), data["defaults"]))
    if isinstance(data.get("visitors"), list):
        sources += [(("visitors", i), v) for i, v in enumerate(data["visitors"])]
    for path, holder in sources:
        if not isinstance(holder, dict):
            continue
        if isinstance(holder.get("agents"), dict):
            yield (*path, "agents"), holder["agents"]
        if isinstance(holder.get("steps"), list):
            for j, step in enumerate(holder["steps"]):
                if isinstance(step, dict) and isinstance(step.get("agents"), dict):
                    yield (*path, "steps", j, "agents"), step["agents"]


@rule("C004", "visitors-unknown-department", scope="visitors")
def visitors_unknown_department(vf: VisitorFile, ctx: LintContext) -> Iterator[Problem]:
    """A department in `agents` (of a visitor, the defaults or an `agents` step) or in
    `expect.department` is not in flowctl.yaml.

    Bad:
        defaults:
          agents: {sales: 2, suport: 1}

    Good:
        defaults:
          agents: {sales: 2, support: 1}
    """
    if ctx.config is None:
        return
    known = ctx.config.department_names
    names = sorted(known)
    doc, data = source_data(ctx, vf.file)
    if data is not None:
        for path, agents in _agents_maps(data):
            for department in agents:
                if str(department) in known:
                    continue
                span = doc.key_span((*path, department))
                yield problem(f"department '{department}' is not defined in flowctl.yaml", span,
                              _guess(str(department), names, "departments"))
    else:  # fall back to the model (positions of the visitor or step)
        for visitor in vf.visitors:
            groups: list[tuple[Any, SourceSpan]] = [(visitor.agents, visitor.span)]
            groups += [(s.agents, s.span) for s in visitor.steps if isinstance(s, AgentsStep)]
            for agents, span in groups:
                for department in agents or {}:
                    if department not in known:
                        yield problem(f"department '{department}' is not defined in "
                                      "flowctl.yaml", span,
                                      _guess(str(department), names, "departments"))
    for visitor in vf.visitors:
        ref = visitor.expect.department if visitor.expect is not None else None
        if ref is not None and ref.name not in known:
            yield problem(f"department '{ref.name}' is not defined in flowctl.yaml", ref.span,
                          _guess(ref.name, names, "departments"))


def _labels(ctx: LintContext, flow: Flow) -> set[str]:
    """Choice and button labels of the flow and of every flow it can `goto`."""
    labels: set[str] = set()
    todo, done = [flow], set()
    while todo:
        current = todo.pop()
        if current.id in done:
            continue
        done.add(current.id)
        for block in current.blocks:
            if isinstance(block, QuestionBlock):
                labels.update(choice.label for choice in block.choices)
                if block.expect == "yes_no":
                    labels.update(("Yes", "No"))
            elif isinstance(block, MessageBlock):
                labels.update(button.label.source for button in block.buttons)
            elif isinstance(block, GotoBlock):
                target = ctx.project.flow(block.flow.name)
                if target is not None:
                    todo.append(target)
    return labels


@rule("C005", "visitors-unknown-choice", severity="warning", scope="visitors")
def visitors_unknown_choice(vf: VisitorFile, ctx: LintContext) -> Iterator[Problem]:
    """A `click:` step names a label that no question choice or message button of the flow
    has.

    Checked only when the file names its flow (`flow:`); flows reached by `goto` count too.

    Bad:
        steps:
          - click: 200 +

    Good:
        steps:
          - click: 200+
    """
    flow = _flow(ctx, vf.flow.name if vf.flow else None)
    if flow is None:
        return
    labels = _labels(ctx, flow)
    folded = {label.strip().casefold() for label in labels}
    seen: set[tuple[int, int]] = set()
    for visitor in vf.visitors:
        for step in visitor.steps:
            if not isinstance(step, ClickStep) or step.label.strip().casefold() in folded:
                continue
            if (step.span.line, step.span.column) in seen:
                continue
            seen.add((step.span.line, step.span.column))
            yield problem(f"no choice or button of flow '{flow.id}' is labelled "
                          f"'{step.label}'", step.span,
                          _guess(step.label, labels, "labels"))


@rule("C006", "visitors-invalid-regex", scope="visitors")
def visitors_invalid_regex(vf: VisitorFile, ctx: LintContext) -> Iterator[Problem]:
    """A `bot` step written as `/regex/` does not compile.

    Such a step could never match, and the failure would blame the flow.

    Bad:
        steps:
          - bot: "/Hi (Ada/"

    Good:
        steps:
          - bot: "/Hi (Ada|there)/"
    """
    import re

    from flowctl.model.visitors import BotStep

    seen: set[tuple[int, int]] = set()
    for visitor in vf.visitors:
        for step in visitor.steps:
            if not isinstance(step, BotStep) or step.text is None:
                continue
            text = step.text
            if not (len(text) >= 2 and text.startswith("/") and text.endswith("/")):
                continue
            key = (step.span.line, step.span.column)
            if key in seen:
                continue
            seen.add(key)
            try:
                re.compile(text[1:-1])
            except re.error as error:
                yield problem(f"bot step regex does not compile: {error.msg}", step.span,
                              "write a glob (`Hi *`), or fix the regular expression")
