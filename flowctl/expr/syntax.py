"""Parse templates and condition expressions once, with the column of any syntax error.

Jinja reports a syntax error with a line number only; flowctl feeds Jinja's parser a token
stream that remembers where each token started, so the error can be shown at the exact
character inside the YAML string.  The result also lists the names an expression reads and
the calls it makes to flowctl's functions, for the data-flow and reference checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.lexer import TokenStream
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: Names that every template may read: the context and flowctl's functions.
CONTEXT_NAMES = frozenset({"event", "page", "visitor", "device", "agents", "now", "chat"})
FUNCTION_NAMES = frozenset({"within", "matches", "contains_any", "days_since"})
#: Jinja's own globals.
JINJA_GLOBALS = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace",
                           "true", "false", "none", "True", "False", "None", "loop"})
RESERVED_NAMES = CONTEXT_NAMES | FUNCTION_NAMES | JINJA_GLOBALS


@dataclass(frozen=True, slots=True)
class SyntaxIssue:
    message: str
    offset: int  # character offset in the source string


@dataclass(frozen=True, slots=True)
class Call:
    """A call to one of flowctl's functions with literal arguments, e.g. ``within('x')``."""

    function: str
    args: tuple[Any, ...]  # literal values, or None where an argument is not a literal
    offset: int  # where the first argument starts (best effort), else the call


@dataclass(frozen=True, slots=True)
class Analysis:
    source: str
    node: nodes.Node | None
    names: frozenset[str]  # free names read (context, variables, functions)
    calls: tuple[Call, ...]
    error: SyntaxIssue | None = None
    call_nodes: tuple[nodes.Call, ...] = ()  # every call in the tree, root included
    tests: tuple[nodes.Test, ...] = ()  # every `is` test
    filters: tuple[nodes.Filter, ...] = ()  # every filter

    @property
    def variables(self) -> frozenset[str]:
        """Names read that are not part of the context: saved variables."""
        return self.names - RESERVED_NAMES


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(autoescape=False)


class _PositionedTokens:
    """Raw tokens of Jinja's lexer, remembering each token's offset in the source."""

    def __init__(self, source: str, state: str | None) -> None:
        self.source = source
        self.state = state
        self.last = 0  # offset of the most recent token
        self.front = 0  # offset just past the most recent token

    def __iter__(self) -> Iterator[tuple[int, str, str]]:
        env = environment()
        source = self.source
        for lineno, token, value in env.lexer.tokeniter(source, None, None, self.state):
            found = source.find(value, self.front) if value else self.front
            self.last = found if found >= 0 else self.front
            self.front = self.last + len(value)
            yield lineno, token, value


def _parse(source: str, expression: bool) -> tuple[nodes.Node | None, SyntaxIssue | None]:
    env = environment()
    tokens = _PositionedTokens(source, "variable" if expression else None)
    try:
        parser = Parser(env, source, state="variable" if expression else None)
        parser.stream = TokenStream(env.lexer.wrap(iter(tokens), None, None), None, None)
        if expression:
            node: nodes.Node = parser.parse_expression()
            if not parser.stream.eos:
                current = parser.stream.current
                return None, SyntaxIssue(
                    f"unexpected {_describe_token(current)} after the end of the expression",
                    tokens.last,
                )
        else:
            node = parser.parse()
        return node, None
    except TemplateSyntaxError as exc:
        message = exc.message or "syntax error"
        if "unexpected char" in message:
            offset = min(tokens.front, len(source))
        elif "end of template" in message:
            offset = len(source)
        else:
            offset = tokens.last
        return None, SyntaxIssue(_friendly(message), offset)


def _describe_token(token: Any) -> str:
    return f"'{token.value}'" if token.value not in (None, "") else token.type


def _friendly(message: str) -> str:
    message = re.sub(r" at \d+$", "", message)
    message = message.replace("'end of template'", "end of text").replace("end of template", "end of text")
    return message.replace("Encountered unknown tag", "unknown tag").rstrip(".")


