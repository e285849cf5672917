"""Saved variables and the expression language: defined before use, names, syntax (V)."""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from jinja2 import nodes

from flowctl.expr.bounds import literal_limits
from flowctl.expr.evaluate import MAX_RANGE
from flowctl.expr.syntax import RESERVED_NAMES, Analysis, analyse_condition, analyse_template
from flowctl.lint.analysis import saved_names
from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.blocks import (
    AIBlock,
    ArticlesBlock,
    Block,
    BranchBlock,
    DataBlock,
    EscalateBlock,
    FormBlock,
    GotoBlock,
    QuestionBlock,
    SetBlock,
)
from flowctl.model.flow import Flow
from flowctl.model.graph import Edge
from flowctl.model.problem import Problem
from flowctl.model.values import Template, iter_expressions, iter_value_templates

#: Names a flow may read without saving them: the context, functions and Jinja's globals.
_RESERVED_TARGETS = RESERVED_NAMES

#: Out-edges of a block on which the block's ``save`` holds a value.
_SAVING_EDGES = frozenset({"next", "fallthrough", "choice"})


@dataclass(frozen=True, slots=True)
class Use:
    """One expression source of a flow, and how to read it."""

    block: Block | None  # None for ``start.when``
    field: str
    template: Template
    condition: bool  # a condition (one expression) rather than a template
    runtime: bool = True  # False for ``note`` of blocks other than escalate (never rendered)

    def analysis(self) -> Analysis:
        return (analyse_condition if self.condition else analyse_template)(self.template.source)

    def variables(self) -> frozenset[str]:
        return read_names(self.analysis()) - RESERVED_NAMES


def read_names(analysis: Analysis) -> frozenset[str]:
    """Names an expression reads (a bare name as a whole condition included)."""
    node = analysis.node
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return analysis.names | {node.name}
    return analysis.names


def _uses(flow: Flow) -> list[Use]:
    """Every template, condition and value string of a flow, in source order."""
    out: list[Use] = []
    if flow.start is not None and flow.start.when is not None:
        for expr in iter_expressions(flow.start.when):
            out.append(Use(None, "start.when", expr.template, True))
    for block in flow.blocks:
        if isinstance(block, SetBlock):
            for name, value in block.values:
                for template in iter_value_templates(value):
                    out.append(Use(block, f"values.{name.name}", template, False))
        for field_name, template in block.templates():
            out.append(Use(block, field_name, template, False))
        if block.note is not None and not isinstance(block, EscalateBlock):
            out.append(Use(block, "note", block.note, False, runtime=False))
        if isinstance(block, BranchBlock):
            for case in block.cases:
                for expr in iter_expressions(case.when):
                    out.append(Use(block, "when", expr.template, True))
        elif isinstance(block, DataBlock):
            for key in ("body", "query", "headers"):
                value = getattr(block, key)
                if value is not None:
                    for template in iter_value_templates(value):
                        out.append(Use(block, key, template, False))
    return out


def flow_uses(flow: Flow, ctx: LintContext) -> list[Use]:
    result: list[Use] = ctx.memo("variables.uses", flow, lambda: _uses(flow))
    return result


# --- where a name stands inside an expression string --------------------------------------

_CODE = re.compile(r"\{\{(.*?)(?:\}\}|$)|\{%(.*?)(?:%\}|$)", re.S)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.S)


def _code_regions(source: str, condition: bool) -> list[tuple[int, int]]:
    if condition:
        return [(0, len(source))]
    regions = []
    for match in _CODE.finditer(source):
        group = 1 if match.group(1) is not None else 2
        regions.append((match.start(group), match.end(group)))
    return regions


def name_offset(source: str, name: str, condition: bool) -> int:
    """Offset of the first read of ``name`` in ``source`` (outside string literals)."""
    pattern = re.compile(r"(?<![\w.])" + re.escape(name) + r"(?!\w)")
    for start, end in _code_regions(source, condition):
        code = source[start:end]
        masked = _STRING.sub(lambda m: " " * len(m.group(0)), code)
        hit = pattern.search(masked)
        if hit:
            return start + hit.start()
    return 0


# --- the data flow ---------------------------------------------------------------------------


