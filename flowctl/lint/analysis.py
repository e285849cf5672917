"""Analyses of a flow that lint rules and ``simulate --explore`` share.

One home for each question about what a flow can do, so that the gate (lint) and the
generated tests (explore) never disagree about the same flow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flowctl.model.blocks import AIBlock, Block, EscalateBlock, GotoBlock, QuestionBlock
from flowctl.model.flow import Flow
from flowctl.model.graph import can_reach
from flowctl.model.project import Project


def escalates(project: Project) -> Callable[[Block], bool]:
    """A goal for ``can_reach``: an escalate block, or a goto to a flow that escalates
    (a goto to an unknown flow counts: that is R006's business, not a second warning)."""

    def goal(block: Block) -> bool:
        if isinstance(block, EscalateBlock):
            return True
        if isinstance(block, GotoBlock):
            target = project.flow(block.flow.name)
            return target is None or any(isinstance(b, EscalateBlock) for b in target.blocks)
        return False

    return goal


def without_escalation(project: Project, flow: Flow) -> Iterator[tuple[Block, str]]:
    """Free-text questions and ai blocks from which no escalation can be reached, with
    what kind of block each is ("free-text question", "ai block")."""
    goal = escalates(project)
    for block in flow.blocks:
        if isinstance(block, QuestionBlock) and block.free_text:
            kind = "free-text question"
        elif isinstance(block, AIBlock):
            kind = "ai block"
        else:
            continue
        if not can_reach(flow, block.id, goal):
            yield block, kind


def saved_names(flow: Flow) -> dict[str, list[Block]]:
    """Each variable the flow itself saves, with the blocks that save it."""
    saved: dict[str, list[Block]] = {}
    for block in flow.blocks:
        for ref in block.saves():
            saved.setdefault(ref.name, []).append(block)
    return saved
