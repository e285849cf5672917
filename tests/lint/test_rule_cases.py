"""Data-driven lint cases: every file or folder under tests/cases/lint/cases/.

A failing case holds one defect.  Header comments name what lint must report, at warning
or error severity, and nothing else may be reported at those severities:

    # expect: G002 12        (rule code and line; one comment per expected problem)
    # expect-info: V003 7    (an expected info-level problem; other infos are ignored)

A passing case (named CODE-ok-...) is the near miss of a rule: what the rule looks at,
done right.  It reports nothing at warning or error severity, and not the rule at all:

    # passes: G004

Every registered rule has at least one failing and one passing case.

A case is linted in a fresh project made of tests/cases/lint/flowctl.yaml, the shared
knowledge/ folder and the case itself (a folder case brings several files, and may bring
its own flowctl.yaml, or knowledge articles, which are linted as if named on the command
line).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from flowctl.lint.catalogue import all_rules
from flowctl.lint.runner import lint_project
from flowctl.loader.project import load_project
from flowctl.model.problem import Severity

HERE = Path(__file__).parent.parent / "cases" / "lint"
CASES = sorted(p for p in (HERE / "cases").iterdir() if not p.name.startswith("."))
EXPECT = re.compile(r"#\s*expect(-info)?:\s*([A-Z]+[0-9]+)\s+(\d+)")
PASSES = re.compile(r"#\s*passes:\s*([A-Z]+[0-9]+)\b")


def case_files(case: Path) -> list[Path]:
    return [case] if case.is_file() else sorted(p for p in case.rglob("*") if p.is_file())


def expectations(case: Path) -> tuple[set[tuple[str, str, int]], set[tuple[str, str, int]]]:
    main: set[tuple[str, str, int]] = set()
    info: set[tuple[str, str, int]] = set()
    for file in case_files(case):
        for match in EXPECT.finditer(file.read_text(encoding="utf-8", errors="replace")):
            entry = (file.name, match.group(2), int(match.group(3)))
            (info if match.group(1) else main).add(entry)
    return main, info


def passes(case: Path) -> set[str]:
    """The rules a passing case is the near miss of."""
    return {match.group(1) for file in case_files(case)
            for match in PASSES.finditer(file.read_text(encoding="utf-8", errors="replace"))}


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
    wanted = [str(p.relative_to(project)) for p in requested]
    if case.is_dir():  # `flowctl lint` reads articles, but reports on them only when named
        wanted += [str(p.relative_to(case)) for p in case.rglob("*.md")]
    return lint_project(loaded, wanted)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main, info = expectations(case)
    near_misses = passes(case)
    assert main or info or near_misses, f"{case.name} declares no `# expect:` or `# passes:`"
    result = lint_case(case, tmp_path, monkeypatch)
    got_main = {(Path(p.span.file).name, p.code, p.span.line)
                for p in result.problems if p.severity >= Severity.WARNING}
    got_info = {(Path(p.span.file).name, p.code, p.span.line)
                for p in result.problems if p.severity == Severity.INFO}
    details = "\n".join(f"{p.span} {p.code} {p.severity}: {p.message}" for p in result.problems)
    assert got_main == main, f"reported:\n{details}"
    assert info <= got_info, f"reported:\n{details}"
    wrongly = {p.code for p in result.problems} & near_misses
    assert not wrongly, f"{case.name} must pass {sorted(wrongly)}; reported:\n{details}"


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    """So that no rule can be switched off, or made to fire everywhere, unnoticed."""
    rules = set(all_rules())
    failing: set[str] = set()
    passing: set[str] = set()
    for case in CASES:
        main, info = expectations(case)
        failing |= {code for _file, code, _line in main | info}
        passing |= passes(case)
    assert failing <= rules, f"cases expect unknown rules: {sorted(failing - rules)}"
    assert passing <= rules, f"cases pass unknown rules: {sorted(passing - rules)}"
    assert not rules - failing, (
        f"rules without a failing case (`# expect: CODE LINE`): {sorted(rules - failing)}")
    assert not rules - passing, (
        f"rules without a passing case (`# passes: CODE`): {sorted(rules - passing)}")
