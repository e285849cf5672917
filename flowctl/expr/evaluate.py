"""Evaluate templates, conditions and values at run time, in Jinja's immutable sandbox.

The contract (``docs``: flow format, "Expressions and templates"):

* :meth:`Evaluator.render` turns a template into text; :meth:`Evaluator.test` decides a
  condition tree; :meth:`Evaluator.value` computes a ``set``/``body`` value, keeping the
  native type of a string made of exactly one ``{{ expression }}``.
* Names that are not defined are *undefined*: falsy, comparable (every ordering
  comparison is False), chainable (``visitor.attributes.plan.lower()`` is undefined again)
  and rendered as "".  ``None`` also renders as "".
* Nothing that goes wrong inside an expression escapes: a failing template renders its
  failing ``{{ }}`` parts as "" (the whole template as "" when it uses ``{% %}``
  statements or does not compile), a failing condition is False, a failing value is None.  Every failure is
  recorded in :attr:`Evaluator.errors` as ``(source, message)``.
* Visitor-supplied data is only ever context data: Jinja never evaluates a value it
  outputs, so a visitor who types ``{{ 7*7 }}`` sees ``{{ 7*7 }}``.
* The sandbox refuses private attributes (``__class__``, ``__globals__``...), mutation of
  context data, ranges over :data:`MAX_RANGE` items, powers with a huge result and
  repetitions (``'a' * n``) over :data:`MAX_REPEAT` items.  Jinja's globals ``lipsum``,
  ``cycler``, ``joiner`` and ``namespace`` are removed; ``range`` and ``dict`` remain.

flowctl's functions (``within``, ``matches``, ``contains_any``, ``days_since``) come from a
:class:`Functions` object and are bound to the context's ``now`` for every evaluation.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from jinja2 import ChainableUndefined
from jinja2 import Template as JinjaTemplate
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from flowctl.expr import bounds, patterns
from flowctl.expr.bounds import TemplateLimit
from flowctl.expr.patterns import REGEX_TIMEOUT
from flowctl.expr.syntax import single_expression
from flowctl.model.values import (
    AllOf,
    AnyOf,
    Condition,
    Expr,
    ListValue,
    Literal,
    MappingValue,
    NotOf,
    Template,
    Value,
)

if TYPE_CHECKING:
    from flowctl.expr.schedule import ScheduleCalendar

#: Largest ``range()`` a template may build.
MAX_RANGE = 10_000
#: Largest string or list a template may build by repetition (``'-' * 80``).
MAX_REPEAT = 100_000
#: Largest number of bits a power may produce (``2 ** 4096`` is fine, ``10 ** 10 ** 10`` is not).
MAX_POWER_BITS = 4096
#: How long one regular expression search may run, in seconds.
#: How many errors an evaluator keeps (the oldest are dropped).
MAX_ERRORS = 1000

_FAILED = object()  # cache marker: the source does not compile

#: Where the errors of the evaluation under way go too (see :func:`collect_errors`).
_SINK: ContextVar[list[tuple[str, str]] | None] = ContextVar("flowctl_expr_errors", default=None)


@contextmanager
def collect_errors() -> Iterator[list[tuple[str, str]]]:
    """Collect the ``(source, message)`` errors of the evaluations made inside the block.

    One evaluator serves many conversations; this gives each step its own errors (per
    thread and per asyncio task, as context variables are).
    """
    sink: list[tuple[str, str]] = []
    token = _SINK.set(sink)
    try:
        yield sink
    finally:
        _SINK.reset(token)


class SafeUndefined(ChainableUndefined):
    """Undefined that is falsy, chainable, callable (returns itself) and comparable.

    ``undefined > 3``, ``3 <= undefined`` and the like are False instead of an error.  An
    undefined that stands for a sandbox violation (an unsafe attribute) raises on any use,
    so the violation is reported rather than silently rendered as "".
    """

    __slots__ = ()

    def _security(self) -> bool:
        return self._undefined_exception is SecurityError

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        if self._security():
            return self._fail_with_undefined_error()
        return self

    def __getitem__(self, key: Any) -> Any:
        if self._security():
            return self._fail_with_undefined_error()
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._security():
            return self._fail_with_undefined_error()
        return self

    def __str__(self) -> str:
        if self._security():
            return self._fail_with_undefined_error()
        return ""

    def __bool__(self) -> bool:
        if self._security():
            return self._fail_with_undefined_error()
        return False

    def __iter__(self) -> Any:
        if self._security():
            return self._fail_with_undefined_error()
        return iter(())

    def _compare(self, other: Any) -> bool:
        if self._security():
            return self._fail_with_undefined_error()
        return False

    __lt__ = __le__ = __gt__ = __ge__ = _compare  # type: ignore[assignment]

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, SafeUndefined) and not self._security()

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return id(type(self))


def _safe_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise OverflowError(f"range() of {len(rng)} items is over the limit of {MAX_RANGE}")
    return rng


def _safe_power(base: Any, exponent: Any) -> Any:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if abs(base).bit_length() * exponent > MAX_POWER_BITS:
            raise OverflowError("the result of ** is too large")
    elif isinstance(base, float) or isinstance(exponent, float):
        pass  # float powers overflow to an OverflowError by themselves
    return base**exponent


def _safe_multiply(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        if (isinstance(seq, str | bytes | list | tuple) and isinstance(count, int)
                and len(seq) * count > MAX_REPEAT):
            raise OverflowError(f"repeating a sequence over {MAX_REPEAT} items")
    return left * right


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with flowctl's resource bounds (:mod:`flowctl.expr.bounds`)."""

    intercepted_binops = frozenset({"**", "*", "%", "+"})
    bounded_iter = staticmethod(bounds.bounded_iter)
    bounded_concat = staticmethod(bounds.bounded_concat)

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            return _safe_power(left, right)
        if operator_ == "*":
            return _safe_multiply(left, right)
        if operator_ == "%" and isinstance(left, str):
            bounds.check_percent(left, right)
        if operator_ == "+" and isinstance(left, str | list | tuple) and hasattr(right, "__len__"):
            bounds.check_size(len(left) + len(right), "the result of +")
        return super().call_binop(context, operator_, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        bounds.tick()
        bounds.check_str_call(__obj, args)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        template, is_map = value.__self__, value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            mapping = args[0] if is_map and args and isinstance(args[0], Mapping) else kwargs
            bounds.check_format(template, () if is_map else args, mapping)
            return wrapper(*args, **kwargs)

        return bounded

    def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
        return bounds.bound_ast(super()._parse(source, name, filename))


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def make_environment() -> ImmutableSandboxedEnvironment:
    """The run-time environment: immutable sandbox, no autoescape, :class:`SafeUndefined`."""
    env = _Sandbox(autoescape=False, undefined=SafeUndefined, finalize=_finalize)
    for name in ("lipsum", "cycler", "joiner", "namespace"):
        env.globals.pop(name, None)
    env.globals["range"] = _safe_range
    bounds.bound_filters(env.filters)
    return env


# --------------------------------------------------------------------------- functions


class Functions:
    """flowctl's expression functions.

    ``schedules`` maps a schedule name of ``flowctl.yaml`` to its
    :class:`~flowctl.expr.schedule.ScheduleCalendar`; ``now`` is the clock used when the
    context has no ``now`` datetime (the context's ``now`` always wins, so the simulator's
    scripted clock is what ``within`` and ``days_since`` see); ``timeout`` bounds each
    regular expression search, in seconds.  Problems (unknown schedule, bad pattern,
    timeout) make the function return False/None and are recorded in :attr:`errors`.
    """

    def __init__(
        self,
        schedules: Mapping[str, ScheduleCalendar] | None = None,
        now: Callable[[], _dt.datetime] | None = None,
        *,
        timeout: float = REGEX_TIMEOUT,
    ) -> None:
        self.schedules: Mapping[str, ScheduleCalendar] = schedules or {}
        self.now = now or (lambda: _dt.datetime.now(_dt.UTC))
        self.timeout = timeout
        self.errors: list[tuple[str, str]] = []

    def _record(self, source: str, message: str) -> None:
        self.errors.append((source, message))
        sink = _SINK.get()
        if sink is not None and len(sink) < MAX_ERRORS:
            sink.append((source, message))
        if len(self.errors) > MAX_ERRORS:
            del self.errors[: len(self.errors) - MAX_ERRORS]

    def _clock(self, now: Any = None) -> _dt.datetime:
        if isinstance(now, _dt.datetime):
            return now
        return self.now()

    def within(self, name: Any, now: Any = None) -> bool:
        """Is ``now`` inside schedule ``name``?  An unknown schedule is False."""
        calendar = self.schedules.get(str(name)) if isinstance(name, str) else None
        if calendar is None:
            self._record(f"within({name!r})", f"unknown schedule {name!r}")
            return False
        return calendar.is_open(self._clock(now))

    def search(self, pattern: str, text: str) -> bool | None:
        """Time-bounded search: True/False, or None (recorded) when the pattern is bad or
        the search timed out."""
        found, problem = patterns.search(pattern, text, self.timeout)
        if problem is not None:
            self._record(f"matches(..., {pattern!r})", problem)
        return found

    def matches(self, value: Any, pattern: Any) -> bool:
        """Regular expression search of ``pattern`` in ``value`` (as text); None-safe."""
        if value is None or isinstance(value, SafeUndefined) or not isinstance(pattern, str):
            return False
        return bool(self.search(pattern, str(value)))

    def contains_any(self, text: Any, words: Any) -> bool:
        """Does ``text`` contain one of ``words``, case-insensitively, at the start of a word?

        A word matches where it begins a word of the text: ``refund`` matches "Refunds,
        please" but ``art`` does not match "start".  ``words`` may be one string or a list;
        None or undefined text or words are False.
        """
        if text is None or isinstance(text, SafeUndefined):
            return False
        if words is None or isinstance(words, SafeUndefined):
            return False
        if isinstance(words, str):
            words = [words]
        haystack = str(text).casefold()
        try:
            items = list(words) if isinstance(words, Iterable) else [words]
        except TypeError:
            return False
        for word in items:
            if word is None or isinstance(word, SafeUndefined):
                continue
            needle = str(word).casefold().strip()
            if not needle:
                continue
            lead = r"(?<!\w)" if needle[0].isalnum() or needle[0] == "_" else ""
            if re.search(lead + re.escape(needle), haystack):
                return True
        return False

    def days_since(self, date: Any, now: Any = None) -> int | None:
        """Whole days from ``date`` to today (``now``'s date); None when not a date.

        ``date`` is an ISO date or date-time string, a ``date`` or a ``datetime``; an aware
        date-time is first converted to ``now``'s time zone.  Future dates are negative.
        """
        clock = self._clock(now)
        day = _to_date(date, clock.tzinfo)
        if day is None:
            return None
        return (clock.date() - day).days

    def bind(self, context: Mapping[str, Any]) -> dict[str, Callable[..., Any]]:
        """The functions as template globals, bound to the context's ``now``."""
        now = context.get("now")

        def within(name: Any) -> bool:
            return self.within(name, now)

        def matches(value: Any, pattern: Any) -> bool:
            return self.matches(value, pattern)

        def contains_any(text: Any, words: Any) -> bool:
            return self.contains_any(text, words)

        def days_since(date: Any) -> int | None:
            return self.days_since(date, now)

        return {"within": within, "matches": matches, "contains_any": contains_any,
                "days_since": days_since}


def _to_date(value: Any, tz: _dt.tzinfo | None) -> _dt.date | None:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = _dt.datetime.fromisoformat(text) if len(text) > 10 else _dt.date.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and tz is not None:
            value = value.astimezone(tz)
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return None


# --------------------------------------------------------------------------- evaluator


_OUTPUT = re.compile(r"(\{\{.*?\}\})", re.DOTALL)


class Evaluator:
    """Renders templates, tests conditions and computes values against a context mapping.

    Compiled templates and expressions are cached on the evaluator by source string.  The
    context mapping holds ``event``, ``page``, ``visitor``, ``device``, ``agents``, ``now``,
    ``chat`` and the saved variables, flat; the functions are added for each evaluation.
    """

    def __init__(self, functions: Functions | None = None) -> None:
        self.functions = functions if functions is not None else Functions()
        self.env = make_environment()
        self.errors: list[tuple[str, str]] = self.functions.errors  # one shared record
        self._templates: dict[str, Any] = {}
        self._expressions: dict[str, Any] = {}

    # -- helpers

    def _record(self, source: str, exc: BaseException | str) -> None:
        message = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        self.functions._record(source, message)

    def _names(self, context: Mapping[str, Any]) -> dict[str, Any]:
        names = dict(context)
        names.update(self.functions.bind(context))
        return names

    def _template(self, source: str) -> Any:
        compiled = self._templates.get(source)
        if compiled is None:
            try:
                compiled = self.env.from_string(source)
            except Exception as exc:  # TemplateSyntaxError and anything the compiler raises
                self._record(source, exc)
                compiled = _FAILED
            self._templates[source] = compiled
        return compiled

    def _expression(self, source: str) -> Any:
        compiled = self._expressions.get(source)
        if compiled is None:
            try:
                compiled = self.env.compile_expression(source, undefined_to_none=False)
            except Exception as exc:
                self._record(source, exc)
                compiled = _FAILED
            self._expressions[source] = compiled
        return compiled

    def _evaluate(self, source: str, names: Mapping[str, Any]) -> Any:
        """The native result of one expression; raises what the expression raises."""
        compiled = self._expression(source)
        if compiled is _FAILED:
            raise _Failed
        return compiled(**names)

    # -- public API

    def prepare(self, templates: Iterable[str], expressions: Iterable[str] = ()) -> None:
        """Compile these sources now (later calls find them compiled)."""
        for source in templates:
            if "{" in source:
                self._template(source)
        for source in expressions:
            self._expression(source)

    def render(self, template: Template | str, context: Mapping[str, Any]) -> str:
        """The text of ``template``; failing ``{{ }}`` parts render as "", and the whole
        template renders as "" when it goes over a bound of :mod:`flowctl.expr.bounds`."""
        source = template.source if isinstance(template, Template) else str(template)
        if "{" not in source:
            return source
        with bounds.budget():
            try:
                return self._render(source, self._names(context))
            except TemplateLimit as exc:
                self._record(source, exc)
                return ""

    def _render(self, source: str, names: Mapping[str, Any]) -> str:
        compiled = self._template(source)
        if isinstance(compiled, JinjaTemplate):
            try:
                return bounds.render_stream(compiled.generate(names))
            except TemplateLimit:
                raise
            except Exception as exc:
                if "{%" in source or "{#" in source:
                    self._record(source, exc)
                    return ""
            text = self._render_parts(source, names)
            bounds.check_size(len(text), "the rendered text")
            return text
        return ""  # does not compile (recorded; lint reports it)

    def _render_parts(self, source: str, names: Mapping[str, Any]) -> str:
        """Fallback after a failure: evaluate each ``{{ }}`` alone, failing parts as ""."""
        out: list[str] = []
        for index, part in enumerate(_OUTPUT.split(source)):
            if index % 2 == 0:
                out.append(part)
                continue
            inner = part[2:-2].removeprefix("-").removesuffix("-")
            try:
                value = self._evaluate(inner, names)
                out.append("" if value is None else str(value))
            except _Failed:
                pass
            except TemplateLimit:
                raise
            except Exception as exc:
                self._record(source, exc)
        return "".join(out)

    def test(self, condition: Condition | str, context: Mapping[str, Any]) -> bool:
        """Is the condition true?  A failing leaf is False (and recorded)."""
        with bounds.budget():
            return self._test(condition, self._names(context))

    def _test(self, condition: Condition | str, names: Mapping[str, Any]) -> bool:
        if isinstance(condition, AllOf):
            return all(self._test(item, names) for item in condition.items)
        if isinstance(condition, AnyOf):
            return any(self._test(item, names) for item in condition.items)
        if isinstance(condition, NotOf):
            return not self._test(condition.item, names)
        source = condition.source if isinstance(condition, Expr | Template) else str(condition)
        try:
            return bool(self._evaluate(source, names))
        except _Failed:
            return False
        except Exception as exc:
            self._record(source, exc)
            return False

    def value(self, value: Value | Any, context: Mapping[str, Any]) -> Any:
        """A ``set``/``body`` value: one ``{{ expression }}`` keeps its native type.

        Other strings render as text, :class:`Literal` is taken as it is, mappings and lists
        become ``dict`` and ``list`` recursively.  A failing expression is None; so is an
        undefined one.  A plain Python value (not a model node) is returned unchanged.
        """
        with bounds.budget():
            return self._value(value, context, None)

    def _value(self, value: Any, context: Mapping[str, Any], names: dict[str, Any] | None) -> Any:
        if isinstance(value, Literal):
            return value.value
        if isinstance(value, MappingValue):
            return {key: self._value(item, context, names) for key, item in value.entries}
        if isinstance(value, ListValue):
            return [self._value(item, context, names) for item in value.items]
        if isinstance(value, Template | str):
            source = value.source if isinstance(value, Template) else value
            inner = single_expression(source)
            if inner is None:
                return self.render(source, context)
            try:
                result = self._evaluate(inner, names if names is not None else self._names(context))
            except _Failed:
                return None
            except Exception as exc:
                self._record(source, exc)
                return None
            return None if isinstance(result, SafeUndefined) else result
        return value


class _Failed(Exception):
    """An expression that did not compile (already recorded)."""


__all__ = [
    "MAX_RANGE",
    "MAX_REPEAT",
    "Evaluator",
    "Functions",
    "SafeUndefined",
    "make_environment",
]
