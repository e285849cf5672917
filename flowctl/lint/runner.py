"""Run the rules over a project: stamp code and severity, apply disable comments.

The runner returns a :class:`LintResult`; reporters print it.  Problems are reported only
for the files the user asked about, while every rule sees the whole project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from flowctl.lint.catalogue import all_rules, find_rule
from flowctl.lint.config import RuleSelection, select_rules
from flowctl.lint.context import LintContext
from flowctl.lint.registry import Rule
from flowctl.lint.suppress import Directive, matches, parse_directives
from flowctl.model.problem import Problem, Severity
from flowctl.model.project import Project
from flowctl.model.span import SourceSpan

UNUSED_DISABLE = "M001"


@dataclass
class LintResult:
    problems: list[Problem]
    files: list[str]  # files checked, as displayed
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    @property
    def worst(self) -> Severity | None:
        return max((p.severity for p in self.problems), default=None)


def _stamp(raw: Problem, rule: Rule, selection: RuleSelection) -> Problem | None:
    severity = selection.severity(rule.code)
    if severity is None:
        return None
    return raw.stamped(rule.code, rule.name, severity)


def run_rules(project: Project, selection: RuleSelection) -> list[Problem]:
    rules = all_rules()
    ctx = LintContext(project)
    found: list[Problem] = []
    for raw in (*project.load_problems, *selection.problems):  # `--ignore S007` silences S007
        rule = rules.get(raw.code)
        if rule is None:
            found.append(raw)
            continue
        stamped = _stamp(raw, rule, selection)
        if stamped is not None:
            found.append(stamped)
    for rule in rules.values():
        if rule.check is None or not selection.enabled(rule.code):
            continue
        if rule.scope == "flow":
            produced: Iterable[Problem] = (
                p for flow in project.flows for p in rule.check(flow, ctx)
            )
        elif rule.scope == "visitors":
            produced = (p for vf in project.visitor_files for p in rule.check(vf, ctx))
        else:
            produced = rule.check(ctx)
        for raw in produced:
            stamped = _stamp(raw, rule, selection)
            if stamped is not None:
                found.append(stamped)
    return found


def lint_project(project: Project, requested: Iterable[str], *, select: list[str] | None = None,
                 ignore: list[str] | None = None) -> LintResult:
    """Lint the whole project; report on the ``requested`` files.

    A problem in a file that was not named is reported too when the named files cause it
    (it is gone once they are taken out of the project: a duplicated flow id, a start tie,
    a visitors file a renamed block broke), saying so; the others are counted in a note.
    """
    settings = project.config.lint if project.config else None
    selection = select_rules(settings, select, ignore)
    wanted = set(requested)
    found = run_rules(project, selection)
    elsewhere = [p for p in found if p.span.file not in wanted]
    caused = _caused_by(project, wanted, selection, elsewhere)
    named = {p.span.file for p in caused}
    problems = [p for p in found if p.span.file in wanted or p in caused]
    problems = _apply_directives(problems, project.sources, wanted | named, selection)
    problems = [p if p.span.file in wanted else _said_caused(p) for p in problems
                if p.span.file in wanted or p.code != UNUSED_DISABLE]
    problems.sort(key=lambda p: p.sort_key)
    result = LintResult(problems, sorted(wanted), project.sources)
    others = len(elsewhere) - len(caused)
    if others:
        result.notes.append(f"{others} more problem{'s' if others != 1 else ''} in files not "
                            "named (`flowctl lint` without paths shows them)")
    return result


def _caused_by(project: Project, wanted: set[str], selection: RuleSelection,
               elsewhere: list[Problem]) -> list[Problem]:
    """The problems of ``elsewhere`` that go away without the ``wanted`` files."""
    if not elsewhere:
        return []
    without = replace(
        project,
        flows=tuple(f for f in project.flows if f.file not in wanted),
        visitor_files=tuple(v for v in project.visitor_files if v.file not in wanted),
        articles=tuple(a for a in project.articles if a.span.file not in wanted),
        load_problems=tuple(p for p in project.load_problems if p.span.file not in wanted),
    )
    if len(without.flows) + len(without.visitor_files) + len(without.articles) == (
            len(project.flows) + len(project.visitor_files) + len(project.articles)):
        return []  # the named files add nothing to the project (flowctl.yaml, a broken file)
    remaining = set(run_rules(without, selection))
    return [p for p in elsewhere if p not in remaining]


def _said_caused(problem: Problem) -> Problem:
    return replace(problem, message=f"{problem.message} (caused by the files named: this file "
                                    "was not named)")


def _apply_directives(problems: list[Problem], sources: dict[str, str], files: set[str],
                      selection: RuleSelection) -> list[Problem]:
    directives: dict[str, list[Directive]] = {
        name: parse_directives(sources.get(name, "")) for name in files
    }
    kept: list[Problem] = []
    for found in problems:
        suppressed = False
        for directive in directives.get(found.span.file, ()):
            if directive.kind == "disable" and directive.applies_to != found.span.line:
                continue
            entry = matches(directive, found.code, found.name)
            if entry is not None:
                directive.used.add(entry)
                suppressed = True
        if not suppressed:
            kept.append(found)
    rules = all_rules()
    unused_rule = rules[UNUSED_DISABLE]
    severity = selection.severity(UNUSED_DISABLE)
    if severity is None:
        return kept
    for name, items in directives.items():
        for directive in items:
            for entry in directive.codes:
                if entry in directive.used:
                    continue
                target = find_rule(entry)
                if target is not None and not selection.enabled(target.code):
                    continue  # the rule is off anyway: nothing to say
                what = "no problem" if target or entry.lower() == "all" else "nothing (unknown rule)"
                kept.append(Problem(
                    f"`# flowctl: {directive.kind}={entry}` suppressed {what}",
                    SourceSpan(name, directive.line, directive.column),
                    code=UNUSED_DISABLE, name=unused_rule.name, severity=severity,
                    hint="remove the comment, or fix the code it names",
                ))
    return kept