def _generated(block: Block, edge: Edge) -> frozenset[str]:
    """Variables that hold a value after leaving ``block`` along ``edge``."""
    if isinstance(block, SetBlock):
        return frozenset(ref.name for ref, _ in block.values) if edge.kind in _SAVING_EDGES \
            else frozenset()
    if isinstance(block, (QuestionBlock, FormBlock, AIBlock, ArticlesBlock)):
        if block.save is not None and edge.kind in _SAVING_EDGES:
            return frozenset({block.save.name})
        return frozenset()
    if isinstance(block, DataBlock):
        if block.save is not None and block.on_error is not None and edge.kind in _SAVING_EDGES:
            return frozenset({block.save.name})
        return frozenset()
    return frozenset()


@dataclass
class DataFlow:
    """Must-be-defined variables on entry to every reachable block."""

    defined_in: dict[str, frozenset[str]]  # reachable block id → variables defined on entry
    adjacency: dict[str, list[Edge]]


def data_flow(flow: Flow, ctx: LintContext) -> DataFlow:
    def compute() -> DataFlow:
        adj = ctx.adjacency(flow)
        if not flow.blocks:
            return DataFlow({}, adj)
        entry = flow.blocks[0].id
        defined: dict[str, frozenset[str]] = {entry: frozenset()}
        queue = deque([entry])
        queued = {entry}
        while queue:
            block_id = queue.popleft()
            queued.discard(block_id)
            block = flow.by_id.get(block_id)
            if block is None:
                continue
            here = defined[block_id]
            for edge in adj.get(block_id, []):
                target = edge.target
                if target is None or target not in flow.by_id:
                    continue
                out = here | _generated(block, edge)
                if target == entry:
                    continue  # the entry starts with nothing, whatever loops back to it
                old = defined.get(target)
                new = out if old is None else old & out
                if new != old:
                    defined[target] = new
                    if target not in queued:
                        queued.add(target)
                        queue.append(target)
        return DataFlow(defined, adj)

    result: DataFlow = ctx.memo("variables.dataflow", flow, compute)
    return result


def _path_without(flow: Flow, flow_data: DataFlow, name: str, goal: str) -> list[str] | None:
    """A shortest path from the entry to ``goal`` on which no edge defines ``name``."""
    if not flow.blocks:
        return None
    entry = flow.blocks[0].id
    parent: dict[str, str | None] = {entry: None}
    queue = deque([entry])
    while queue:
        block_id = queue.popleft()
        if block_id == goal:
            path = []
            node: str | None = block_id
            while node is not None:
                path.append(node)
                node = parent[node]
            return path[::-1]
        block = flow.by_id[block_id]
        for edge in flow_data.adjacency.get(block_id, []):
            target = edge.target
            if target is None or target not in flow.by_id or target in parent:
                continue
            if name in _generated(block, edge):
                continue
            parent[target] = block_id
            queue.append(target)
    return None


def _callers_save(flow: Flow, ctx: LintContext) -> set[str]:
    """Variables saved by flows that hand over to this one with ``goto``."""
    names: set[str] = set()
    for other in ctx.project.flows:
        if other is flow:
            continue
        if any(isinstance(b, GotoBlock) and b.flow.name == flow.id for b in other.blocks):
            names.update(saved_names(other))
    return names


def _guarded(analysis: Analysis) -> frozenset[str]:
    """Names the expression itself tests for: `x is defined`, `x | default(...)`."""
    if analysis.node is None:
        return frozenset()
    names: set[str] = set()
    for test in analysis.tests:
        if test.name in ("defined", "undefined", "none") and isinstance(test.node, nodes.Name):
            names.add(test.node.name)
    for filt in analysis.filters:
        if filt.name in ("default", "d") and isinstance(filt.node, nodes.Name):
            names.add(filt.node.name)
    return frozenset(names)


def _show_path(path: list[str]) -> str:
    if len(path) > 6:
        path = [*path[:3], "…", *path[-2:]]
    return " → ".join(path)


