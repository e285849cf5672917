"""Every lint rule: the rules package imported (each module registers its rules with
``@rule``), looked up by code or name."""

from __future__ import annotations

from flowctl.lint.registry import RULES, Rule, names_rule


def all_rules() -> dict[str, Rule]:
    import flowctl.lint.rules  # noqa: F401  (registers every rule)

    return dict(sorted(RULES.items()))


def find_rule(key: str) -> Rule | None:
    """The rule a code (any case) or a rule name stands for."""
    return next((rule for rule in all_rules().values()
                 if key.lower() != "all" and names_rule(key, rule.code, rule.name)), None)
