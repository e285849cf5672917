"""Data-driven lint cases: every file or folder under tests/cases/lint/cases/.

Each case holds one defect.  Header comments name what lint must report, at warning or
error severity, and nothing else may be reported at those severities:

    # expect: G002 12        (rule code and line; one comment per expected problem)
    # expect-info: V003 7    (an expected info-level problem; other infos are ignored)

A case is linted in a fresh project made of tests/cases/lint/flowctl.yaml, the shared
knowledge/ folder and the case itself (a folder case brings several files, and may bring
its own flowctl.yaml).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from flowctl.lint.runner import lint_project
from flowctl.loader.project import load_project
from flowctl.model.problem import Severity

HERE = Path(__file__).parent.parent / "cases" / "lint"
CASES = sorted(p for p in (HERE / "cases").iterdir() if not p.name.startswith("."))
EXPECT = re.compile(r"#\s*expect(-info)?:\s*([A-Z]+[0-9]+)\s+(\d+)")


def expectations(case: Path) -> tuple[set[tuple[str, str, int]], set[tuple[str, str, int]]]:
    files = [case] if case.is_file() else sorted(p for p in case.rglob("*") if p.is_file())
    main: set[tuple[str, str, int]] = set()
    info: set[tuple[str, str, int]] = set()
    for file in files:
        for match in EXPECT.finditer(file.read_text(encoding="utf-8", errors="replace")):
            entry = (file.name, match.group(2), int(match.group(3)))
            (info if match.group(1) else main).add(entry)
    return main, info


def lint_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(HERE / "knowledge", project / "knowledge")
    if case.is_dir():
        shutil.copytree(case, project, dirs_exist_ok=True)
    else:
        shutil.copy(case, project / case.name)
    if not (project / "flowctl.yaml").exists():
        shutil.copy(HERE / "flowctl.yaml", project / "flowctl.yaml")
    monkeypatch.chdir(project)
    loaded, requested = load_project([])
    return lint_project(loaded, [str(p.relative_to(project)) for p in requested])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main, info = expectations(case)
    assert main or info, f"{case.name} declares no `# expect:` comment"
    result = lint_case(case, tmp_path, monkeypatch)
    got_main = {(Path(p.span.file).name, p.code, p.span.line)
                for p in result.problems if p.severity >= Severity.WARNING}
    got_info = {(Path(p.span.file).name, p.code, p.span.line)
                for p in result.problems if p.severity == Severity.INFO}
    details = "\n".join(f"{p.span} {p.code} {p.severity}: {p.message}" for p in result.problems)
    assert got_main == main, f"reported:\n{details}"
    assert info <= got_info, f"reported:\n{details}"
