"""Answers to questions and form fields: accepted forms and saved values."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flowctl.engine.validation import validate, validate_field
from flowctl.model.blocks import Choice, FormField, Pattern, QuestionBlock
from flowctl.model.span import SourceSpan
from flowctl.model.values import Literal, Template

SPAN = SourceSpan("t.flow.yaml", 1, 1)


def question(expect: str = "text", choices: list[Any] = (), **fields: Any) -> QuestionBlock:
    built: list[Choice] = []
    for item in choices:
        if isinstance(item, Choice):
            built.append(item)
        else:
            built.append(Choice(str(item), SPAN))
    if "pattern" in fields and isinstance(fields["pattern"], str):
        fields["pattern"] = Pattern(fields["pattern"], SPAN)
    return QuestionBlock(id="q", span=SPAN, expect=expect, choices=tuple(built), **fields)


SIZES = question("choice", ["1-10", "11-50", "51-200", "200+"])
PLANS = question("choice", [Choice("Basic", SPAN, Literal(1, SPAN)),
                            Choice("Pro plan", SPAN, Template("pro", SPAN)), "Enterprise"])


@pytest.mark.parametrize(("q", "answer", "ok", "value"), [
    (SIZES, "200+", True, "200+"),
    (SIZES, "  51-200 ", True, "51-200"),
    (SIZES, "3", False, None),            # labels contain digits: numbers are not indexes
    (SIZES, "300", False, None),
    (PLANS, "basic", True, 1),            # the choice's value
    (PLANS, "PRO   PLAN", True, "pro"),
    (PLANS, "enterprise", True, "Enterprise"),  # no value: the label
    (PLANS, "2", True, "pro"),            # unambiguous 1-based number
    (PLANS, "4", False, None),
    (PLANS, "0", False, None),
    (PLANS, "premium", False, None),
    (PLANS, "", False, None),
    (PLANS, "   ", False, None),
])
def test_choices(q: QuestionBlock, answer: str, ok: bool, value: Any) -> None:
    result = validate(q, answer)
    assert result.ok is ok
    assert result.value == value
    if ok:
        assert result.choice is not None and result.choice.saved_value == value
    else:
        assert result.choice is None and result.reason


def test_allow_other() -> None:
    q = question("choice", ["Yes", "No"], allow_other=True)
    assert validate(q, "yes").choice is not None
    other = validate(q, "  maybe later ")
    assert other.ok and other.value == "maybe later" and other.choice is None


def test_choices_as_shortcuts_of_a_typed_question() -> None:
    q = question("integer", [Choice("None", SPAN, Literal(0, SPAN)), "1"])
    assert validate(q, "none").value == 0
    assert validate(q, "17").value == 17
    assert not validate(q, "lots").ok


TYPED = [
    # text
    ("text", {}, "hello", True, "hello"),
    ("text", {}, "  padded  ", True, "padded"),
    ("text", {"min": 3}, "ab", False, None),
    ("text", {"min": 3, "max": 5}, "abcd", True, "abcd"),
    ("text", {"max": 5}, "abcdef", False, None),
    ("text", {"max": 2}, "äö", True, "äö"),  # characters, not bytes
    ("text", {"pattern": r"^[A-Z]{2}\d{4}$"}, "AB1234", True, "AB1234"),
    ("text", {"pattern": r"^[A-Z]{2}\d{4}$"}, "ab1234", False, None),
    # email
    ("email", {}, "Ada@Example.COM", True, "Ada@example.com"),
    ("email", {}, " ada.lovelace+crm@example.co.uk ", True, "ada.lovelace+crm@example.co.uk"),
    ("email", {}, "ada@", False, None),
    ("email", {}, "not an email", False, None),
    ("email", {}, "ada@example", False, None),
    # number
    ("number", {}, "42", True, 42.0),
    ("number", {}, "-3.5", True, -3.5),
    ("number", {}, "+4", True, 4.0),
    ("number", {}, "1,5", True, 1.5),
    ("number", {}, "1,500", False, None),  # ambiguous
    ("number", {}, "1 000", True, 1000.0),
    ("number", {}, "12 345,75", True, 12345.75),
    ("number", {}, "1e3", True, 1000.0),
    ("number", {}, ".5", True, 0.5),
    ("number", {}, "nan", False, None),
    ("number", {}, "inf", False, None),
    ("number", {}, "1e999", False, None),
    ("number", {}, "twelve", False, None),
    ("number", {}, "1.2.3", False, None),
    ("number", {"min": 1, "max": 10}, "10", True, 10.0),
    ("number", {"min": 1, "max": 10}, "10.5", False, None),
    ("number", {"min": 1}, "0.99", False, None),
    # integer
    ("integer", {}, "12", True, 12),
    ("integer", {}, "-3", True, -3),
    ("integer", {}, "1 000", True, 1000),
    ("integer", {}, "12.0", False, None),
    ("integer", {}, "1" * 40, False, None),
    ("integer", {"min": 18}, "17", False, None),
    # date
    ("date", {}, "2026-11-24", True, "2026-11-24"),
    ("date", {}, "24.11.2026", True, "2026-11-24"),
    ("date", {}, "1.2.2026", True, "2026-02-01"),
    ("date", {}, "2026/11/24", True, "2026-11-24"),
    ("date", {}, "11/24/2026", True, "2026-11-24"),  # unambiguous without a region
    ("date", {}, "24/11/2026", True, "2026-11-24"),
    ("date", {}, "05/05/2026", True, "2026-05-05"),
    ("date", {}, "03/04/2026", False, None),          # ambiguous without a region
    ("date", {}, "2026-02-30", False, None),
    ("date", {}, "24.11.26", False, None),
    ("date", {}, "tomorrow", False, None),
    # url
    ("url", {}, "https://acme.test/pricing?x=1", True, "https://acme.test/pricing?x=1"),
    ("url", {}, "http://localhost:8080/", True, "http://localhost:8080/"),
    ("url", {}, "example.com/page", True, "https://example.com/page"),
    ("url", {}, "www.example.com", True, "https://www.example.com"),
    ("url", {}, "http://192.168.0.1", True, "http://192.168.0.1"),
    ("url", {}, "https://bücher.de", True, "https://bücher.de"),
    ("url", {}, "ftp://example.com", False, None),
    ("url", {}, "javascript:alert(1)", False, None),
    ("url", {}, "mailto:a@b.c", False, None),
    ("url", {}, "https://", False, None),
    ("url", {}, "https://exa mple.com", False, None),
    ("url", {}, "hello", False, None),
    ("url", {}, "https://example.com:99999", False, None),
    # yes_no
    ("yes_no", {}, "Yes", True, True),
    ("yes_no", {}, "y", True, True),
    ("yes_no", {}, "TRUE", True, True),
    ("yes_no", {}, "ja!", True, True),
    ("yes_no", {}, "no.", True, False),
    ("yes_no", {}, "N", True, False),
    ("yes_no", {}, "false", True, False),
    ("yes_no", {}, "Nein", True, False),
    ("yes_no", {}, "maybe", False, None),
    # regex
    ("regex", {"pattern": r"\bORD-\d+\b"}, "my order ORD-123 please", True, "my order ORD-123 please"),
    ("regex", {"pattern": r"^ORD-\d+$"}, "my order ORD-123", False, None),
    ("regex", {"pattern": "(unclosed"}, "anything", False, None),
]


@pytest.mark.parametrize(("expect", "fields", "answer", "ok", "value"), TYPED)
def test_typed(expect: str, fields: dict[str, Any], answer: str, ok: bool, value: Any) -> None:
    result = validate(question(expect, **fields), answer)
    assert (result.ok, result.value) == (ok, value)
    if not ok:
        assert result.reason
    assert type(result.value) is type(value)


@pytest.mark.parametrize(("answer", "region", "value"), [
    ("+49 30 1234567", None, "+49301234567"),
    ("+1 (650) 253-0000", None, "+16502530000"),
    ("+1 (650) 253-0000", "DE", "+16502530000"),
    ("030 1234567", "DE", "+49301234567"),
    ("030 1234567", "de", "+49301234567"),
    ("(650) 253-0000", "US", "+16502530000"),
    ("0049 30 1234567", "DE", "+49301234567"),
    ("030 1234567", None, None),       # national number without a region
    ("12", "DE", None),
    ("call me", "DE", None),
    ("+49 30", None, None),
    ("+" + "1" * 500, None, None),
])
def test_phone(answer: str, region: str | None, value: str | None) -> None:
    result = validate(question("phone"), answer, region=region)
    assert result.ok is (value is not None)
    assert result.value == value


@pytest.mark.parametrize(("answer", "region", "value"), [
    ("03/04/2026", "US", "2026-03-04"),
    ("03/04/2026", "DE", "2026-04-03"),
    ("03/04/2026", "gb", "2026-04-03"),
    ("13/04/2026", "US", None),
    ("24.11.2026", "US", "2026-11-24"),
])
def test_date_regions(answer: str, region: str, value: str | None) -> None:
    assert validate(question("date"), answer, region=region).value == value


@pytest.mark.parametrize("expect", ["regex", "text"])
def test_catastrophic_pattern_is_time_bounded(expect: str) -> None:
    q = question(expect, pattern=r"^(a+)+$")
    started = time.process_time()
    result = validate(q, "a" * 50_000 + "!")
    assert time.process_time() - started < 1.0
    assert result.ok is False


def test_long_answers_are_handled_quickly() -> None:
    started = time.process_time()
    for expect in ("email", "phone", "number", "integer", "date", "url", "yes_no", "text"):
        validate(question(expect), "1" * 50_000)
        validate(question(expect), "a@" * 25_000)
    assert time.process_time() - started < 2.0


def field(kind: str, **extra: Any) -> FormField:
    return FormField(name="f", span=SPAN, type=kind, **extra)


@pytest.mark.parametrize(("form_field", "raw", "ok", "value"), [
    (field("text"), " Ada ", True, "Ada"),
    (field("textarea"), "line 1\nline 2", True, "line 1\nline 2"),
    (field("email"), "ADA@EXAMPLE.COM", True, "ADA@example.com"),
    (field("email"), "nope", False, None),
    (field("phone"), "+49 30 1234567", True, "+49301234567"),
    (field("number"), "3,5", True, 3.5),
    (field("number"), 7, True, 7.0),
    (field("number"), float("nan"), False, None),
    (field("date"), "24.11.2026", True, "2026-11-24"),
    (field("select", options=("Sales", "Support")), "support", True, "Support"),
    (field("select", options=("Sales", "Support")), "billing", False, None),
    (field("checkbox"), True, True, True),
    (field("checkbox"), "yes", True, True),
    (field("checkbox"), "on", True, True),
    (field("checkbox"), "false", True, False),
    (field("checkbox"), "what", False, None),
    (field("text"), "   ", False, None),
    (field("text"), None, False, None),
])
def test_form_fields(form_field: FormField, raw: Any, ok: bool, value: Any) -> None:
    assert validate_field(form_field, raw) == (ok, value)
