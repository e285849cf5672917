"""Fixtures of the CLI tests: a copy of the example project, a real coverage file, a runner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app

from .helpers import FLOWS, PROJECT

DROPPED_VISITORS = "booking.visitors.yaml"  # so that some edges of booking stay uncovered


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def flowctl(monkeypatch: pytest.MonkeyPatch):
    """``flowctl(args, cwd)``: ``flowctl render ARGS`` in-process, in ``cwd``; never a traceback."""

    def run(args: list[str], cwd: Path) -> Run:
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(app, ["render", *args], catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception, result.output)
        assert "Traceback" not in result.output
        return Run(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)

    return run


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A writable copy of the example project (flows/)."""
    root = tmp_path / "examples"
    shutil.copytree(FLOWS, root)
    return root


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """A writable copy of the render tests' own project (tests/render/data/project)."""
    root = tmp_path / "fixtures"
    shutil.copytree(PROJECT, root)
    return root


@pytest.fixture(scope="module")
def covered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """(project copy, coverage file, its JSON) from a real ``flowctl simulate --coverage-file``
    run on the example project without the booking visitors."""
    base = tmp_path_factory.mktemp("covered")
    root = base / "flows"
    shutil.copytree(FLOWS, root)
    (root / DROPPED_VISITORS).unlink()
    coverage = base / "coverage.json"
    flowctl_bin = Path(sys.executable).with_name("flowctl")
    env = {**os.environ, "NO_COLOR": "1",
           "FLOWCTL_CEILING_DIRECTORIES": str(tmp_path_factory.getbasetemp())}
    done = subprocess.run([str(flowctl_bin), "simulate", ".", "--coverage-file", str(coverage)],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(coverage.read_text(encoding="utf-8"))
    return root, coverage, data
