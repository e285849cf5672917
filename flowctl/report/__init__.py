"""Reporters: turn a :class:`~flowctl.lint.runner.LintResult` into output.

Each format lives in its own module exposing ``report(result, out, options)``.  Modules are
imported on demand by :func:`get_reporter` so that ``flowctl --help`` stays fast.  Only
reporters print, and they print only to ``out``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from flowctl.lint.runner import LintResult


@dataclass
class ReportOptions:
    color: bool = False
    verbose: bool = False
    quiet: bool = False
    tool_version: str = ""


Reporter = Callable[["LintResult", TextIO, ReportOptions], None]

REPORTERS: dict[str, str] = {
    "text": "flowctl.report.text",
    "json": "flowctl.report.json",
    "github": "flowctl.report.github",
    "sarif": "flowctl.report.sarif",
    "junit": "flowctl.report.junit",
}


def get_reporter(name: str) -> Reporter:
    """Import the reporter module for ``name`` and return its ``report`` function."""
    try:
        module_path = REPORTERS[name]
    except KeyError:
        raise ValueError(
            f"unknown report format {name!r} (choose from {', '.join(REPORTERS)})"
        ) from None
    module = importlib.import_module(module_path)
    report: Reporter = module.report
    return report


def auto_format(stream: Any = None) -> str:
    """The format to use when none was asked for: ``github`` inside GitHub Actions."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return "github"
    return "text"
