"""Resource bounds for templates: how much text one render may produce, how many steps
(loop items and calls) and how much time it may take, and the widths and sizes that the
filters and string methods able to build huge strings may ask for.

A template such as ``{{ 'a'|center(500000000) }}``, ``{{ '%500000000d' % 1 }}`` or two
nested ``range(10000)`` loops would otherwise take gigabytes or minutes.  Each check raises
:class:`TemplateLimit` before the work is done; the evaluator records it as the template's
error (a located problem in the run) and renders the template as "".

:func:`bound_ast` rewrites a parsed template so that every ``for`` loop iterates through
:func:`bounded_iter` and every ``~`` goes through :func:`bounded_concat`; the sandbox ticks
the same :class:`Budget` on every call, and the evaluator counts the output as it streams.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

from jinja2 import nodes
from jinja2.visitor import NodeTransformer

#: Largest text one template may render, or any string it may build, in characters.
MAX_OUTPUT = 100_000
#: Largest number of loop items and calls one evaluation may make.
MAX_STEPS = 100_000
#: Longest one evaluation may run, in seconds.
RENDER_TIMEOUT = 0.5


#: How the evaluator's record of a :class:`TemplateLimit` begins.
LIMIT_PREFIX = "TemplateLimit: "


class TemplateLimit(Exception):
    """A template went over one of the bounds above."""


class Budget:
    """The steps and time left to one evaluation."""

    __slots__ = ("deadline", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + RENDER_TIMEOUT

    def tick(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise TemplateLimit(f"more than {MAX_STEPS:,} loop items and calls")
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"ran for more than {RENDER_TIMEOUT} s")


_BUDGET: ContextVar[Budget | None] = ContextVar("flowctl_template_budget", default=None)


@contextmanager
def budget() -> Iterator[Budget]:
    """A fresh budget for the evaluation made inside the block (an outer one is kept)."""
    current = _BUDGET.get()
    if current is not None:
        yield current
        return
    fresh = Budget()
    token = _BUDGET.set(fresh)
    try:
        yield fresh
    finally:
        _BUDGET.reset(token)


def tick(count: int = 1) -> None:
    current = _BUDGET.get()
    if current is not None:
        current.tick(count)


def check_size(size: int, what: str) -> None:
    if size > MAX_OUTPUT:
        raise TemplateLimit(f"{what} would be {size:,} characters, over the limit of "
                            f"{MAX_OUTPUT:,}")


def bounded_iter(iterable: Any) -> Iterator[Any]:
    """``iterable``, one step of the budget per item."""
    for item in iterable:
        tick()
        yield item


def bounded_concat(*parts: Any) -> str:
    """``a ~ b``: the text of the parts, joined, within :data:`MAX_OUTPUT`."""
    texts = [str(part) for part in parts]
    check_size(sum(len(text) for text in texts), "the text joined with ~")
    return "".join(texts)


def render_stream(chunks: Iterable[str]) -> str:
    """Join a template's output as it streams, stopping past :data:`MAX_OUTPUT`."""
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        check_size(size, "the rendered text")
        tick(0)
        out.append(chunk)
    return "".join(out)