@lru_cache(maxsize=4096)
def analyse_template(source: str) -> Analysis:
    """A text field: ``{{ }}`` interpolation and ``{% %}`` statements."""
    if "{" not in source:  # fast path: plain text
        return Analysis(source, nodes.Template([nodes.Output([nodes.TemplateData(source)])]),
                        frozenset(), ())
    node, error = _parse(source, expression=False)
    return _analysis(source, node, error)


@lru_cache(maxsize=4096)
def analyse_condition(source: str) -> Analysis:
    """A condition or value expression: one Jinja expression, no ``{{ }}``."""
    if not source.strip():
        return Analysis(source, None, frozenset(), (), SyntaxIssue("empty condition", 0))
    node, error = _parse(source, expression=True)
    return _analysis(source, node, error)


def single_expression(source: str) -> str | None:
    """The inner expression of a value made of exactly one ``{{ expression }}``."""
    text = source.strip()
    if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
        return text[2:-2]
    return None


def _walk(root: nodes.Node) -> dict[type, list[Any]]:
    """One pass over a Jinja tree, root included, collecting the node kinds we look at."""
    found: dict[type, list[Any]] = {nodes.Name: [], nodes.Call: [], nodes.Filter: [], nodes.Test: []}
    stack = [root]
    node_type = nodes.Node
    while stack:
        node = stack.pop()
        bucket = found.get(type(node))
        if bucket is not None:
            bucket.append(node)
        children: list[nodes.Node] = []
        for field in node.fields:
            value = getattr(node, field, None)
            if isinstance(value, node_type):
                children.append(value)
            elif isinstance(value, list):
                children.extend(item for item in value if isinstance(item, node_type))
        stack.extend(reversed(children))  # document order
    return found


def _analysis(source: str, node: nodes.Node | None, error: SyntaxIssue | None) -> Analysis:
    if node is None:
        return Analysis(source, None, frozenset(), (), error)
    found = _walk(node)
    loaded: set[str] = set()
    stored: set[str] = set()
    for sub in found[nodes.Name]:
        (stored if sub.ctx in ("store", "param") else loaded).add(sub.name)
    env = environment()
    for filt in found[nodes.Filter]:
        if filt.name not in env.filters:
            return Analysis(source, None, frozenset(), (),
                            SyntaxIssue(f"unknown filter '{filt.name}'", _find(source, filt.name)))
    for test in found[nodes.Test]:
        if test.name not in env.tests:
            return Analysis(source, None, frozenset(), (),
                            SyntaxIssue(f"unknown test '{test.name}'", _find(source, test.name)))
    calls: list[Call] = []
    for call in found[nodes.Call]:
        if isinstance(call.node, nodes.Name) and call.node.name in FUNCTION_NAMES:
            args = tuple(arg.value if isinstance(arg, nodes.Const) else _list_literal(arg)
                         for arg in call.args)
            calls.append(Call(call.node.name, args, _offset_of(source, call)))
    calls.sort(key=lambda c: c.offset)
    return Analysis(source, node, frozenset(loaded - stored), tuple(calls), None,
                    tuple(found[nodes.Call]), tuple(found[nodes.Test]), tuple(found[nodes.Filter]))


def _list_literal(node: nodes.Node) -> Any:
    if isinstance(node, nodes.List | nodes.Tuple) and all(
        isinstance(item, nodes.Const) for item in node.items
    ):
        return tuple(item.value for item in node.items)  # type: ignore[attr-defined]
    return None


def _offset_of(source: str, call: nodes.Call) -> int:
    """Best-effort offset of a call's first literal argument in the source."""
    assert isinstance(call.node, nodes.Name)
    start = source.find(call.node.name + "(")
    if start < 0:
        return 0
    if call.args and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str):
        literal = source.find(call.args[0].value, start)
        if literal >= 0:
            return literal
    return start


def _find(source: str, word: str) -> int:
    match = re.search(r"\b" + re.escape(word) + r"\b", source)
    return match.start() if match else 0
