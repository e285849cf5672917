"""Values that are not what they seem: comparisons with a value a saved answer can never
have (V006), text that YAML reads as a number (V008)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from flowctl.expr.dnf import condition_dnf
from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.lint.rules.visitors import source_data
from flowctl.loader.yaml_reader import resolve_plain
from flowctl.model.blocks import BranchBlock, QuestionBlock
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem
from flowctl.model.span import SourceSpan
from flowctl.model.values import Condition, iter_expressions


def possible_values(flow: Flow) -> dict[str, tuple[str, tuple[object, ...]]]:
    """Variables whose every writer is a closed question: name → (question id, values)."""
    writers: dict[str, list[object]] = {}
    for block in flow.blocks:
        for ref in block.saves():
            writers.setdefault(ref.name, []).append(block)
    out: dict[str, tuple[str, tuple[object, ...]]] = {}
    for name, blocks in writers.items():
        if len(blocks) != 1 or not isinstance(blocks[0], QuestionBlock):
            continue
        question = blocks[0]
        if question.expect == "choice" and question.choices and not question.allow_other:
            out[name] = (question.id, tuple(c.saved_value for c in question.choices))
        elif question.expect == "yes_no" and not question.choices:
            out[name] = (question.id, (True, False))
    return out


@rule("V006", "impossible-comparison", severity="warning")
def impossible_comparison(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A branch condition compares a saved answer with a value the question never saves.

    A closed question saves one of its choices' values (the label when a choice has no
    `value`), so comparing with anything else is always false (`==`, `in`) or always true
    (`!=`, `not in`): usually a typo or a label used where the value is saved.

    Bad:
        - {id: ask, type: question, text: Size?, choices: [1-10, 200+], save: size}
        - id: route
          type: branch
          cases: [{when: "size == '200'", next: sales}]
          default: self_serve

    Good:
        - {id: ask, type: question, text: Size?, choices: [1-10, 200+], save: size}
        - id: route
          type: branch
          cases: [{when: "size == '200+'", next: sales}]
          default: self_serve
    """
    closed = possible_values(flow)
    if not closed:
        return
    for block in flow.blocks:
        if not isinstance(block, BranchBlock):
            continue
        for number, case in enumerate(block.cases, 1):
            reported: set[str] = set()
            for clause in condition_dnf(case.when):
                for atom in clause:
                    if atom.path not in closed or atom.op not in ("eq", "ne", "in", "notin"):
                        continue
                    question, values = closed[atom.path]
                    listed = atom.value if atom.op in ("in", "notin") else (atom.value,)
                    if not isinstance(listed, tuple | list):
                        continue
                    for value in listed:
                        if value in values or repr(value) in reported:
                            continue
                        reported.add(repr(value))
                        always = "false" if atom.op in ("eq", "in") else "true"
                        shown = ", ".join(str(v) for v in values)
                        guess = difflib.get_close_matches(str(value), [str(v) for v in values], n=1)
                        hint = f"did you mean '{guess[0]}'?" if guess else f"'{question}' saves: {shown}"
                        yield problem(
                            f"case {number} compares '{atom.path}' with {value!r}, which "
                            f"'{question}' never saves: the comparison is always {always}",
                            _literal_span(case.when, value) or atom.span or case.span, hint,
                        )


def _literal_span(condition: Condition, value: object) -> SourceSpan | None:
    """Where the literal ``value`` stands inside the condition's source, if findable."""
    for expr in iter_expressions(condition):
        for quoted in (f"'{value}'", f'"{value}"', str(value)):
            offset = expr.source.find(quoted)
            if offset >= 0:
                return expr.template.span_at(offset)
    return None


def number_as_text(raw: str) -> str | None:
    """What a plain scalar meant as text shows instead, when YAML reads it as a number that
    prints differently (``1.10`` shows ``1.1``, ``010`` shows ``10``); None otherwise."""
    written = raw.strip()
    value = resolve_plain(written)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    shown = str(value)  # as the loader turns it into text
    return None if shown == written else shown


def _choice_labels(ctx: LintContext, flow: Flow) -> Iterator[tuple[str, str, SourceSpan]]:
    """Each choice label of the flow's file as written: (raw text, style, where)."""
    doc, data = source_data(ctx, flow.file)
    blocks = data.get("blocks") if doc is not None and isinstance(data, dict) else None
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        choices = block.get("choices") if isinstance(block, dict) else None
        for j, choice in enumerate(choices if isinstance(choices, list) else []):
            path: tuple[str | int, ...] = ("blocks", i, "choices", j)
            if isinstance(choice, dict):
                path = (*path, "label")
            yield (*doc.raw(path), doc.span(path))


@rule("V008", "number-as-text", severity="warning")
def number_meant_as_text(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A choice label that YAML reads as a number that shows differently.

    YAML reads an unquoted `1.10` as the number 1.1 and `010` as 10, so the visitor sees
    `1.1` and a closed question saves `1.1`: quote text that looks like a number.  (Texts
    and tags must be strings: the schema check, S003, rejects a number there.)

    Bad:
        - {id: ask, type: question, text: Which version?, choices: [1.9, 1.10], save: version}

    Good:
        - {id: ask, type: question, text: Which version?, choices: ["1.9", "1.10"], save: version}
    """
    for raw, style, span in _choice_labels(ctx, flow):
        shown = None if style else number_as_text(raw)
        if shown is not None:
            written = raw.strip()
            yield problem(f"choice label {written} is read by YAML as the number {shown}, so it "
                          f"shows as '{shown}'", span, f'quote it: "{written}"')
