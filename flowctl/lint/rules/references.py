"""Names that must exist in flowctl.yaml, the knowledge base or the project's flows (R).

Every rule here but R006 needs `flowctl.yaml`: without one (a flow linted on its own) there
is nothing to check the names against, and the rules stay silent.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from flowctl.expr.syntax import analyse_condition, analyse_template
from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.blocks import (
    AIBlock,
    ArticlesBlock,
    BranchBlock,
    DataBlock,
    EscalateBlock,
    GotoBlock,
    Ref,
    SetBlock,
)
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem
from flowctl.model.values import Template, iter_expressions, iter_value_templates


def _hint(name: str, known: Iterable[str], what: str, where: str) -> str:
    """'did you mean' when a known name is close, else the list of what exists."""
    names = sorted(known)
    guess = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if guess:
        return f"did you mean '{guess[0]}'?"
    if not names:
        return f"no {what} is defined: add one to {where}"
    listed = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f"{what}s defined in {where}: {listed}"


@rule("R001", "unknown-endpoint")
def unknown_endpoint(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A `data_update` or `data_request` block names an endpoint that `flowctl.yaml` does
    not define.

    Bad:
        - {id: push, type: data_update, endpoint: crn, body: {email: "{{ email }}"}}

    Good:
        # flowctl.yaml: endpoints: {crm: {url: "https://crm.example.com/api/contacts"}}
        - {id: push, type: data_update, endpoint: crm, body: {email: "{{ email }}"}}
    """
    if ctx.config is None:
        return
    known = ctx.config.endpoints
    for block in flow.blocks:
        if isinstance(block, DataBlock) and block.endpoint.name not in known:
            yield problem(
                f"endpoint '{block.endpoint.name}' of '{block.id}' is not defined in flowctl.yaml",
                block.endpoint.span,
                _hint(block.endpoint.name, known, "endpoint", "`endpoints:` of flowctl.yaml"),
            )


