"""Graph structure of a flow: ids, targets, reachability, ends and busy loops (G)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.blocks import Ref
from flowctl.model.flow import Flow
from flowctl.model.graph import busy_cycles, reachable
from flowctl.model.problem import Problem


@rule("G001", "duplicate-block-id")
def duplicate_block_id(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """Two blocks of a flow share an id.

    Targets name blocks by id, so every id must be unique within its flow.

    Bad:
        - {id: greet, type: message, text: Hi}
        - {id: greet, type: message, text: Hello again}

    Good:
        - {id: greet, type: message, text: Hi}
        - {id: greet_again, type: message, text: Hello again}
    """
    first: dict[str, int] = {}
    for block in flow.blocks:
        if block.id in first:
            yield problem(f"duplicate block id '{block.id}' (first used at line {first[block.id]})",
                          block.span_of("id"), "rename one of the two blocks")
        else:
            first[block.id] = block.span.line


def _target_refs(flow: Flow) -> Iterator[tuple[str, Ref]]:
    for block in flow.blocks:
        for exit_ in block.exits():
            yield exit_.kind, exit_.target


@rule("G002", "unknown-target")
def unknown_target(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A `next`, choice, case, `default`, `on_invalid`, `on_timeout`, `on_error` or
    `when_unavailable` names a block that does not exist in the flow.

    Bad:
        - {id: ask, type: question, text: Ready?, choices: [Yes], next: sned}
        - {id: send, type: message, text: Great}

    Good:
        - {id: ask, type: question, text: Ready?, choices: [Yes], next: send}
        - {id: send, type: message, text: Great}
    """
    ids = list(flow.by_id)
    for kind, target in _target_refs(flow):
        if target.name not in flow.by_id:
            guess = difflib.get_close_matches(target.name, ids, n=1, cutoff=0.6)
            yield problem(
                f"{kind.replace('_', ' ') if kind not in ('next', 'default') else kind} "
                f"target '{target.name}' is not a block of flow '{flow.id}'",
                target.span,
                f"did you mean '{guess[0]}'?" if guess else f"blocks: {', '.join(ids[:8])}",
            )


@rule("G003", "unreachable-block", severity="warning")
def unreachable_block(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """No path from the first block reaches this block.

    Usually a target was misspelled or a block was left behind after an edit.

    Bad:
        - {id: greet, type: message, text: Hi, next: done}
        - {id: orphan, type: message, text: Never shown}
        - {id: done, type: end}

    Good:
        - {id: greet, type: message, text: Hi, next: done}
        - {id: done, type: end}
    """
    if not flow.blocks:
        return
    seen = reachable(flow)
    for block in flow.blocks:
        if block.id not in seen:
            yield problem(f"block '{block.id}' cannot be reached from '{flow.blocks[0].id}'",
                          block.span_of("id"), "link to it, or remove it")


@rule("G004", "falls-off-end", severity="warning")
def falls_off_end(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A path runs past the last block of the list.

    The flow then ends with outcome `completed`, which is easy to do by accident: say
    `type: end` so that the outcome is deliberate and shows in analytics.

    Bad:
        - {id: greet, type: message, text: Bye}

    Good:
        - {id: greet, type: message, text: Bye}
        - {id: done, type: end, outcome: completed}
    """
    seen = reachable(flow)
    for edges in ctx.adjacency(flow).values():
        for edge in edges:
            if edge.kind == "fallthrough" and edge.target is None and edge.source in seen:
                block = flow.by_id[edge.source]
                yield problem(
                    f"'{block.id}' is the last block and has no `next`: the flow falls off "
                    "the end (outcome `completed`)",
                    block.span_of("id"), "add a `type: end` block, or a `next`",
                )


@rule("G005", "busy-loop")
def busy_loop(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A cycle of blocks can repeat forever without waiting for the visitor.

    A loop must pass through a `question`, `form` or `ai` block, which waits for an answer.

    Bad:
        - {id: a, type: message, text: Hi, next: b}
        - {id: b, type: tag, add: [looping], next: a}

    Good:
        - {id: a, type: question, text: Again?, choices: [Yes], next: b}
        - {id: b, type: tag, add: [looping], next: a}
    """
    for cycle in busy_cycles(flow):
        first = flow.by_id[cycle[0]]
        path = " → ".join([*cycle, cycle[0]])
        yield problem(f"loop without a waiting block: {path}", first.span_of("id"),
                      "put a question in the loop, or break it with a branch to an end")


@rule("G006", "duplicate-flow-id", scope="project")
def duplicate_flow_id(ctx: LintContext) -> Iterator[Problem]:
    """Two flow files declare the same `flow:` id.

    Bad:
        # a.flow.yaml and b.flow.yaml both say
        flow: feedback

    Good:
        flow: feedback-after-chat
    """
    first: dict[str, str] = {}
    for flow in ctx.project.flows:
        if not flow.id:
            continue
        if flow.id in first:
            yield problem(f"flow id '{flow.id}' is already used by {first[flow.id]}", flow.span,
                          "flow ids must be unique in the project")
        else:
            first[flow.id] = flow.file
