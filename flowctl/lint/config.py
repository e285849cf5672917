"""Which rules run and at what severity: ``lint`` in flowctl.yaml plus --select/--ignore."""

from __future__ import annotations

from dataclasses import dataclass, field

from flowctl.lint.catalogue import all_rules
from flowctl.lint.registry import Rule, names_rule
from flowctl.model.problem import Problem, Severity
from flowctl.model.project import LintSettings

CONFIG_PROBLEM = "S007"


@dataclass
class RuleSelection:
    severities: dict[str, Severity | None] = field(default_factory=dict)  # None = off
    problems: list[Problem] = field(default_factory=list)

    def enabled(self, code: str) -> bool:
        return self.severities.get(code) is not None

    def severity(self, code: str) -> Severity | None:
        return self.severities.get(code)


def _match(key: str, rules: dict[str, Rule]) -> list[str]:
    """Codes matched by a code (``G002``), a prefix (``G``), a name, or ``all``."""
    named = [code for code, rule in rules.items() if names_rule(key, code, rule.name)]
    if named:
        return named
    upper = key.upper()
    return [code for code in rules if code.startswith(upper)] if upper.isalpha() else []


def select_rules(settings: LintSettings | None, select: list[str] | None = None,
                 ignore: list[str] | None = None) -> RuleSelection:
    rules = all_rules()
    result = RuleSelection({code: rule.severity for code, rule in rules.items()})
    settings = settings or LintSettings()

    def unknown(key: str, span: object) -> None:
        result.problems.append(Problem(
            f"unknown rule '{key}'", span,  # type: ignore[arg-type]
            code=CONFIG_PROBLEM, hint="`flowctl rules` lists the codes and names",
        ))

    for ref, level in settings.rules:
        if level != "off" and level.upper() not in Severity.__members__:
            continue  # `G002: fatal`: the schema check reports it where it is written
        codes = _match(ref.name, rules)
        if not codes:
            unknown(ref.name, ref.span)
            continue
        for code in codes:
            result.severities[code] = None if level == "off" else Severity.parse(level)
    chosen_select = [r.name for r in settings.select] + list(select or [])
    if chosen_select:
        keep: set[str] = set()
        for key in chosen_select:
            keep.update(_match(key, rules))
        for code in rules:
            if code not in keep and rules[code].scope != "load":
                result.severities[code] = None
    for ref in settings.ignore:
        codes = _match(ref.name, rules)
        if not codes:
            unknown(ref.name, ref.span)
        for code in codes:
            result.severities[code] = None
    for key in ignore or []:
        for code in _match(key, rules):
            result.severities[code] = None
    return result


def unknown_cli_keys(keys: list[str]) -> list[str]:
    rules = all_rules()
    return [key for key in keys if not _match(key, rules)]
