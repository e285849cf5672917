"""SARIF 2.1.0 output, suitable for GitHub code scanning (``upload-sarif``).

Every registered rule is listed under ``tool.driver.rules``; each problem becomes a result
pointing at its rule by ``ruleId`` and ``ruleIndex``, located relative to ``%SRCROOT%``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from flowctl.model.problem import Problem
from flowctl.report import ReportOptions
from flowctl.report._common import SARIF_LEVELS, sorted_problems

if TYPE_CHECKING:
    from flowctl.lint.registry import Rule
    from flowctl.lint.runner import LintResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "flowctl"
INFORMATION_URI = "https://pypi.org/project/flowctl/"
SRCROOT = "%SRCROOT%"


def artifact_location(file: str) -> dict[str, str]:
    """A relative URI (forward slashes) under ``%SRCROOT%``, or an absolute file URI."""
    path = file.replace("\\", "/")
    native = Path(file)
    if native.is_absolute():
        try:
            path = native.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return {"uri": native.resolve().as_uri()}
    path = str(PurePosixPath(path))
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def fingerprint(problem: Problem) -> str:
    key = "\0".join((problem.code, problem.span.file.replace("\\", "/"), problem.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary or rule.name},
        "fullDescription": {"text": rule.doc or rule.summary or rule.name},
        "defaultConfiguration": {"level": SARIF_LEVELS[rule.severity]},
        "properties": {"tags": ["flowctl", rule.family]},
    }


def sarif_result(problem: Problem, rule_index: dict[str, int]) -> dict[str, Any]:
    message = problem.message
    if problem.hint:
        message += f"\nhint: {problem.hint}"
    region: dict[str, int] = {"startLine": max(problem.span.line, 1),
                              "startColumn": max(problem.span.column, 1)}
    if problem.end_column is not None and problem.end_column > problem.span.column:
        region["endColumn"] = problem.end_column
    result: dict[str, Any] = {"ruleId": problem.code or TOOL_NAME}
    if problem.code in rule_index:
        result["ruleIndex"] = rule_index[problem.code]
    result.update({
        "level": SARIF_LEVELS[problem.severity],
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact_location(problem.span.file),
                "region": region,
            },
        }],
        "partialFingerprints": {"flowctl/v1": fingerprint(problem)},
    })
    return result


def to_dict(result: LintResult, options: ReportOptions) -> dict[str, Any]:
    from flowctl import __version__
    from flowctl.lint.catalogue import all_rules

    version = options.tool_version or __version__
    rules = list(all_rules().values())
    rule_index = {rule.code: index for index, rule in enumerate(rules)}
    return {
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": TOOL_NAME,
                    "version": version,
                    "informationUri": INFORMATION_URI,
                    "rules": [rule_descriptor(rule) for rule in rules],
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": [sarif_result(p, rule_index) for p in sorted_problems(result)],
        }],
    }


def report(result: LintResult, out: TextIO, options: ReportOptions) -> None:
    out.write(json.dumps(to_dict(result, options), indent=2, ensure_ascii=False) + "\n")


__all__ = ["report", "to_dict"]
