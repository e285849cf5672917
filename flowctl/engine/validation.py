"""Check a visitor's answer to a question (or a form field) and turn it into the saved value.

Choices made here (the flow format leaves them open):

* Answers are trimmed; an empty answer is never valid.
* **choice**: a label matches case-insensitively, with runs of white space counted as one
  space.  The 1-based number of a choice (``2``) selects it too, but only when no label
  contains a digit (``[1-10, 11-50]`` would make ``3`` ambiguous).  The choice's ``value``
  is saved (its label when it has none).  Without a match, ``allow_other`` accepts the text
  as it is; a question with choices and another ``expect`` checks the text against that
  type (the choices are then shortcuts).
* **text**: ``min``/``max`` bound the length in characters; ``pattern`` must be found
  (regular expression search).
* **email**: ``email-validator`` without a DNS check; saves the normalized address.
* **phone**: ``phonenumbers``; ``+``-prefixed numbers always, national numbers when a
  ``region`` (ISO country, e.g. ``visitor.country``) is known; must be a valid number;
  saves E.164 (``+4930123456``).
* **number**: ``12``, ``-3.5``, ``+4``, ``1e3``; ``1,5`` is the decimal comma (1.5), but a
  comma followed by exactly three digits (``1,500``) is ambiguous and invalid;
  ``1 000`` / ``1'000`` / ``1_000`` digit grouping is accepted.  NaN and infinity are
  not numbers.  Saved as ``float``.  **integer**: whole numbers only (``12``, ``-3``,
  ``1 000``; not ``12.0``), saved as ``int``.  ``min``/``max`` are inclusive bounds.
* **date**: ``2026-11-24`` (ISO), ``24.11.2026`` (day first; ``24.11.26`` is not
  accepted: four-digit years only), ``2026/11/24``, and ``a/b/2026``: month first when
  ``region`` is ``US`` (or another month-first country), day first for any other region,
  and without a region only when unambiguous (one part over 12, or both equal).  Saved as
  the ISO string.
* **url**: ``http``/``https`` with a host (a domain with a dot, ``localhost`` or an IP); a
  bare ``example.com/path`` gets ``https://``.  Saved as the (completed) text.
* **yes_no**: yes/y/yeah/yep/sure/ok/true/1, ja/j/jawohl/klar, no/n/nope/nah/false/0,
  nein/ne/nö (case-insensitive, trailing ``.!`` ignored).  Saved as ``bool``.
* **regex**: ``pattern`` must be found (search).  Every pattern search is bounded by
  :data:`REGEX_TIMEOUT` seconds; a timeout makes the answer invalid.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flowctl.expr import patterns
from flowctl.expr.patterns import REGEX_TIMEOUT
from flowctl.model.blocks import Choice, FormBlock, FormField, QuestionBlock

#: Countries that write dates month first (``11/24/2026``).
MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW", "GU", "AS", "MP", "PR", "VI", "UM"})

_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "true", "1",
                  "ja", "j", "jawohl", "klar", "jep"})
_NO = frozenset({"no", "n", "nope", "nah", "false", "0", "nein", "ne", "nö", "noe", "nee"})
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_INTEGER = re.compile(r"^[+-]?\d{1,30}$")
_GROUPED = re.compile(r"(?<=\d)[ \u00a0\u202f'_](?=\d{3}\b)")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Validated:
    """The outcome: ``ok``, the value to save, the chosen choice (if any) and why not ok."""

    ok: bool
    value: Any = None
    choice: Choice | None = None
    reason: str = ""


def _invalid(reason: str) -> Validated:
    return Validated(False, None, None, reason)


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text.strip()).casefold()


# --------------------------------------------------------------------------- patterns


def search(pattern: str, text: str, timeout: float = REGEX_TIMEOUT) -> bool | None:
    """Time-bounded regular expression search; None when the pattern is bad or timed out."""
    return patterns.search(pattern, text, timeout)[0]


def _pattern_check(pattern: str, text: str) -> str:
    found = search(pattern, text)
    if found is None:
        return "the answer could not be checked against the pattern"
    return "" if found else "the answer does not match the expected format"


# --------------------------------------------------------------------------- typed parsers


def parse_number(text: str) -> float | None:
    """A finite number written as described in the module docs, or None."""
    text = _GROUPED.sub("", text.strip())
    if _DECIMAL_COMMA.match(text):
        if len(text.rsplit(",", 1)[1]) == 3:
            return None  # 1,500: a thousands separator or a decimal comma?
        text = text.replace(",", ".")
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_integer(text: str) -> int | None:
    text = _GROUPED.sub("", text.strip())
    return int(text) if _INTEGER.match(text) else None


def parse_date(text: str, region: str | None = None) -> _dt.date | None:
    """A date in one of the accepted forms (see the module docs), or None."""
    text = text.strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
            return _dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", text):
            return _dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})", text):
            return _dt.date(int(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
            a, b, year = int(m[1]), int(m[2]), int(m[3])
            code = region.upper() if region else None
            if code is None:
                if a > 12 >= b or a == b:
                    month_first = False
                elif b > 12 >= a:
                    month_first = True
                else:
                    return None
            else:
                month_first = code in MONTH_FIRST_REGIONS
            return _dt.date(year, a, b) if month_first else _dt.date(year, b, a)
    except ValueError:
        return None
    return None


def parse_yes_no(text: str) -> bool | None:
    word = _fold(text).rstrip(".!").strip()
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def parse_email(text: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        return str(validate_email(text.strip(), check_deliverability=False, test_environment=True).normalized)
    except (EmailNotValidError, ValueError, UnicodeError):
        return None


def parse_phone(text: str, region: str | None = None) -> str | None:
    """The number in E.164, or None when it is not a valid phone number."""
    import phonenumbers

    text = text.strip()
    if len(text) > 64:
        return None
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _valid_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or (not labels[-1].isalpha() and not labels[-1].startswith("xn--")):
        return False
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return all(_HOST_LABEL.match(label) for label in ascii_host.rstrip(".").split("."))


def parse_url(text: str) -> str | None:
    """An ``http``/``https`` URL with a host (``https://`` added to a bare host), or None."""
    text = text.strip()
    if not text or any(ch.isspace() for ch in text):
        return None
    if "://" not in text:
        if ":" in text.split("/", 1)[0] and not re.match(r"^[^:/]+:\d+(/|$)", text):
            return None  # mailto:, javascript: and the like
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not _valid_host(host):
        return None
    return text


# --------------------------------------------------------------------------- questions


def match_choice(choices: Sequence[Choice], answer: str) -> Choice | None:
    """The choice whose label is ``answer`` (folded), or the n-th when that is unambiguous."""
    folded = _fold(answer)
    for choice in choices:
        if _fold(choice.label) == folded:
            return choice
    if folded.isdigit() and not any(ch.isdigit() for c in choices for ch in c.label):
        index = int(folded) - 1
        if 0 <= index < len(choices):
            return choices[index]
    return None


def _bounds(value: float, low: float | None, high: float | None, what: str) -> str:
    if low is not None and value < low:
        return f"{what} must be at least {low:g}"
    if high is not None and value > high:
        return f"{what} must be at most {high:g}"
    return ""


def check_typed(expect: str, answer: str, *, pattern: str | None = None,
                low: float | None = None, high: float | None = None,
                region: str | None = None) -> Validated:
    """Validate a (trimmed, non-empty) answer against one ``expect`` type."""
    if expect in ("text", "choice"):
        problem = _bounds(len(answer), low, high, "the answer's length")
        if not problem and pattern is not None:
            problem = _pattern_check(pattern, answer)
        return _invalid(problem) if problem else Validated(True, answer)
    if expect == "regex":
        if pattern is not None and (problem := _pattern_check(pattern, answer)):
            return _invalid(problem)
        return Validated(True, answer)
    if expect == "email":
        email = parse_email(answer)
        return Validated(True, email) if email else _invalid("not an email address")
    if expect == "phone":
        phone = parse_phone(answer, region)
        return Validated(True, phone) if phone else _invalid("not a phone number")
    if expect in ("number", "integer"):
        number: float | int | None = parse_integer(answer) if expect == "integer" else parse_number(answer)
        if number is None:
            return _invalid(f"not {'a whole number' if expect == 'integer' else 'a number'}")
        problem = _bounds(number, low, high, "the number")
        return _invalid(problem) if problem else Validated(True, number)
    if expect == "date":
        day = parse_date(answer, region)
        return Validated(True, day.isoformat()) if day else _invalid("not a date")
    if expect == "url":
        url = parse_url(answer)
        return Validated(True, url) if url else _invalid("not a web address")
    if expect == "yes_no":
        flag = parse_yes_no(answer)
        return Validated(True, flag) if flag is not None else _invalid("not yes or no")
    return _invalid(f"unknown answer type '{expect}'")


def validate(question: QuestionBlock, answer: str, region: str | None = None) -> Validated:
    """Check ``answer`` to ``question``; ``region`` (ISO country) helps phones and dates."""
    text = str(answer).strip()
    if not text:
        return _invalid("the answer is empty")
    if question.choices:
        choice = match_choice(question.choices, text)
        if choice is not None:
            return Validated(True, choice.saved_value, choice)
        if question.expect == "choice":
            return Validated(True, text) if question.allow_other else _invalid("not one of the choices")
    pattern = question.pattern.source if question.pattern is not None else None
    return check_typed(question.expect, text, pattern=pattern, low=question.min,
                       high=question.max, region=region)


# --------------------------------------------------------------------------- forms


def validate_field(form_field: FormField, raw: Any, region: str | None = None) -> tuple[bool, Any]:
    """Check one submitted form field; (ok, value to save).

    ``text``/``textarea`` keep the trimmed text, ``select`` must be one of ``options``
    (case-insensitive; the option as written is saved), ``checkbox`` takes a bool or a
    yes/no word, the other types validate like questions.  Missing values are the caller's
    business (``required``).
    """
    kind = form_field.type
    if kind == "checkbox":
        if isinstance(raw, bool):
            return True, raw
        flag = parse_yes_no(str(raw)) if raw is not None else None
        if flag is None and isinstance(raw, str) and raw.strip().lower() in ("on", "checked"):
            flag = True
        return (flag is not None), flag
    if isinstance(raw, bool) or raw is None:
        return False, None
    if kind == "number" and isinstance(raw, int | float):
        return (True, float(raw)) if math.isfinite(raw) else (False, None)
    text = str(raw).strip()
    if not text:
        return False, None
    if kind in ("text", "textarea"):
        return True, text
    if kind == "select":
        for option in form_field.options:
            if _fold(option) == _fold(text):
                return True, option
        return False, None
    result = check_typed(kind, text, region=region)
    return result.ok, result.value


@dataclass(frozen=True)
class FormCheck:
    """A submitted form checked: the values to save, and ``(field, why)`` per problem."""

    values: dict[str, Any]
    problems: tuple[tuple[str, str], ...]


def check_form(form: FormBlock, submitted: Mapping[str, Any], region: str | None = None) -> FormCheck:
    """Check every field of ``form`` (all problems, not the first); unknown names are ignored."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for form_field in form.form_fields:
        raw = submitted.get(form_field.name)
        if raw is None or raw == "":
            if form_field.required:
                problems.append((form_field.name, "required"))
            continue
        ok, value = validate_field(form_field, raw, region)
        if not ok:
            problems.append((form_field.name, "invalid"))
            continue
        values[form_field.name] = value
    return FormCheck(values, tuple(problems))


__all__ = [
    "REGEX_TIMEOUT",
    "FormCheck",
    "Validated",
    "check_form",
    "check_typed",
    "match_choice",
    "parse_date",
    "parse_email",
    "parse_integer",
    "parse_number",
    "parse_phone",
    "parse_url",
    "parse_yes_no",
    "search",
    "validate",
    "validate_field",
]
