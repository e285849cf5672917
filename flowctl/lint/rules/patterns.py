"""Regular expressions and literal secrets (P)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from jinja2 import nodes

from flowctl.expr.syntax import Analysis, analyse_condition, analyse_template
from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.blocks import BranchBlock, DataBlock, QuestionBlock, SetBlock
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem
from flowctl.model.span import SourceSpan
from flowctl.model.values import (
    ListValue,
    MappingValue,
    Template,
    Value,
    iter_expressions,
    iter_value_templates,
)


@dataclass(frozen=True, slots=True)
class FoundPattern:
    source: str
    span: SourceSpan
    where: str  # "pattern of 'ask_code'" / "matches() in 'route'"


def _expression_sources(flow: Flow) -> Iterator[tuple[str, Template, bool]]:
    """(block id, template, is_condition) for every expression source of the flow."""
    if flow.start is not None and flow.start.when is not None:
        for expr in iter_expressions(flow.start.when):
            yield "start", expr.template, True
    for block in flow.blocks:
        for _, template in block.templates():
            yield block.id, template, False
        if isinstance(block, BranchBlock):
            for case in block.cases:
                for expr in iter_expressions(case.when):
                    yield block.id, expr.template, True
        elif isinstance(block, SetBlock):
            for _, value in block.values:
                for template in iter_value_templates(value):
                    yield block.id, template, False
        elif isinstance(block, DataBlock):
            for data in (block.body, block.query, block.headers):
                if data is not None:
                    for template in iter_value_templates(data):
                        yield block.id, template, False


def _literal_offset(source: str, start: int, value: str) -> int:
    """Where the string literal ``value`` (the 2nd argument of a call at ``start``) starts."""
    hit = source.find(value, start) if value else -1
    if hit >= 0:
        return hit
    comma = source.find(",", start)
    if comma >= 0:
        for index in range(comma + 1, len(source)):
            if source[index] in "'\"":
                return index + 1
    return start


def flow_patterns(flow: Flow) -> Iterator[FoundPattern]:
    """Every regular expression a flow uses: question patterns and ``matches()`` literals."""
    for block in flow.blocks:
        if isinstance(block, QuestionBlock) and block.pattern is not None:
            yield FoundPattern(block.pattern.source, block.pattern.span,
                               f"pattern of '{block.id}'")
    for block_id, template, condition in _expression_sources(flow):
        analysis = (analyse_condition if condition else analyse_template)(template.source)
        if analysis.node is None:
            continue
        search = 0
        for call in _matches_calls(analysis):
            literal = call.args[1]
            assert isinstance(literal, nodes.Const)
            pattern: str = literal.value
            start = template.source.find("matches(", search)
            if start < 0:
                start = 0
            search = start + 1
            offset = _literal_offset(template.source, start, pattern)
            yield FoundPattern(pattern, template.span_at(offset), f"matches() in '{block_id}'")


def _matches_calls(analysis: Analysis) -> list[nodes.Call]:
    """``matches(value, 'literal')`` calls in an expression tree, the root included."""
    return [
        call for call in analysis.call_nodes
        if isinstance(call.node, nodes.Name) and call.node.name == "matches"
        and len(call.args) >= 2 and isinstance(call.args[1], nodes.Const)
        and isinstance(call.args[1].value, str)
    ]


@lru_cache(maxsize=1024)
def _compile_error(pattern: str) -> re.error | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return exc
    return None


def _precise(ctx: LintContext, found: FoundPattern, pos: int) -> SourceSpan:
    """The column of character ``pos`` of the pattern, when the pattern stands verbatim."""
    lines = ctx.project.sources.get(found.span.file, "").splitlines()
    if 0 < found.span.line <= len(lines) and found.source:
        index = lines[found.span.line - 1].find(found.source, found.span.column - 1)
        if index >= 0:
            return found.span.at(found.span.line, index + 1 + min(pos, len(found.source) - 1))
    return found.span


@rule("P001", "invalid-regex")
def invalid_regex(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A question's `pattern` or a `matches(value, 'pattern')` pattern is not a valid
    regular expression.

    An invalid pattern fails at run time: every answer is rejected, or the condition is false.

    Bad:
        - {id: ask_code, type: question, text: Your order number?, expect: regex,
           pattern: '^[A-Z{2}-\\d+$', on_invalid: human}

    Good:
        - {id: ask_code, type: question, text: Your order number?, expect: regex,
           pattern: '^[A-Z]{2}-\\d+$', on_invalid: human}
    """
    for found in flow_patterns(flow):
        error = _compile_error(found.source)
        if error is not None:
            where = f" at position {error.pos}" if error.pos is not None else ""
            yield problem(f"invalid regular expression in {found.where}: {error.msg}{where}",
                          _precise(ctx, found, error.pos or 0),
                          "check brackets and escapes; in YAML prefer single quotes so "
                          "that backslashes stay as written")


