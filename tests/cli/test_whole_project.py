"""Data-driven cases: what the project is, whatever paths are named (issue 10, items 1-4).

Each folder under tests/cases/project/ is a project (with tests/cases/project/flowctl.yaml
and knowledge/ unless it brings its own) and a ``case.txt``:

    command: lint a.flow.yaml        (one or more; each is run in the project's folder)
    exit: 1                          (the exit code every command must give)
    line: b.flow.yaml:1:1: error[G006]: ...   (text the output must contain)
    link: evil.flow.yaml -> shared/broken.txt (a symbolic link made before the run)
    fifo: x.flow.yaml                (a named pipe made before the run)
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app

HERE = Path(__file__).parent.parent / "cases" / "project"
CASES = sorted(p for p in HERE.iterdir() if p.is_dir() and (p / "case.txt").is_file())


def fields(case: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (case / "case.txt").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(": ")
        if sep and key in ("command", "exit", "line", "link", "fifo"):
            out.setdefault(key, []).append(value.strip())
    return out


def make_project(case: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(case, project, ignore=shutil.ignore_patterns("case.txt"))
    if not (project / "flowctl.yaml").exists():
        shutil.copy(HERE / "flowctl.yaml", project / "flowctl.yaml")
    if not (project / "knowledge").exists():
        shutil.copytree(HERE / "knowledge", project / "knowledge")
    spec = fields(case)
    for link in spec.get("link", []):
        name, _, target = link.partition(" -> ")
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, project / name)
    for fifo in spec.get("fifo", []):
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes on this system")
        os.mkfifo(project / fifo)
    return project


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = fields(case)
    assert spec.get("command") and spec.get("exit") and spec.get("line"), case.name
    monkeypatch.chdir(make_project(case, tmp_path))
    monkeypatch.setenv("NO_COLOR", "1")
    for command in spec["command"]:
        result = CliRunner().invoke(app, [*shlex.split(command), "--no-color"]
                                    if command.startswith("lint") else shlex.split(command),
                                    input="")
        output = result.output
        assert "Traceback" not in output, output
        assert result.exit_code == int(spec["exit"][0]), f"{command}:\n{output}"
        for line in spec["line"]:
            assert line in output, f"{command}: no `{line}` in:\n{output}"