@rule("R002", "unknown-department")
def unknown_department(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """An `escalate` block names a department that `flowctl.yaml` does not list.

    Bad:
        - {id: to_sales, type: escalate, department: sale, when_unavailable: bye}

    Good:
        # flowctl.yaml: departments: [sales, support]
        - {id: to_sales, type: escalate, department: sales, when_unavailable: bye}
    """
    if ctx.config is None:
        return
    known = ctx.config.department_names
    for block in flow.blocks:
        if (isinstance(block, EscalateBlock) and block.department is not None
                and block.department.name not in known):
            yield problem(
                f"department '{block.department.name}' of '{block.id}' is not listed in "
                "flowctl.yaml",
                block.department.span,
                _hint(block.department.name, known, "department", "`departments:` of flowctl.yaml"),
            )


def _flow_templates(flow: Flow) -> Iterator[tuple[Template, bool]]:
    """Every expression source of a flow: (template, is_condition)."""
    if flow.start is not None and flow.start.when is not None:
        for expr in iter_expressions(flow.start.when):
            yield expr.template, True
    for block in flow.blocks:
        for _, template in block.templates():
            yield template, False
        if isinstance(block, BranchBlock):
            for case in block.cases:
                for expr in iter_expressions(case.when):
                    yield expr.template, True
        elif isinstance(block, SetBlock):
            for _, set_value in block.values:
                for template in iter_value_templates(set_value):
                    yield template, False
        elif isinstance(block, DataBlock):
            for data_value in (block.body, block.query, block.headers):
                if data_value is not None:
                    for template in iter_value_templates(data_value):
                        yield template, False


@rule("R003", "unknown-schedule")
def unknown_schedule(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """`start.schedule` or a `within('name')` call names a schedule that `flowctl.yaml`
    does not define.

    An unknown schedule never contains `now`, so the flow would never start, or the
    condition would always be false.

    Bad:
        start: {on: page_view, schedule: bussiness_hours}
        blocks:
          - id: route
            type: branch
            cases: [{when: "within('office_hours')", next: to_sales}]
            default: leave_details

    Good:
        # flowctl.yaml: schedules: {business_hours: {hours: {mon-fri: "09:00-17:30"}}}
        start: {on: page_view, schedule: business_hours}
        blocks:
          - id: route
            type: branch
            cases: [{when: "within('business_hours')", next: to_sales}]
            default: leave_details
    """
    if ctx.config is None:
        return
    known = ctx.config.schedules
    where = "`schedules:` of flowctl.yaml"
    if flow.start is not None and flow.start.schedule is not None:
        name = flow.start.schedule.name
        if name not in known:
            yield problem(f"schedule '{name}' of flow '{flow.id}' is not defined in flowctl.yaml",
                          flow.start.schedule.span, _hint(name, known, "schedule", where))
    for template, is_condition in _flow_templates(flow):
        analysis = (analyse_condition if is_condition else analyse_template)(template.source)
        for call in analysis.calls:
            if call.function != "within" or not call.args:
                continue
            name = call.args[0]
            if not isinstance(name, str) or name in known:
                continue
            yield problem(f"within('{name}'): schedule '{name}' is not defined in flowctl.yaml",
                          template.span_at(call.offset), _hint(name, known, "schedule", where))


@rule("R004", "unknown-assistant")
def unknown_assistant(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """An `ai` block names an assistant that `flowctl.yaml` does not define.

    A block without `assistant` uses the one named `default`, which must then exist.

    Bad:
        - {id: answer, type: ai, assistant: gtp, knowledge: [account]}

    Good:
        # flowctl.yaml: ai: {assistants: {gpt: {provider: openai, model: gpt-4o-mini}}}
        - {id: answer, type: ai, assistant: gpt, knowledge: [account]}
    """
    if ctx.config is None:
        return
    known = ctx.config.assistants
    where = "`ai.assistants:` of flowctl.yaml"
    for block in flow.blocks:
        if not isinstance(block, AIBlock) or block.assistant.name in known:
            continue
        if "assistant" not in block.field_spans:
            yield problem(
                f"ai block '{block.id}' names no assistant, and flowctl.yaml defines no "
                "`default` assistant",
                block.span_of("id"),
                "add `assistant: <name>` to the block, or an assistant named `default` to "
                + where + (f" (defined: {', '.join(sorted(known))})" if known else ""),
            )
        else:
            name = block.assistant.name
            yield problem(f"assistant '{name}' of '{block.id}' is not defined in flowctl.yaml",
                          block.assistant.span, _hint(name, known, "assistant", where))


@rule("R005", "unknown-knowledge-collection")
def unknown_knowledge_collection(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """An `ai` block's `knowledge` or an `articles` block's `collection` names a collection
    that no article of the knowledge base belongs to.

    Collections are declared by the `collection:` front matter of the markdown articles in
    the knowledge folder (`ai.knowledge` of flowctl.yaml).

    Bad:
        - {id: answer, type: ai, knowledge: [acount]}

    Good:
        # knowledge/reset.md has `collection: account` in its front matter
        - {id: answer, type: ai, knowledge: [account]}
    """
    if ctx.config is None:
        return
    known = ctx.project.collections
    where = (f"the articles of {ctx.config.knowledge_dir}" if ctx.config.knowledge_dir
             else "the knowledge base (`ai.knowledge` of flowctl.yaml)")
    refs: list[tuple[AIBlock | ArticlesBlock, Ref]] = []
    for block in flow.blocks:
        if isinstance(block, AIBlock):
            refs.extend((block, ref) for ref in block.knowledge)
        elif isinstance(block, ArticlesBlock) and block.collection is not None:
            refs.append((block, block.collection))
    for block, ref in refs:
        if ref.name not in known:
            yield problem(
                f"knowledge collection '{ref.name}' of '{block.id}' has no articles",
                ref.span, _hint(ref.name, known, "collection", where),
            )


@rule("R006", "unknown-flow")
def unknown_flow(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A `goto` block names a flow that is not in the project.

    Bad:
        - {id: onboard, type: goto, flow: onbaording}

    Good:
        # onboarding.flow.yaml says `flow: onboarding`
        - {id: onboard, type: goto, flow: onboarding}
    """
    known = {f.id for f in ctx.project.flows if f.id}
    for block in flow.blocks:
        if isinstance(block, GotoBlock) and block.flow.name not in known:
            yield problem(
                f"goto '{block.id}' names flow '{block.flow.name}', which is not in the project",
                block.flow.span, _hint(block.flow.name, known, "flow", "the project"),
            )