# --- catastrophic backtracking ----------------------------------------------------------------

MAXREPEAT = sre_constants.MAXREPEAT
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_SAMPLE = [chr(i) for i in range(0, 256)] + ["é", "ß", "Ж", "中", "\u2003", "٣"]
_ALL = frozenset(range(len(_SAMPLE)))
_CATEGORY_RE = {
    "CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W",
}


def _chars_matching(regex: str) -> frozenset[int]:
    compiled = re.compile(regex)
    return frozenset(i for i, ch in enumerate(_SAMPLE) if compiled.fullmatch(ch))


def _index_of(code: int) -> set[int]:
    ch = chr(code)
    return {i for i, c in enumerate(_SAMPLE) if c == ch} or {-code - 1}


def _in_set(items: list[Any]) -> frozenset[int]:
    out: set[int] = set()
    negate = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            out |= _index_of(av)
        elif name == "RANGE":
            lo, hi = av
            out |= {i for i, c in enumerate(_SAMPLE) if lo <= ord(c) <= hi}
            if hi > 0xFF:
                out.add(-hi - 1)
        elif name == "CATEGORY":
            regex = _CATEGORY_RE.get(str(av))
            out |= _chars_matching(regex) if regex else set(_ALL)
        else:
            out |= set(_ALL)
    return _ALL - out if negate else frozenset(out)


def _atom_chars(op: Any, av: Any) -> frozenset[int] | None:
    """Characters a single-character item can match, or None when it is not one."""
    name = str(op)
    if name == "LITERAL":
        return frozenset(_index_of(av))
    if name == "NOT_LITERAL":
        return _ALL - _index_of(av)
    if name == "ANY":
        return _ALL - _index_of(10)
    if name == "IN":
        return _in_set(av)
    if name == "CATEGORY":
        regex = _CATEGORY_RE.get(str(av))
        return _chars_matching(regex) if regex else _ALL
    return None


def _chars(seq: Any) -> frozenset[int]:
    """Every character some part of ``seq`` can match."""
    out: set[int] = set()
    for op, av in seq:
        atom = _atom_chars(op, av)
        if atom is not None:
            out |= atom
        elif op in _REPEATS:
            out |= _chars(av[2])
        elif str(op) == "SUBPATTERN":
            out |= _chars(av[3])
        elif str(op) == "BRANCH":
            for branch in av[1]:
                out |= _chars(branch)
    return frozenset(out)


def _required(seq: Any) -> list[frozenset[int]]:
    """Character sets of the items that every match of ``seq`` must consume."""
    out: list[frozenset[int]] = []
    for op, av in seq:
        atom = _atom_chars(op, av)
        if atom is not None:
            out.append(atom)
        elif op in _REPEATS:
            if av[0] > 0:
                out.extend(_required(av[2]))
        elif str(op) == "SUBPATTERN":
            out.extend(_required(av[3]))
        elif str(op) == "BRANCH":
            branches = av[1]
            if all(_required(branch) for branch in branches):
                out.append(frozenset().union(*(_chars(branch) for branch in branches)))
    return out


def _nullable(seq: Any) -> bool:
    return not _required(seq)


def _first(seq: Any) -> frozenset[int]:
    """Characters a match of ``seq`` can start with."""
    out: set[int] = set()
    for op, av in seq:
        atom = _atom_chars(op, av)
        if atom is not None:
            return frozenset(out | atom)
        if op in _REPEATS:
            out |= _first(av[2])
            if av[0] > 0 and not _nullable(av[2]):
                return frozenset(out)
        elif str(op) == "SUBPATTERN":
            out |= _first(av[3])
            if not _nullable(av[3]):
                return frozenset(out)
        elif str(op) == "BRANCH":
            for branch in av[1]:
                out |= _first(branch)
            if not any(_nullable(branch) for branch in av[1]):
                return frozenset(out)
    return frozenset(out)


