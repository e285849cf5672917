"""The rule registry: each rule is a generator of problems plus its metadata.

A rule module defines one or more functions decorated with :func:`rule`.  The docstring's
first line is the summary; the rest explains the rule and shows a failing (``Bad:``) and a
passing (``Good:``) example, which ``flowctl rules CODE`` prints and the docs reuse.
tests/lint/test_rule_examples.py runs both, so they must be real YAML: a comment line
``# flowctl.yaml: KEY: VALUE`` states what an example assumes of flowctl.yaml.

Scopes: ``flow`` rules get ``(flow, ctx)``, ``project`` rules get ``(ctx)``, ``visitors``
rules get ``(visitor_file, ctx)``.  Rules yield problems without code or severity; the
runner stamps both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flowctl.model.problem import Problem, Severity

RuleCheck = Callable[..., Iterator[Problem]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    scope: str  # flow | project | visitors | load
    check: RuleCheck | None
    doc: str

    @property
    def summary(self) -> str:
        return " ".join(self.doc.strip().split("\n\n")[0].split())

    @property
    def family(self) -> str:
        return self.code.rstrip("0123456789")


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: str = "error",
         scope: str = "flow") -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule function."""

    def register(func: RuleCheck) -> RuleCheck:
        if code in RULES:
            raise ValueError(f"rule code {code} registered twice")
        RULES[code] = Rule(code, name, Severity.parse(severity), scope, func,
                           inspect.cleandoc(func.__doc__ or ""))
        return func

    return register


def declare(code: str, name: str, severity: str, doc: str, scope: str = "load") -> None:
    """Register a code whose problems another layer (the loader) produces."""
    RULES[code] = Rule(code, name, Severity.parse(severity), scope, None, inspect.cleandoc(doc))


def names_rule(key: str, code: str, name: str) -> bool:
    """Whether ``key`` as users write it (a code in any case, a rule name, or ``all``) names
    the rule ``code`` / ``name``."""
    return key.lower() == "all" or key.upper() == code or key == name


def problem(message: str, span: Any, hint: str | None = None) -> Problem:
    """Shorthand for rules."""
    return Problem(message, span, hint=hint)