class _BoundLoops(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _call("bounded_iter", [node.iter], node.iter.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _call("bounded_concat", list(node.nodes), node.lineno)


def _call(name: str, args: list[Any], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name, lineno=lineno), args, [], None, None,
                      lineno=lineno)


def bound_ast(template: nodes.Template) -> nodes.Template:
    """``template`` with its loops and ``~`` concatenations bounded (see the module doc)."""
    result = _BoundLoops().visit(template)
    assert isinstance(result, nodes.Template)
    return result


# --------------------------------------------------------------------------- string sizes

#: A printf conversion: its width and precision (``%-500d``, ``%.*f``).
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")


def _ints(values: Iterable[Any]) -> Iterator[int]:
    return (v for v in values if isinstance(v, int) and not isinstance(v, bool))


def check_percent(template: str, args: Any) -> None:
    """``template % args`` would not build a string over :data:`MAX_OUTPUT`."""
    values = args if isinstance(args, tuple) else (args,)
    for width, precision in _PERCENT.findall(template):
        for number in (width, precision):
            if number == "*":
                if any(abs(v) > MAX_OUTPUT for v in _ints(values)):
                    raise TemplateLimit(f"a width over {MAX_OUTPUT:,} in a % format")
            elif number and int(number) > MAX_OUTPUT:
                raise TemplateLimit(f"a width of {int(number):,} in a % format, over the "
                                    f"limit of {MAX_OUTPUT:,}")


def check_format(template: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """``template.format(*args, **kwargs)`` would not build a string over the limit."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format reports the malformed template itself
    for _text, _name, spec, _conversion in fields:
        if not spec:
            continue
        if "{" in spec and any(abs(v) > MAX_OUTPUT
                               for v in _ints([*args, *kwargs.values()])):
            raise TemplateLimit(f"a width over {MAX_OUTPUT:,} in a format spec")
        if any(int(d) > MAX_OUTPUT for d in _DIGITS.findall(spec)):
            raise TemplateLimit(f"a width in format spec {spec[:40]!r} over the limit of "
                                f"{MAX_OUTPUT:,}")


def _width(value: Any) -> int:
    return value if isinstance(value, int) else len(str(value))


def _joined(items: Iterable[Any], sep: Any) -> int:
    listed = [str(item) for item in items]
    return sum(len(s) for s in listed) + max(len(listed) - 1, 0) * len(str(sep))


#: str method → the size of its result from (text, args), for the methods that can grow.
STR_METHODS: dict[str, Callable[[str, tuple[Any, ...]], int]] = {
    "center": lambda s, a: _width(a[0]) if a else 0,
    "ljust": lambda s, a: _width(a[0]) if a else 0,
    "rjust": lambda s, a: _width(a[0]) if a else 0,
    "zfill": lambda s, a: _width(a[0]) if a else 0,
    "expandtabs": lambda s, a: len(s) + s.count("\t") * (_width(a[0]) if a else 8),
    "join": lambda s, a: _joined(a[0], s) if a else 0,
    "replace": lambda s, a: (len(s) + (s.count(str(a[0])) + 1) * len(str(a[1]))
                             if len(a) >= 2 else 0),
}


def check_str_call(obj: Any, args: tuple[Any, ...]) -> None:
    """A call of a growing ``str`` method stays under :data:`MAX_OUTPUT`."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, str) and name in STR_METHODS:
        try:
            size = STR_METHODS[name](owner, args)
        except (TypeError, ValueError):
            return  # the call itself reports bad arguments
        check_size(size, f"str.{name}()")
        if name in ("center", "ljust", "rjust", "zfill"):
            return
    if isinstance(owner, str) and name == "__mod__" and args:
        check_percent(owner, args[0])


# --------------------------------------------------------------------------- filters


def _check_indent(s: Any, width: Any = 4, *_: Any, **__: Any) -> None:
    text = str(s)
    check_size(len(text) + (text.count("\n") + 1) * _width(width), "indent()")


def _check_join(value: Any, d: Any = "", attribute: Any = None) -> None:
    if attribute is None and isinstance(value, list | tuple | str | range):
        check_size(_joined(value, d), "join()")


def _check_replace(s: Any, old: Any = "", new: Any = "", count: Any = None) -> None:
    check_size(STR_METHODS["replace"](str(s), (old, new)), "replace()")


def _check_wordwrap(s: Any, width: Any = 79, break_long_words: Any = True,
                    wrapstring: Any = None, *_: Any, **__: Any) -> None:
    text = str(s)
    lines = len(text) // max(width if isinstance(width, int) else 1, 1) + 1
    check_size(len(text) + lines * len(str(wrapstring or "\n")), "wordwrap()")


def _check_count(what: str) -> Callable[..., None]:
    def check(value: Any, count: Any = 0, fill_with: Any = None) -> None:
        if isinstance(count, int) and count > MAX_STEPS:
            raise TemplateLimit(f"{what}() of {count:,}, over the limit of {MAX_STEPS:,}")
    return check


_FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": lambda value, width=80: check_size(_width(width), "center()"),
    "indent": _check_indent,
    "format": lambda value, *args, **kwargs: check_percent(str(value), kwargs or args),
    "join": _check_join,
    "replace": _check_replace,
    "wordwrap": _check_wordwrap,
    "batch": _check_count("batch"),
    "slice": _check_count("slice"),
}


def _read(items: Iterator[Any]) -> list[Any]:
    """The items of a lazy sequence (``map(...)``), within the step and text bounds."""
    out: list[Any] = []
    size = 0
    for item in bounded_iter(items):
        size += len(item) if isinstance(item, str) else 1
        check_size(size, "the items read")
        out.append(item)
    return out


def _guard(original: Callable[..., Any], check: Callable[..., None]) -> Callable[..., Any]:
    first = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if len(args) > first and isinstance(args[first], Iterator):  # join(map(...)): read once
            args = (*args[:first], _read(args[first]), *args[first + 1:])
        with suppress(TypeError):  # the filter reports bad arguments itself
            check(*args[first:], **kwargs)
        return original(*args, **kwargs)

    guarded.__dict__.update(original.__dict__)  # keeps jinja's pass_context & co.
    guarded.__name__ = getattr(original, "__name__", "filter")
    return guarded


def bound_filters(filters: dict[str, Any]) -> None:
    """Put the size checks in front of the filters that can build huge strings."""
    for name, check in _FILTER_CHECKS.items():
        if name in filters:
            filters[name] = _guard(filters[name], check)


# --------------------------------------------------------------------------- lint


def _const(node: Any) -> tuple[bool, Any]:
    if isinstance(node, nodes.Const):
        return True, node.value
    return False, None


def literal_limits(root: nodes.Node, max_range: int) -> Iterator[tuple[str, str]]:
    """What goes over a bound already in the literals of a parsed template, before any run:
    ``'a'|center(500000000)``, ``'%500000000d' % 1``, ``'{:>500000000}'.format(x)``,
    ``range(100000000)`` (over ``max_range`` items).  Each as (a word to find it by in the
    source, the message), with the same checks the run makes."""
    for found in root.find_all((nodes.Filter, nodes.Call, nodes.Mod)):
        try:
            if isinstance(found, nodes.Filter) and found.name in _FILTER_CHECKS:
                literal = [_const(arg) for arg in found.args]
                if all(ok for ok, _ in literal) and not found.kwargs:
                    known, value = _const(found.node)
                    with suppress(TypeError):
                        _FILTER_CHECKS[found.name](value if known else "",
                                                   *(v for _, v in literal))
            elif isinstance(found, nodes.Mod):
                known, text = _const(found.left)
                if known and isinstance(text, str):
                    right_known, args = _const(found.right)
                    check_percent(text, args if right_known else ())
            elif isinstance(found, nodes.Call):
                literal = [_const(arg) for arg in found.args]
                args = tuple(v for ok, v in literal if ok)
                callee = found.node
                if isinstance(callee, nodes.Getattr) and callee.attr == "format":
                    known, text = _const(callee.node)
                    if known and isinstance(text, str):
                        check_format(text, args, {})
                if len(args) < len(literal) or found.kwargs:
                    continue
                if isinstance(callee, nodes.Name) and callee.name == "range":
                    with suppress(TypeError, ValueError):
                        size = len(range(*args))
                        if size > max_range:
                            yield ("range(", f"range() of {size:,} items is over the limit "
                                             f"of {max_range:,}")
                elif isinstance(callee, nodes.Getattr):
                    known, text = _const(callee.node)
                    if known and isinstance(text, str) and callee.attr in STR_METHODS:
                        with suppress(TypeError, ValueError):
                            check_size(STR_METHODS[callee.attr](text, args),
                                       f"str.{callee.attr}()")
        except TemplateLimit as limit:
            if isinstance(found, nodes.Filter):
                word = found.name
            elif isinstance(found, nodes.Call):
                word = getattr(found.node, "attr", "") or "("
            else:
                word = "%"
            yield word, str(limit)
