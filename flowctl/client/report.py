"""How ``publish``, ``status``, ``revisions`` and ``rollback`` print: text for people, JSON
for programs.  Only this module prints; it never sees a token (a :class:`Target` prints as
its name and URL)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from flowctl.client.errors import LintProblem
from flowctl.client.gates import LintGate, SimulateGate
from flowctl.client.records import Changes, PublishPlan, PublishResult
from flowctl.client.targets import Target
from flowctl.client.workflow import (
    PublishOutcome,
    RevisionsReport,
    RollbackReport,
    StatusReport,
)

JSON_VERSION = 1


def short(digest: str) -> str:
    """``sha256:`` and the first 12 hex digits."""
    kind, _, value = digest.partition(":")
    return f"{kind}:{value[:12]}" if value else digest[:19]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _dump(document: Any, out: TextIO) -> None:
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _problems_result(problems: Sequence[LintProblem], sources: Mapping[str, str]) -> Any:
    """The server's problems as a LintResult, so that the lint text reporter prints them
    (with the local source lines)."""
    from flowctl.lint.runner import LintResult
    from flowctl.model.problem import Problem, Severity
    from flowctl.model.span import SourceSpan

    def severity(name: str) -> Severity:
        try:
            return Severity.parse(name)
        except KeyError:
            return Severity.ERROR

    found = [Problem(p.message, SourceSpan(p.file, p.line, p.column), p.code, p.rule,
                     severity(p.severity), p.hint) for p in problems]
    return LintResult(found, sorted({p.file for p in problems}), dict(sources))


def _first_line(text: str, width: int) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[:width - 1] + "…"


def _changes_lines(changes: Changes) -> list[str]:
    width = max(len(word) for word in ("added", "changed", "removed"))
    lines = [f"  {word:<{width}}  {flow}"
             for word, flows in (("added", changes.added), ("changed", changes.changed),
                                 ("removed", changes.removed)) for flow in flows]
    return lines or ["  no flow changes (flowctl.yaml or knowledge articles changed)"]


# -- publish --------------------------------------------------------------------------------------


class TextPublishReporter:
    """Prints each step of a publish as it happens."""

    def __init__(self, out: TextIO, err: TextIO, *, color: bool = False) -> None:
        self.out, self.err, self.color = out, err, color

    def _say(self, line: str = "") -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def lint(self, gate: LintGate) -> None:
        if not gate.passed:
            from flowctl.report import ReportOptions, get_reporter

            get_reporter("text")(gate.result, self.out, ReportOptions(color=self.color))
            self.err.write("flowctl: error: the lint gate failed: fix the errors above; "
                           "nothing was published\n")
            return
        warned = f" ({_plural(gate.warnings, 'warning')}: `flowctl lint` shows them)" \
            if gate.warnings else ""
        self._say(f"lint: {_plural(gate.flows, 'flow')}, no errors{warned}")

    def simulate(self, gate: SimulateGate | None) -> None:
        if gate is None:
            self._say("simulate: skipped (--no-tests)")
            return
        if gate.broken is not None:
            from flowctl.report import ReportOptions, get_reporter

            get_reporter("text")(gate.broken, self.out, ReportOptions(color=self.color))
            self.err.write("flowctl: error: the simulate gate failed: a visitors file is "
                           "broken; nothing was published (--no-tests skips the visitors)\n")
            return
        if gate.result is None:
            self._say("simulate: no visitors files (nothing to run)")
            return
        if not gate.passed:
            from flowctl.simulate.report import SimulateOptions, report_text

            report_text(gate.result, None, self.out, SimulateOptions(color=self.color))
            self.err.write("flowctl: error: the simulate gate failed: every visitor must pass; "
                           "nothing was published\n")
            return
        self._say(f"simulate: {_plural(gate.result.passed, 'visitor')} passed "
                  f"({_plural(gate.files, 'visitors file')})")

    def plan(self, target: Target, project: str, plan: PublishPlan, dry_run: bool) -> None:
        if plan.unchanged:
            self._say(f"nothing to publish: revision {plan.revision} is already active on "
                      f"{target.label} ({short(plan.hash)})")
            return
        self._say(f"plan for {project} on {target.label}: revision {plan.revision}")
        for line in _changes_lines(plan.changes):
            self._say(line)
        if dry_run:
            self._say("dry run: nothing was published")

    def published(self, result: PublishResult) -> None:
        if result.created:
            self._say(f"published revision {result.revision}: {result.hash}")
        else:
            self._say(f"nothing to publish: revision {result.revision} is already active")

    def refused(self, problems: Sequence[LintProblem], sources: Mapping[str, str]) -> None:
        from flowctl.report import ReportOptions, get_reporter

        get_reporter("text")(_problems_result(problems, sources), self.out,
                             ReportOptions(color=self.color))
        self.err.write("flowctl: error: the runtime's lint refused the bundle; nothing was "
                       "published\n")

    def done(self, outcome: PublishOutcome) -> None:
        pass


class JsonPublishReporter:
    """Prints one JSON document when the publish is over (see :func:`publish_json`)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def lint(self, gate: LintGate) -> None:
        pass

    def simulate(self, gate: SimulateGate | None) -> None:
        pass

    def plan(self, target: Target, project: str, plan: PublishPlan, dry_run: bool) -> None:
        pass

    def published(self, result: PublishResult) -> None:
        pass

    def refused(self, problems: Sequence[LintProblem], sources: Mapping[str, str]) -> None:
        pass

    def done(self, outcome: PublishOutcome) -> None:
        _dump(publish_json(outcome), self.out)


