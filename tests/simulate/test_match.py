from __future__ import annotations

import time

import pytest

from flowctl.simulate.match import subset_mismatch, text_matches


@pytest.mark.parametrize(("pattern", "text", "ok"), [
    ("Hi Ada!", "Hi Ada!", True),
    ("Hi *", "Hi Ada! Two questions?", True),
    ("Hi ?da!", "Hi Ada!", True),
    ("hi*", "Hi Ada!", False),  # case-sensitive
    ("Hi", "Hi Ada!", False),  # over the whole text
    ("*[x]*", "a [x] b", True),  # brackets are literal: the spec's glob has * and ? only
    ("*[x]*", "a x b", False),
    ("/Ada/", "Hi Ada!", True),  # regex: search
    ("/^Ada/", "Hi Ada!", False),
    ("/\\d+ EUR/", "Pro is 49 EUR a month", True),
    ("/(/", "(", False),  # a broken regex never matches
    ("/", "/", True),  # a lone slash is a glob
])
def test_text_matches(pattern: str, text: str, ok: bool) -> None:
    assert text_matches(pattern, text) is ok


def test_subset_mapping() -> None:
    actual = {"a": 1, "b": {"c": 2, "d": [1, 2]}, "e": "x"}
    assert subset_mismatch({"a": 1}, actual) is None
    assert subset_mismatch({"b": {"c": 2}}, actual) is None
    assert subset_mismatch({"b": {"d": [1, 2]}}, actual) is None
    assert subset_mismatch({}, actual) is None


def test_subset_mismatches_name_the_path() -> None:
    actual = {"a": 1, "b": {"c": 2, "d": [1, {"x": 1, "y": 2}]}}
    assert subset_mismatch({"b": {"c": 3}}, actual) == "b.c: expected 3, got 2"
    assert subset_mismatch({"z": 1}, actual) == "z: missing (expected 1)"
    assert subset_mismatch({"b": {"d": [1]}}, actual) is not None  # list lengths differ
    assert subset_mismatch({"b": {"d": [1, {"x": 1}]}}, actual) is None  # items as subsets
    assert "b.d[1].x" in (subset_mismatch({"b": {"d": [1, {"x": 9}]}}, actual) or "")


def test_subset_scalars() -> None:
    assert subset_mismatch(1, 1.0) is None
    assert subset_mismatch(True, 1) is not None  # bool is not a number
    assert subset_mismatch("1", 1) is not None
    assert subset_mismatch(None, None) is None
    assert subset_mismatch({"a": 1}, "text") is not None


def test_bot_step_parts() -> None:
    from flowctl.engine import BotMessage
    from flowctl.model.span import SourceSpan
    from flowctl.model.visitors import BotStep
    from flowctl.simulate.expect import bot_mismatch

    span = SourceSpan("v.visitors.yaml", 3, 9)
    image = BotMessage.from_json({"type": "image", "text": "Our office", "image": {"url": "https://x.test/o.png"}})
    assert bot_mismatch(BotStep(span, text="Our*", image="*.png", kind="image"), image) is None
    assert "type 'text'" in (bot_mismatch(BotStep(span, kind="text"), image) or "")
    assert "expected image" in (bot_mismatch(BotStep(span, image="*.jpg"), image) or "")
    choices = BotMessage.from_json({"type": "choices", "text": "Size?", "choices": ["1-10", "200+"]})
    assert bot_mismatch(BotStep(span, choices=("1-10", "200+")), choices) is None
    assert "expected choices" in (bot_mismatch(BotStep(span, choices=("1-10",)), choices) or "")
    buttons = BotMessage.from_json(
        {"type": "buttons", "text": "Plans", "buttons": [{"label": "Pricing", "url": "u"}]})
    assert bot_mismatch(BotStep(span, buttons=("Pricing",)), buttons) is None
    assert bot_mismatch(BotStep(span, buttons=("Docs",)), buttons) is not None
    form = BotMessage.from_json({"type": "form", "title": "Who are you?", "fields": []})
    assert bot_mismatch(BotStep(span, text="Who*", kind="form"), form) is None


@pytest.mark.parametrize(("pattern", "text"), [
    ("/^(a+)+$/", "a" * 40 + "!"),  # repro 03: catastrophic backtracking, time-bounded
    ("*a*a*a*a*a*b", "a" * 2_000),  # repro 04: a glob that backtracked
    ("*a*a*a*a*a*a*a*a*a*?b", "a" * 20_000),
])
def test_hostile_matchers_stop_quickly(pattern: str, text: str) -> None:
    started = time.monotonic()
    assert text_matches(pattern, text) is False
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(("pattern", "text", "ok"), [
    ("*ab*b", "abb", True),
    ("*ab*b", "ab", False),  # the pieces may not overlap
    ("a*?", "a", False),
    ("a*?", "ab", True),
    ("**", "", True),
    ("*a*a*b", "aab", True),
    ("x\ny*", "x\nyz", True),
])
def test_glob_pieces(pattern: str, text: str, ok: bool) -> None:
    assert text_matches(pattern, text) is ok
