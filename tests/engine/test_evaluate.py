"""Run-time expressions: rendering, conditions, values, functions and the sandbox."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from flowctl.expr.evaluate import Evaluator, Functions
from flowctl.expr.schedule import ScheduleCalendar
from flowctl.model.span import SourceSpan
from flowctl.model.values import (
    AllOf,
    AnyOf,
    Expr,
    ListValue,
    Literal,
    MappingValue,
    NotOf,
    Template,
)

SPAN = SourceSpan("t.flow.yaml", 1, 1)
BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)  # a Tuesday


def tpl(source: str) -> Template:
    return Template(source, SPAN)


def expr(source: str) -> Expr:
    return Expr(tpl(source))


@pytest.fixture
def context() -> dict:
    return {
        "event": {"type": "page_view", "data": {}},
        "page": {"url": "https://acme.test/pricing", "path": "/pricing", "query": {}},
        "visitor": {"name": "Ada", "country": "DE", "time_on_page": 45, "returning": True,
                    "tags": ["vip"], "attributes": {}},
        "device": {"type": "desktop"},
        "agents": {"online": 2, "departments": {"sales": 2}},
        "now": NOW,
        "chat": {"id": "c1", "tags": [], "messages": 0},
        "company_size": "200+",
        "secret_note": "{{ 7*7 }}",
    }


@pytest.fixture
def evaluator() -> Evaluator:
    calendar = ScheduleCalendar.build("business_hours", [("mon-fri", ["09:00-17:30"])], [], BERLIN)
    return Evaluator(Functions({"business_hours": calendar}, lambda: NOW))


RENDER_CASES = [
    ("plain text", "plain text"),
    ("Hi {{ visitor.name or 'there' }}!", "Hi Ada!"),
    ("Hi {{ visitor.nickname or 'there' }}!", "Hi there!"),
    ("{{ visitor.attributes.plan }}|", "|"),
    ("{{ visitor.missing.deeper.still }}|", "|"),
    ("{{ none }}|{{ visitor.tags | join(',') }}", "|vip"),
    ("{% if company_size == '200+' %}big{% else %}small{% endif %}", "big"),
    ("{{ 1 + 2 }}", "3"),
    ("{{ now.strftime('%Y-%m-%d') }}", "2026-11-24"),
    ("{{ company_size }}", "200+"),
    ("{{ secret_note }}", "{{ 7*7 }}"),
    ("{{ '-' * 3 }}", "---"),
    ("{{ range(3) | list }}", "[0, 1, 2]"),
]


@pytest.mark.parametrize(("source", "expected"), RENDER_CASES)
def test_render(evaluator: Evaluator, context: dict, source: str, expected: str) -> None:
    assert evaluator.render(tpl(source), context) == expected
    assert evaluator.render(source, context) == expected  # a plain string works too
    assert evaluator.errors == []


def test_render_caches_compiled_templates(evaluator: Evaluator, context: dict) -> None:
    evaluator.render("Hi {{ visitor.name }}", context)
    compiled = evaluator._templates["Hi {{ visitor.name }}"]
    evaluator.render("Hi {{ visitor.name }}", {"visitor": {"name": "Bo"}})
    assert evaluator._templates["Hi {{ visitor.name }}"] is compiled


def test_single_expression_is_text_in_render(evaluator: Evaluator, context: dict) -> None:
    assert evaluator.render("{{ visitor.time_on_page }}", context) == "45"


def test_visitor_data_is_never_evaluated(evaluator: Evaluator, context: dict) -> None:
    context["visitor"]["name"] = "{{ 7*7 }}{% raw %}x"
    assert evaluator.render("Hi {{ visitor.name }}", context) == "Hi {{ 7*7 }}{% raw %}x"
    context["event"]["message"] = "{{ cycler.__init__.__globals__ }}"
    assert evaluator.render("You said: {{ event.message }}", context) == \
        "You said: {{ cycler.__init__.__globals__ }}"
    assert evaluator.value(tpl("{{ event.message }}"), context) == "{{ cycler.__init__.__globals__ }}"
    assert evaluator.errors == []


def test_failing_part_renders_empty(evaluator: Evaluator, context: dict) -> None:
    out = evaluator.render("Hi {{ visitor.name }}, {{ 1 / 0 }}!", context)
    assert out == "Hi Ada, !"
    assert len(evaluator.errors) == 1
    source, message = evaluator.errors[0]
    assert source == "Hi {{ visitor.name }}, {{ 1 / 0 }}!"
    assert "ZeroDivisionError" in message


def test_failing_statement_template_renders_empty(evaluator: Evaluator, context: dict) -> None:
    assert evaluator.render("{% for x in 5 %}{{ x }}{% endfor %}", context) == ""
    assert evaluator.errors


def test_syntax_error_does_not_raise(evaluator: Evaluator, context: dict) -> None:
    assert evaluator.render("Hi {{ visitor.name", context) == ""
    assert evaluator.render("{% if %}", context) == ""
    assert evaluator.test("visitor.name ==", context) is False
    assert evaluator.value(tpl("{{ 1 + }}"), context) is None
    assert len(evaluator.errors) >= 3


SECRET = "s3cr3t-token"

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__.os.environ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ request.application.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ within.__globals__ }}",
    "{{ matches.__closure__ }}",
    "{{ now.__class__.__subclasses__() }}",
    "{{ visitor.__class__ }}",
    "{{ (visitor.tags.append('x'), visitor.tags) }}",
    "{{ visitor.update({'name': 'x'}) }}",
    "{{ range(10**10) | list }}",
    "{{ range(100000) | list | length }}",
    "{{ 'a' * 10**9 }}",
    "{{ [1] * 10**9 }}",
    "{{ 10 ** 10 ** 10 ** 10 ** 10 }}",
    "{{ 2 ** 99999999 }}",
    "{{ ''.format.__globals__ }}",
    "{{ '{0.__class__}'.format(visitor) }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ dict.__base__.__subclasses__() }}",
    "{{ visitor|attr('__class__') }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escapes_fail_safely(evaluator: Evaluator, context: dict, source: str) -> None:
    context["api_key"] = SECRET
    started = time.process_time()
    out = evaluator.render(source, context)
    ok = evaluator.test(source.strip("{} "), context)
    value = evaluator.value(tpl(source), context)
    assert time.process_time() - started < 1.0
    assert "class" not in out and "function" not in out and "module" not in out
    assert SECRET not in out and SECRET not in repr(value)
    assert ok in (True, False)
    assert context["visitor"]["tags"] == ["vip"] and context["visitor"]["name"] == "Ada"


def test_removed_globals(evaluator: Evaluator) -> None:
    for name in ("lipsum", "cycler", "joiner", "namespace"):
        assert name not in evaluator.env.globals
    assert evaluator.render("{{ lipsum() }}|{{ cycler }}", {}) == "|"


def test_security_violation_is_recorded(evaluator: Evaluator, context: dict) -> None:
    assert evaluator.render("{{ ''.__class__ }}", context) == ""
    assert any("unsafe" in message for _, message in evaluator.errors)


CONDITIONS = [
    ("visitor.attributes.plan == 'pro'", False),
    ("not visitor.attributes.plan", True),
    ("visitor.undefined_thing > 3", False),
    ("visitor.undefined_thing < 3", False),
    ("3 <= visitor.undefined_thing", False),
    ("visitor.undefined_thing >= visitor.also_undefined", False),
    ("undefined_name", False),
    ("undefined_name in ['a', 'b']", False),
    ("'a' in undefined_name", False),
    ("page.nothing.startswith('/pricing')", False),
    ("page.path.startswith('/pricing')", True),
    ("company_size in ['51-200', '200+'] and visitor.country == 'DE'", True),
    ("visitor.time_on_page >= 20", True),
    ("visitor.returning", True),
    ("'vip' in visitor.tags", True),
    ("agents.departments.sales > 0", True),
    ("agents.departments.billing > 0", False),
    ("device.type == 'desktop'", True),
    ("within('business_hours')", True),
    ("within('no_such_schedule')", False),
    ("matches(page.url, 'pricing$')", True),
    ("matches(visitor.missing, '.*')", False),
    ("contains_any('I want a REFUND now', ['refund', 'cancel'])", True),
    ("days_since('2026-11-20') == 4", True),
    ("1 / 0", False),
    ("visitor.name + 1", False),
]


@pytest.mark.parametrize(("source", "expected"), CONDITIONS)
def test_conditions(evaluator: Evaluator, context: dict, source: str, expected: bool) -> None:
    assert evaluator.test(source, context) is expected
    assert evaluator.test(expr(source), context) is expected


def test_condition_trees(evaluator: Evaluator, context: dict) -> None:
    yes, no = expr("visitor.returning"), expr("visitor.attributes.plan == 'pro'")
    assert evaluator.test(AllOf((yes, yes), SPAN), context)
    assert not evaluator.test(AllOf((yes, no), SPAN), context)
    assert evaluator.test(AnyOf((no, yes), SPAN), context)
    assert not evaluator.test(AnyOf((no, no), SPAN), context)
    assert evaluator.test(NotOf(no, SPAN), context)
    nested = AllOf((expr("page.path.startswith('/pricing')"),
                    AnyOf((expr("device.type == 'mobile'"), NotOf(no, SPAN)), SPAN)), SPAN)
    assert evaluator.test(nested, context)
    assert evaluator.test(AllOf((), SPAN), context) and not evaluator.test(AnyOf((), SPAN), context)


def test_condition_errors_are_false_and_recorded(evaluator: Evaluator, context: dict) -> None:
    assert evaluator.test(NotOf(expr("1 / 0"), SPAN), context) is True  # the leaf is False
    assert evaluator.errors and evaluator.errors[0][0] == "1 / 0"


VALUES = [
    (tpl("{{ visitor.time_on_page }}"), 45),
    (tpl("  {{ visitor.time_on_page * 2 }}  "), 90),
    (tpl("{{ visitor.returning }}"), True),
    (tpl("{{ visitor.tags }}"), ["vip"]),
    (tpl("{{ {'a': 1} }}"), {"a": 1}),
    (tpl("{{ visitor.nothing }}"), None),
    (tpl("{{ 1 / 0 }}"), None),
    (tpl("size {{ company_size }}"), "size 200+"),
    (tpl("{{ visitor.name }} {{ visitor.country }}"), "Ada DE"),
    (tpl("no braces"), "no braces"),
    (Literal(3, SPAN), 3),
    (Literal(None, SPAN), None),
    (Literal(True, SPAN), True),
    (MappingValue((("email", tpl("{{ visitor.name | lower }}@x.test")),
                   ("n", tpl("{{ visitor.visits or 0 }}")),
                   ("nested", ListValue((Literal(1.5, SPAN), tpl("{{ company_size }}")), SPAN))),
                  SPAN),
     {"email": "ada@x.test", "n": 0, "nested": [1.5, "200+"]}),
]


@pytest.mark.parametrize(("value", "expected"), VALUES)
def test_values(evaluator: Evaluator, context: dict, value: object, expected: object) -> None:
    assert evaluator.value(value, context) == expected


class TestFunctions:
    def test_matches(self) -> None:
        functions = Functions()
        assert functions.matches("Order 12345", r"\d{5}")
        assert not functions.matches("Order", r"\d{5}")
        assert functions.matches(42, r"^4")
        assert not functions.matches(None, ".*")
        assert not functions.matches("x", None)
        assert not functions.matches("x", "(unclosed")
        assert functions.errors and "invalid pattern" in functions.errors[-1][1]

    def test_matches_is_time_bounded(self) -> None:
        functions = Functions(timeout=0.05)
        started = time.process_time()
        assert functions.matches("a" * 50_000 + "!", r"^(a+)+$") is False
        assert time.process_time() - started < 1.0
        assert "timed out" in functions.errors[-1][1]

    def test_matches_caches_patterns(self) -> None:
        from flowctl.expr.patterns import compile_pattern

        functions = Functions()
        functions.matches("abc", "b+x{0}")
        before = compile_pattern.cache_info().hits
        assert functions.matches("xyz b", "b+x{0}") is True
        assert compile_pattern.cache_info().hits == before + 1

    def test_an_invalid_pattern_is_recorded_once_per_use(self) -> None:
        functions = Functions()
        assert functions.matches("abc", "(") is False
        assert "invalid pattern" in functions.errors[-1][1]

    @pytest.mark.parametrize(("text", "words", "expected"), [
        ("I want a REFUND", ["refund"], True),
        ("Refunds, please", ["refund"], True),
        ("let me start", ["art"], False),
        ("Kündigung bitte", ["kündigung"], True),
        ("cancel my plan", "cancel", True),
        ("nothing here", ["refund", "cancel"], False),
        (None, ["x"], False),
        ("text", None, False),
        ("text", [None, "", "tex"], True),
        ("price?", ["?"], True),
        ("", ["a"], False),
    ])
    def test_contains_any(self, text: object, words: object, expected: bool) -> None:
        assert Functions().contains_any(text, words) is expected

    @pytest.mark.parametrize(("date", "expected"), [
        ("2026-11-24", 0),
        ("2026-11-20", 4),
        ("2026-11-30", -6),
        ("2026-11-23T23:30:00+00:00", 0),  # 00:30 on the 24th in Berlin
        ("2026-11-23T22:30:00+00:00", 1),
        (dt.date(2025, 11, 24), 365),
        (dt.datetime(2026, 11, 1, 12, 0), 23),
        ("not a date", None),
        (None, None),
        (17, None),
    ])
    def test_days_since(self, date: object, expected: int | None) -> None:
        assert Functions(now=lambda: NOW).days_since(date) == expected

    def test_within_uses_the_context_clock(self) -> None:
        calendar = ScheduleCalendar.build("b", [("mon-fri", ["09:00-17:00"])], [], BERLIN)
        evaluator = Evaluator(Functions({"b": calendar}, lambda: NOW))
        night = dt.datetime(2026, 11, 24, 22, 0, tzinfo=BERLIN)
        assert evaluator.test("within('b')", {"now": NOW})
        assert not evaluator.test("within('b')", {"now": night})
        assert evaluator.test("within('b')", {})  # falls back to the clock
        assert evaluator.render("{{ days_since('2026-11-23') }}", {"now": night}) == "1"