def publish_json(outcome: PublishOutcome) -> dict[str, Any]:
    """``{"version", "project", "target", "dry_run", "failed", "lint", "simulate", "plan",
    "published", "source"}``; with ``failed``: ``lint`` (the problems in the
    ``flowctl lint --format json`` shape), ``simulate`` (``flowctl simulate --format json``'s
    document, or the visitors files' problems) or ``server_lint`` (``problems``)."""
    from flowctl.report.json import to_dict

    document: dict[str, Any] = {
        "version": JSON_VERSION, "project": outcome.project, "target": outcome.target.to_json(),
        "dry_run": outcome.dry_run, "failed": outcome.failed, "lint": None, "simulate": None,
        "plan": outcome.plan.to_json() if outcome.plan else None,
        "published": outcome.result.to_json() if outcome.result else None,
        "source": dict(outcome.source) if outcome.source is not None else None}
    if outcome.lint is not None:
        document["lint"] = {"errors": outcome.lint.errors, "warnings": outcome.lint.warnings}
        if not outcome.lint.passed:
            document["lint"]["report"] = to_dict(outcome.lint.result)
    gate = outcome.simulate
    if gate is not None:
        result = gate.result
        document["simulate"] = {"files": gate.files,
                                "passed": result.passed if result else 0,
                                "failed": result.failed if result else 0}
        if gate.broken is not None:
            document["simulate"]["broken"] = to_dict(gate.broken)
        elif result is not None and not gate.passed:
            from flowctl.simulate.report import to_json

            document["simulate"]["report"] = to_json(result, None)
    if outcome.problems:
        document["problems"] = [
            {"file": p.file, "line": p.line, "column": p.column, "code": p.code, "rule": p.rule,
             "severity": p.severity, "message": p.message, "hint": p.hint}
            for p in outcome.problems]
    return document


# -- status ---------------------------------------------------------------------------------------


def status_text(report: StatusReport, out: TextIO) -> None:
    deployed = report.deployed
    lines = [f"project:  {report.project}", f"target:   {report.target.label}"]
    if deployed is None:
        lines.append("deployed: nothing is published yet")
    else:
        lines.append(f"deployed: revision {deployed.active_revision} ({short(deployed.hash)}), "
                     f"published {deployed.published_at}")
        if deployed.activated_at and deployed.activated_at != deployed.published_at:
            lines.append(f"          active since {deployed.activated_at}")
        if deployed.message:
            lines.append(f"          message: {_first_line(deployed.message, 100)}")
        if deployed.commit:
            lines.append(f"          commit:  {deployed.commit}")
    drift = report.drift
    if report.in_sync:
        lines.append(f"local:    same as the deployed revision ({_plural(len(report.local_flows), 'flow')})")
    else:
        lines.append("local:    differs from the deployed revision" if deployed is not None
                     else f"local:    {_plural(len(report.local_flows), 'flow')}, not published")
        width = len("only deployed")
        for word, flows in (("changed", drift.changed), ("only local", drift.only_local),
                            ("only deployed", drift.only_deployed)):
            lines.extend(f"  {word:<{width}}  {flow}" for flow in flows)
        if drift.other_files:
            lines.append("  no flow differs: flowctl.yaml or the knowledge articles do")
    out.write("\n".join(lines) + "\n")


def status_json(report: StatusReport, out: TextIO) -> None:
    _dump({"version": JSON_VERSION, "project": report.project,
           "target": report.target.to_json(),
           "deployed": report.deployed.to_json() if report.deployed else None,
           "local": {"hash": report.local_hash, "flows": dict(report.local_flows)},
           "in_sync": report.in_sync, "drift": report.drift.to_json()}, out)


# -- revisions and rollback -----------------------------------------------------------------------


def revisions_text(report: RevisionsReport, out: TextIO) -> None:
    found = report.revisions
    if not found.revisions:
        out.write(f"nothing is published for {found.project} on {report.target.label}\n")
        return
    rows = [("", "REV", "PUBLISHED", "HASH", "COMMIT", "FLOWS", "MESSAGE")]
    for r in found.revisions:
        rows.append(("*" if r.revision == found.active_revision else "", str(r.revision),
                     r.published_at, short(r.hash), (r.commit or "")[:10], str(len(r.flows)),
                     _first_line(r.message, 60)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    out.write(f"{found.project} on {report.target.label} (* active)\n")
    for row in rows:
        cells = [cell.ljust(width) if i != 1 else cell.rjust(width)
                 for i, (cell, width) in enumerate(zip(row, widths, strict=False))]
        out.write(("  ".join([*cells, row[-1]])).rstrip() + "\n")


def revisions_json(report: RevisionsReport, out: TextIO) -> None:
    _dump({"version": JSON_VERSION, "target": report.target.to_json(),
           **report.revisions.to_json()}, out)


def rollback_text(report: RollbackReport, out: TextIO) -> None:
    result = report.result
    if report.previous == result.active_revision:
        out.write(f"revision {result.active_revision} of {result.project} was already active "
                  f"on {report.target.label}\n")
        return
    was = f" (was {report.previous})" if report.previous is not None else ""
    out.write(f"rolled back {result.project} on {report.target.label}: revision "
              f"{result.active_revision} is active{was}: {result.hash}\n")


def rollback_json(report: RollbackReport, out: TextIO) -> None:
    _dump({"version": JSON_VERSION, "target": report.target.to_json(),
           "previous_revision": report.previous, **report.result.to_json()}, out)
