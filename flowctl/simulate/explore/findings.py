"""What explore reports: edges no generated visitor reached (and the likely reason), and
invariants a path breaks.

Invariants: every path ends in ``end``, ``escalate`` or ``goto`` (not by falling off the
end, not stuck); no more than ``max_messages`` bot messages pass without a chance to reply;
invalid answers do not lead back to the same question; and, by the same analysis as lint's
X002, an escalation can be reached from every free-text question and ai block (through a
``goto`` too).
"""

from __future__ import annotations

from typing import Any

from flowctl.engine import Took
from flowctl.lint.analysis import saved_names, without_escalation
from flowctl.model.blocks import BranchBlock, QuestionBlock
from flowctl.model.flow import Flow
from flowctl.model.graph import Edge, EdgeKind
from flowctl.model.project import Project
from flowctl.model.span import SourceSpan
from flowctl.simulate.explore.records import Finding, Limits, Path


def unreached(flow: Flow, edges: dict[str, Edge], uncovered: set[str],
              bounded: str | None = None, cut_off: set[str] | None = None) -> list[Finding]:
    """A finding for each edge not covered, with the likely reason.  When the search stopped
    at a budget (``bounded``), only edges of blocks that cannot be reached at all are
    reported: the others were simply not explored, which is not a defect of the flow."""
    from flowctl.model.graph import reachable

    graph_reachable = reachable(flow)
    findings = []
    for key in sorted(uncovered, key=lambda k: (edges[k].span.line, k)):
        edge = edges[key]
        block = flow.by_id.get(edge.source)
        if edge.source not in graph_reachable:
            reason = f"block '{edge.source}' cannot be reached at all"
        elif bounded is not None:
            continue
        elif cut_off is not None and edge.source in cut_off:
            reason = ("not reached within the exploration bounds: every way there is longer "
                      "than --max-moves or enters a block more often than --unroll allows")
        elif edge.kind == EdgeKind.CASE and _reads_flow_values(flow, block, edge.label):
            reason = ("its condition reads values the flow sets itself (a counter or a loop?); "
                      "try a larger --unroll")
        elif edge.kind == EdgeKind.CASE:
            reason = "no context derived from the condition's comparisons makes it hold first"
        elif edge.kind in (EdgeKind.DEFAULT, EdgeKind.FALLTHROUGH) and isinstance(block, BranchBlock):
            reason = "no context derived from the conditions makes every case false"
        elif edge.kind == EdgeKind.ON_INVALID:
            reason = "no answer could be derived that the question rejects"
        elif edge.kind in (EdgeKind.NEXT, EdgeKind.FALLTHROUGH) and isinstance(block, QuestionBlock):
            reason = "no valid answer could be derived (a pattern explore cannot satisfy?)"
        else:
            reason = "not reached within the exploration bounds (paths, moves, loop unrolling)"
        findings.append(Finding(f"{key}: {reason}", edge.span))
    return findings


def _reads_flow_values(flow: Flow, block: Any, label: str) -> bool:
    from flowctl.expr.syntax import analyse_condition
    from flowctl.model.blocks import SetBlock
    from flowctl.model.values import iter_expressions

    if not isinstance(block, BranchBlock):
        return False
    number = int(label.split()[-1]) if label.startswith("case ") else 0
    if not 0 < number <= len(block.cases):
        return False
    saved = {name for name, blocks in saved_names(flow).items()
             if any(isinstance(b, SetBlock) for b in blocks)}
    return any(analyse_condition(e.source).variables & saved
               for e in iter_expressions(block.cases[number - 1].when))


def violations(project: Project, flow: Flow, limits: Limits, paths: list[Path],
               stuck: list[tuple[str, str]] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()

    def add(message: str, span: SourceSpan) -> None:
        if message not in seen:
            seen.add(message)
            findings.append(Finding(message, span))

    def span_of(block_id: str) -> SourceSpan:
        block = flow.by_id.get(block_id)
        return block.span if block is not None else flow.span

    for block in flow.blocks:
        if isinstance(block, QuestionBlock) and block.on_invalid is not None \
                and block.on_invalid.name == block.id:
            add(f"invalid answers at '{block.id}' lead back to the same question: a visitor "
                "who cannot answer is asked forever", block.on_invalid.span)
    for block, kind in without_escalation(project, flow):
        add(f"no escalation is reachable from {kind} '{block.id}'", block.span)
    for block_id, why in stuck or []:
        add(f"a visitor who reaches '{block_id}' can never reach an end: {why} "
            "(stuck or looping)", span_of(block_id))
    for path in paths:
        if path.state is None:
            continue
        blocks = path.blocks
        last = blocks[-1] if blocks else ""
        taken = [e.edge for e in path.trace if isinstance(e, Took)]
        if path.truncated:
            # stopped at a bound (--max-moves, --unroll): not a defect; a real dead end is
            # found on the explored state graph (``stuck``)
            continue
        if not taken or taken[-1].kind != EdgeKind.END or taken[-1].target is not None:
            how = ("falls off the end of the flow" if taken and taken[-1].target is None
                   and taken[-1].kind == EdgeKind.FALLTHROUGH else f"ends '{path.state.outcome}'")
            add(f"a path {how} at '{last}' instead of reaching an end, escalate or goto "
                f"block{_why(flow, taken[-1] if taken else None)}", span_of(last))
        for outputs in (out for per_input in path.outputs for out in per_input):
            for run, message in enumerate(outputs, 1):
                if run > limits.max_messages:
                    add(f"more than {limits.max_messages} bot messages in a row before "
                        f"'{message.block}' without a chance to reply", span_of(message.block))
                    break
    findings.sort(key=lambda f: (f.span.line, f.span.column))
    return findings


def _why(flow: Flow, edge: Edge | None) -> str:
    """What made a path end without an end block, when an implicit exit did."""
    if edge is None or edge.target is not None:
        return ""
    block = flow.by_id.get(edge.source)
    if edge.kind == EdgeKind.ON_INVALID and isinstance(block, QuestionBlock):
        tries = block.retries + 1
        return (f": after {tries} invalid answer{'s' if tries != 1 else ''} the question has no "
                "`on_invalid`, so the conversation ends 'unresolved' and the visitor is left "
                "alone (add `on_invalid`, e.g. to an escalate block; lint X001)")
    if edge.kind == EdgeKind.ON_TIMEOUT:
        return (": the visitor stayed silent past the `timeout` and the block has no "
                "`on_timeout`, so the conversation ends without its end block (add `on_timeout`)")
    return ""
