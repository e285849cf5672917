"""What a generated visitor can do while the flow waits: the moves explore tries.

At a question: each choice, a valid answer of the expected type (numbers either side of
the thresholds branch conditions compare the saved value with), enough invalid answers to
exhaust the retries, and silence past the timeout.  At a form: submit valid values, or
leave it.  At an assistant: each way it may hand back.  Answers are checked with the
engine's own validation, with the visitor's region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowctl.engine import AssistantReply, Click, Elapse, Input, Say, SubmitForm
from flowctl.engine.validation import validate
from flowctl.model.blocks import AIBlock, Block, FormBlock, FormField, QuestionBlock


@dataclass
class Move:
    """One visitor action (or the start), with the endpoint and assistant answers it meets."""

    label: str
    inputs: list[Input] = field(default_factory=list)  # empty for the start
    wait: float = 0.0  # seconds the clock advances before the inputs
    fail_calls: frozenset[int] = frozenset()  # logical endpoint calls (0-based) that fail
    ai: list[AssistantReply] = field(default_factory=list)
    agents: dict[str, int] | None = None  # agent availability changes before the inputs


_VALID = {
    "text": ["I would like some help with my account, please"],
    "email": ["ada@example.com"],
    "phone": ["+4930901820"],
    "number": ["42"],
    "integer": ["42"],
    "date": ["2026-12-01"],
    "url": ["https://example.com"],
    "yes_no": ["yes", "no"],
}
_INVALID = {
    "text": ["?"],
    "email": ["not an email"],
    "phone": ["call me maybe"],
    "number": ["a lot"],
    "integer": ["4.5"],
    "date": ["someday"],
    "url": ["not a url"],
    "yes_no": ["perhaps"],
    "regex": ["\u2603"],
    "choice": ["something else entirely"],
}
_REGEX_TRIES = ["ABC123", "abc", "12345", "A1", "AB-1234", "ada@example.com", "2026-12-01",
                "hello world", "X", "1", "a1b2c3", "DE89370400440532013000"]


def valid_answers(block: QuestionBlock, region: str | None,
                  thresholds: tuple[str, ...] = ()) -> list[str]:
    if block.expect == "regex":
        candidates = _REGEX_TRIES
    elif block.expect == "number" or block.expect == "integer":
        low = block.min if block.min is not None else 42
        candidates = [*thresholds, str(int(low) if float(low).is_integer() else low), "42", "1"]
    elif block.expect == "text" and (block.min is not None or block.max is not None):
        size = int(block.min or 1)
        candidates = ["x" * max(size, 1), _VALID["text"][0]]
    else:
        candidates = _VALID.get(block.expect, [])
    out: list[str] = []
    for answer in candidates:
        if validate(block, answer, region=region).ok and answer not in out:
            out.append(answer)
            if block.expect != "yes_no" and not thresholds:
                break
    return out


def invalid_answer(block: QuestionBlock, region: str | None) -> str | None:
    kind = "choice" if block.expect == "choice" else block.expect
    for answer in [*_INVALID.get(kind, []), "\u2603", "?"]:
        if not validate(block, answer, region=region).ok:
            return answer
    return None


def field_value(form_field: FormField) -> object:
    if form_field.options:
        return form_field.options[0]
    return {"email": "ada@example.com", "phone": "+4930901820", "number": "42",
            "date": "2026-12-01", "checkbox": True}.get(form_field.type, "Ada")


def moves_at(block: Block, attempts: int, region: str | None,
             thresholds: dict[str, tuple[str, ...]] | None = None) -> list[Move]:
    """The moves a visitor can make while the flow waits at ``block``."""
    moves: list[Move] = []
    if isinstance(block, QuestionBlock):
        for choice in block.choices:
            moves.append(Move(f"click {choice.label}", [Click(choice.label)]))
        if not block.choices or block.allow_other or block.expect not in ("choice", "text"):
            wanted = (thresholds or {}).get(block.save.name, ()) if block.save else ()
            clicked = {choice.label for choice in block.choices}
            for answer in valid_answers(block, region, wanted):
                if answer not in clicked:
                    moves.append(Move(f"answer {answer!r}", [Say(answer)]))
        if block.validated:
            bad = invalid_answer(block, region)
            if bad is not None:
                count = block.retries + 1 - attempts
                moves.append(Move(f"{count} invalid answers", [Say(bad)] * max(count, 1)))
        if block.timeout is not None:
            moves.append(Move(f"silence for {block.timeout:g} s", [Elapse()], wait=block.timeout))
    elif isinstance(block, FormBlock):
        values = {f.name: field_value(f) for f in block.form_fields}
        moves.append(Move("submit the form", [SubmitForm(values)]))
        if block.timeout is not None:
            moves.append(Move(f"leave the form for {block.timeout:g} s", [Elapse()],
                              wait=block.timeout))
    elif isinstance(block, AIBlock):
        for reason in block.handoff_when:
            if reason == "max_turns":
                replies = [AssistantReply(text=f"Answer {n + 1}.") for n in range(block.max_turns)]
                moves.append(Move(f"{block.max_turns} questions to the assistant",
                                  [Say(f"Question {n + 1}?") for n in range(block.max_turns)],
                                  ai=replies))
            else:
                moves.append(Move(f"assistant hands back: {reason}", [Say("Can you help me?")],
                                  ai=[AssistantReply(handoff=reason)]))
    return moves