@rule("V001", "undefined-variable")
def undefined_variable(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A template or condition reads a variable that is not saved on every path to it.

    flowctl follows every path from the first block: a question's `save` holds a value after
    an answer (not on `on_invalid` or `on_timeout`), a form's, AI block's or articles block's
    `save` after its `next`, a `set` block's values after it, and a data block's `save` only
    when it has `on_error` (without it a failed call carries on at `next` with the variable
    unset).  An undefined name renders as empty text and compares as false, which is rarely
    what the author meant.  `start.when` runs before any block, so it may only read the
    context (`event`, `page`, `visitor`, `device`, `agents`, `now`, `chat`).

    Bad:
        - {id: greet, type: message, text: "Hi!", next: route}
        - {id: route, type: branch, default: done,
           cases: [{when: "company_size == '200+'", next: sales}]}

    Good:
        - {id: ask_size, type: question, text: How big is your team?,
           choices: [1-10, 200+], save: company_size, on_invalid: done}
        - {id: route, type: branch, default: done,
           cases: [{when: "company_size == '200+'", next: sales}]}
    """
    if not flow.blocks:
        return
    flow_data = data_flow(flow, ctx)
    saved = saved_names(flow)
    inherited: set[str] | None = None
    for use in flow_uses(flow, ctx):
        if not use.runtime:
            continue
        analysis = use.analysis()
        variables = use.variables()
        if analysis.error is not None or not variables:
            continue
        if use.block is None:
            defined: frozenset[str] = frozenset()
        else:
            if use.block.id not in flow_data.defined_in:
                continue  # unreachable: G003 says so
            if flow.by_id.get(use.block.id) is not use.block:
                continue  # a duplicate id: G001 says so
            defined = flow_data.defined_in[use.block.id]
        if isinstance(use.block, SetBlock):
            # values of one set block may read the ones set before them
            before = []
            for ref, _ in use.block.values:
                if f"values.{ref.name}" == use.field:
                    break
                before.append(ref.name)
            defined = defined | frozenset(before)
        for name in sorted(variables - defined - _guarded(analysis),
                           key=lambda n: name_offset(use.template.source, n, use.condition)):
            span = use.template.span_at(name_offset(use.template.source, name, use.condition))
            if use.block is None:
                yield problem(
                    f"'{name}' is not available in `start.when`: the condition is checked "
                    "before any block runs, so no variable is saved yet",
                    span, "start conditions may read event, page, visitor, device, agents, "
                    "now and chat; test saved answers in a `branch` block",
                )
                continue
            if name not in saved:
                if inherited is None:
                    inherited = _callers_save(flow, ctx)
                if name in inherited:
                    continue
                guess = difflib.get_close_matches(name, list(saved), n=1, cutoff=0.6)
                yield problem(
                    f"'{name}' is never saved or set in flow '{flow.id}'",
                    span,
                    f"did you mean '{guess[0]}'?" if guess
                    else "save it with a question's `save:` or a `set` block before reading it",
                )
                continue
            path = _path_without(flow, flow_data, name, use.block.id) or [use.block.id]
            risky = [b for b in (flow.by_id.get(i) for i in path)
                     if isinstance(b, DataBlock) and b.save is not None and b.save.name == name
                     and b.on_error is None]
            if risky:
                data = risky[0]
                yield problem(
                    f"'{name}' may be undefined here: '{data.id}' saves it only when its call "
                    f"succeeds, and without `on_error` a failed call continues at `next` with "
                    f"'{name}' unset (path {_show_path(path)})",
                    span, f"add `on_error:` to '{data.id}', or check `{name} is defined` first",
                )
            else:
                savers = ", ".join(f"'{b.id}'" for b in saved[name][:3])
                yield problem(
                    f"'{name}' may be undefined here: no block on the path "
                    f"{_show_path(path)} saves it",
                    span, f"it is saved by {savers}; make every path to '{use.block.id}' "
                    f"pass there, or check `{name} is defined` first",
                )


@rule("V002", "reserved-save-target")
def reserved_save_target(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A `save:` or a `set` value uses a reserved name.

    `event`, `page`, `visitor`, `device`, `agents`, `now` and `chat` are the context, and
    `within`, `matches`, `contains_any` and `days_since` are functions: a variable of that
    name would hide them (or be hidden by them) in every template.

    Bad:
        - {id: ask_email, type: question, text: Your email?, expect: email, save: visitor}

    Good:
        - {id: ask_email, type: question, text: Your email?, expect: email, save: email}
    """
    for block in flow.blocks:
        for ref in block.saves():
            if ref.name in _RESERVED_TARGETS:
                what = "a `set` value" if isinstance(block, SetBlock) else "`save`"
                yield problem(
                    f"{what} of '{block.id}' uses the reserved name '{ref.name}'",
                    ref.span, f"choose another name, e.g. '{block.id}_{ref.name}'"
                    if ref.name not in ("now", "chat") else "choose another name",
                )


@rule("V003", "unused-variable", severity="info")
def unused_variable(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A variable is saved or set but no template or condition of the flow reads it.

    Often a leftover, or a typo on the reading side.  Variables are also kept with the
    conversation, so this is only information.

    Bad:
        - {id: ask_size, type: question, text: Team size?, choices: [1-10, 200+],
           save: company_size, on_invalid: done}
        - {id: done, type: end}

    Good:
        - {id: ask_size, type: question, text: Team size?, choices: [1-10, 200+],
           save: company_size, on_invalid: done}
        - {id: done, type: end, text: "Thanks ({{ company_size }})"}
    """
    read: set[str] = set()
    for use in flow_uses(flow, ctx):
        read.update(_loose_names(use))
    # a flow handed over to with goto may read them too
    for block in flow.blocks:
        if isinstance(block, GotoBlock):
            target = ctx.project.flow(block.flow.name)
            if target is not None and target is not flow:
                for use in flow_uses(target, ctx):
                    read.update(_loose_names(use))
    seen: set[str] = set()
    for block in flow.blocks:
        for ref in block.saves():
            if ref.name in read or ref.name in seen or ref.name in _RESERVED_TARGETS:
                continue
            seen.add(ref.name)
            yield problem(f"'{ref.name}' is saved by '{block.id}' but never read",
                          ref.span, "use it in a template or condition, or drop the `save`")


def _error_offset(source: str, message: str, offset: int) -> int:
    """Move the offset of "unexpected 'x'" onto the ``x`` itself (past blanks)."""
    found = re.match(r"unexpected '(.+?)'", message)
    if found:
        hit = source.find(found.group(1), offset)
        if hit >= 0 and not source[offset:hit].strip():
            return hit
    return offset


def _loose_names(use: Use) -> set[str]:
    """Names read by ``use``; for a text with a syntax error, every identifier in its code."""
    analysis = use.analysis()
    if analysis.error is None:
        return set(read_names(analysis))
    names: set[str] = set()
    source = use.template.source
    for start, end in _code_regions(source, use.condition):
        code = _STRING.sub(" ", source[start:end])
        names.update(re.findall(r"(?<![\w.])[A-Za-z_]\w*", code))
    return names


def _syntax_problem(kind: str, use: Use, analysis: Analysis) -> Problem:
    assert analysis.error is not None
    offset = _error_offset(use.template.source, analysis.error.message, analysis.error.offset)
    return problem(
        f"{kind} syntax: {analysis.error.message}",
        use.template.span_at(offset),
        "templates interpolate `{{ expression }}`; conditions are one Jinja expression "
        "without braces" if kind == "condition" else
        "write `{{ expression }}` with matching braces; `{% %}` tags must be closed",
    )


@rule("V004", "template-syntax")
def template_syntax(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A template is not valid Jinja.

    Templates are every text field (`text`, `note`, `retry_text`, tag names...) and the
    values of `set`, `body`, `query` and `headers`.

    Bad:
        - {id: greet, type: message, text: "Hi {{ visitor.name }!"}

    Good:
        - {id: greet, type: message, text: "Hi {{ visitor.name }}!"}
    """
    for use in flow_uses(flow, ctx):
        if use.condition:
            continue
        analysis = use.analysis()
        if analysis.error is not None:
            yield _syntax_problem("template", use, analysis)


@rule("V009", "template-over-limit")
def template_over_limit(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A template's literals already ask for more than a run allows.

    A run stops a template that would build a text over 100,000 characters or loop over
    more than 10,000 items (and the visitor's conversation with it); when the literal
    shows it (`center(500000000)`, `'%500000000d' % 1`, `'{:>500000000}'.format(x)`,
    `indent(500000000)`, `range(100000000)`), lint reports it first, with the same limits.

    Bad:
        - {id: banner, type: message, text: "{{ 'Welcome'|center(500000000) }}"}

    Good:
        - {id: banner, type: message, text: "{{ 'Welcome'|center(40) }}"}
    """
    for use in flow_uses(flow, ctx):
        analysis = use.analysis()
        if analysis.error is not None or analysis.node is None:
            continue
        source = use.template.source
        for word, message in literal_limits(analysis.node, MAX_RANGE):
            offset = source.find(word)
            yield problem(f"{'condition' if use.condition else 'template'} over a limit: "
                          f"{message}", use.template.span_at(max(offset, 0)),
                          "use a smaller width or count: a run stops this template")


@rule("V005", "condition-syntax")
def condition_syntax(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A condition (`when` of a branch case or of `start`) is not a valid expression.

    A condition is one Jinja expression, without `{{ }}`.

    Bad:
        - {when: "company_size = '200+'", next: sales}

    Good:
        - {when: "company_size == '200+'", next: sales}
    """
    for use in flow_uses(flow, ctx):
        if not use.condition:
            continue
        analysis = use.analysis()
        if analysis.error is not None:
            yield _syntax_problem("condition", use, analysis)