def _inner_repeats(seq: Any) -> Iterator[tuple[int, int, Any]]:
    """Repeats nested in ``seq`` (not inside lookarounds, atomic groups or possessive ones)."""
    for op, av in seq:
        if op in _REPEATS:
            yield av
            yield from _inner_repeats(av[2])
        elif str(op) == "SUBPATTERN":
            yield from _inner_repeats(av[3])
        elif str(op) == "BRANCH":
            for branch in av[1]:
                yield from _inner_repeats(branch)


def _branches(seq: Any) -> Iterator[list[Any]]:
    for op, av in seq:
        if str(op) == "BRANCH":
            yield av[1]
        elif str(op) == "SUBPATTERN":
            yield from _branches(av[3])


def _ambiguous_repeat(body: Any) -> str | None:
    """Why repeating ``body`` can backtrack exponentially, or None."""
    required = _required(body)
    for low, high, inner in _inner_repeats(body):
        if high != MAXREPEAT and high <= 1:
            continue
        if high != MAXREPEAT and high == low:
            continue
        inner_chars = _chars(inner)
        if all(part & inner_chars for part in required):
            return "a repeated group contains another repeat that can match the same text"
    for branches in _branches(body):
        nullable = sum(1 for b in branches if _nullable(b))
        if nullable > 1:
            return "a repeated alternation has branches that match the same text"
        firsts = [_first(b) for b in branches]
        for i, first in enumerate(firsts):
            if any(first & other for other in firsts[i + 1:]):
                return "a repeated alternation has branches that start with the same character"
    return None


def _walk(seq: Any) -> Iterator[str]:
    for op, av in seq:
        if op in _REPEATS:
            _, high, body = av
            if high == MAXREPEAT or high > 1:
                reason = _ambiguous_repeat(body)
                if reason is not None:
                    yield reason
                    return
            yield from _walk(body)
        elif str(op) == "SUBPATTERN":
            yield from _walk(av[3])
        elif str(op) == "BRANCH":
            for branch in av[1]:
                yield from _walk(branch)
        elif str(op) in ("ASSERT", "ASSERT_NOT"):
            yield from _walk(av[1])


@lru_cache(maxsize=1024)
def catastrophic_reason(pattern: str) -> str | None:
    """Why ``pattern`` is prone to catastrophic backtracking, or None."""
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    for reason in _walk(list(parsed)):
        return reason
    return None


@rule("P002", "catastrophic-regex", severity="warning", scope="project")
def catastrophic_regex(ctx: LintContext) -> Iterator[Problem]:
    """A regular expression can take exponential time on some inputs.

    Nested quantifiers such as `(a+)+`, `(\\w+\\s?)*` or `(.*)*`, and repeated alternations
    whose branches match the same text such as `(a|a)*`, make the engine try every way of
    splitting a non-matching input; a visitor's long answer can then stall the flow.  The
    same holds for the `/regex/` matchers of visitors files (`bot: "/^(a+)+$/"`).

    Bad:
        pattern: '^(\\w+\\s?)*$'

    Good:
        pattern: '^[\\w\\s]*$'
    """
    found_patterns = [(f.source, f.where, f.span) for flow in ctx.project.flows
                      for f in flow_patterns(flow)]
    found_patterns += list(_visitor_patterns(ctx))
    for source, where, span in found_patterns:
        if _compile_error(source) is not None:
            continue
        reason = catastrophic_reason(source)
        if reason is not None:
            yield problem(f"{where} is prone to catastrophic backtracking: {reason}", span,
                          "avoid nested quantifiers: make the repeated parts unable to match "
                          "the same characters, e.g. `[\\w\\s]*` instead of `(\\w+\\s?)*`")


def _visitor_patterns(ctx: LintContext) -> Iterator[tuple[str, str, SourceSpan]]:
    """The ``/regex/`` matchers of the visitors files' ``bot`` steps."""
    from flowctl.model.visitors import BotStep

    seen: set[SourceSpan] = set()
    for vf in ctx.project.visitor_files:
        for visitor in vf.visitors:
            for step in visitor.steps:
                if not isinstance(step, BotStep) or step.span in seen:
                    continue
                seen.add(step.span)
                for name, text in (("bot", step.text), ("image", step.image)):
                    if text and len(text) >= 2 and text[0] == "/" and text[-1] == "/":
                        yield text[1:-1], f"the {name} step's regex {text!r}", step.span


# --- secrets --------------------------------------------------------------------------------

SECRET_HINT = 'use "${NAME}": the runtime reads it from its environment'
_SECRET_KEY = re.compile(
    r"(?i)(^|[-_.])(authorization|auth|api[-_]?key|apikey|access[-_]?key|secret|client[-_]?secret"
    r"|token|access[-_]?token|auth[-_]?token|password|passwd|pwd|private[-_]?key)$"
)
TOKEN_SHAPES = (
    ("an OpenAI-style key",
     re.compile(r"\bsk-(?:proj-|live_|test_|ant-api\d\d-)?[A-Za-z0-9_]{20,}")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}")),
    ("an AWS access key id", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("a Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    ("a JSON web token",
     re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
_ANY_TOKEN = re.compile("|".join(f"(?:{shape.pattern})" for _, shape in TOKEN_SHAPES))
#: Every token shape starts with one of these: a substring test (fast) before the regex (slow
#: on whole files: ~0.6 ms for 5 KB).
_TOKEN_STARTS = ("sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "AKIA", "xox", "eyJ", "-----BEGIN")
_ENV_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key.strip()))


def literal_secret(text: str) -> bool:
    """Is ``text`` a literal value (not a `${ENV}` reference or a template)?"""
    value = text.strip()
    if not value or _ENV_REF.search(value) or "{{" in value or "{%" in value:
        return False
    if value.lower() in ("none", "null", "~", "true", "false", "changeme", "<token>"):
        return False
    # a scheme alone ("Bearer", "Basic") is not a secret; a credential has some length
    credential = re.sub(r"(?i)^(bearer|basic|token|apikey)\s+", "", value)
    return len(credential) >= 6 and " " not in credential


def _value_entries(value: Value | None, key: str = "") -> Iterator[tuple[str, Template]]:
    if isinstance(value, Template):
        yield key, value
    elif isinstance(value, MappingValue):
        for name, item in value.entries:
            yield from _value_entries(item, name)
    elif isinstance(value, ListValue):
        for item in value.items:
            yield from _value_entries(item, key)


def _keyed_values(ctx: LintContext) -> Iterator[tuple[str, Template, str]]:
    """(key, value, where) for every value written under a key in settings and flows."""
    config = ctx.project.config
    if config is not None:
        for endpoint in config.endpoints.values():
            for key, template in endpoint.headers:
                yield key, template, f"header '{key}' of endpoint '{endpoint.name}'"
        for assistant in config.assistants.values():
            for key, template in assistant.settings:
                yield key, template, f"'{key}' of assistant '{assistant.name}'"
        for target in config.targets.values():
            if target.token is not None:
                yield "token", target.token, f"token of target '{target.name}'"
    for flow in ctx.project.flows:
        for block in flow.blocks:
            if not isinstance(block, DataBlock):
                continue
            for key, template in _value_entries(block.headers):
                yield key, template, f"header '{key}' of '{block.id}'"
            for field_name in ("body", "query"):
                for key, template in _value_entries(getattr(block, field_name)):
                    yield key, template, f"{field_name} '{key}' of '{block.id}'"


def _is_checked_file(path: str) -> bool:
    name = Path(path).name
    return name == "flowctl.yaml" or name.endswith(".flow.yaml")


@rule("P003", "hardcoded-secret", scope="project")
def hardcoded_secret(ctx: LintContext) -> Iterator[Problem]:
    """A token, key or password is written literally in a flow or in `flowctl.yaml`.

    Flows and settings are committed and published; secrets belong in the runtime's
    environment and are referenced as `${NAME}`.

    Bad:
        headers: {Authorization: "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0"}

    Good:
        headers: {Authorization: "Bearer ${CRM_TOKEN}"}
    """
    reported: set[tuple[str, int]] = set()
    for key, template, where in _keyed_values(ctx):
        if not secret_key(key) or not literal_secret(template.source):
            continue
        span = template.span
        reported.add((span.file, span.line))
        yield problem(f"{where} is a literal secret", span, SECRET_HINT)
    for path, text in sorted(ctx.project.sources.items()):
        if not _is_checked_file(path) or not any(start in text for start in _TOKEN_STARTS):
            continue
        if _ANY_TOKEN.search(text) is None:
            continue  # one scan of the whole text finds nothing: no line can match
        for line_no, line in enumerate(text.splitlines(), 1):
            if (path, line_no) in reported or line.lstrip().startswith("#"):
                continue
            for label, shape in TOKEN_SHAPES:
                hit = shape.search(line)
                if hit is None:
                    continue
                reported.add((path, line_no))
                yield problem(f"this looks like {label} written literally",
                              SourceSpan(path, line_no, hit.start() + 1), SECRET_HINT)
                break
