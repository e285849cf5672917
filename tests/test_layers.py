"""The package's layering and its lack of import cycles (issue 8, item 6).

The contracts are in pyproject.toml ([tool.importlinter]); ``make check`` runs them with
``lint-imports`` and this test runs the same command, so that ``make test`` (and so CI) fails
on an import that breaks them, printing import-linter's report: which module imports which,
on what line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "flowctl"


def _lint_imports() -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [
        sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]
    # Wide lines: rich would otherwise wrap the report at 80 columns.
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([*command, "--no-cache", "--no-logo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def _contracts() -> list[dict]:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["tool"]["importlinter"]["contracts"]


def _where(module: str) -> str:
    path = Path(*module.split("."))
    return str(path / "__init__.py" if (ROOT / path).is_dir() else path.with_suffix(".py"))


def _cycles(limit: int = 20) -> str:
    """Where the imports that import-linter would remove to break each cycle are: file, line
    and text (its own report of an acyclic_siblings contract names the modules only)."""
    graph = grimp.build_graph("flowctl", cache_dir=None)
    for contract in _contracts():
        if contract["type"] == "acyclic_siblings":
            for expression in contract.get("ignore_imports", []):
                importer, imported = (part.strip() for part in expression.split("->"))
                if graph.direct_import_exists(importer=importer, imported=imported):
                    graph.remove_import(importer=importer, imported=imported)
    lines = []
    # Not flowctl itself: a cycle between its top-level modules breaks the layers contract too,
    # whose report names the import that goes the wrong way.
    packages = sorted(graph.find_children("flowctl"))
    while packages:
        package = packages.pop(0)
        children = graph.find_children(package)
        packages.extend(sorted(children))
        if len(children) < 2:
            continue
        for importer, imported in sorted(graph.nominate_cycle_breakers(package)):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"{_where(importer)}:{detail['line_number']}: "
                             f"{detail['line_contents']}  (in the cycles of {package})")
    more = f"\n(and {len(lines) - limit} more)" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def test_import_contracts_are_kept() -> None:
    run = _lint_imports()
    report = run.stdout + run.stderr
    if run.returncode != 0:
        broken = report[report.find("Broken contracts"):] if "Broken contracts" in report else report
        cycles = _cycles()
        pytest.fail("an import breaks the layering in pyproject.toml [tool.importlinter] "
                    "(`make check` runs the same contracts):\n\n" + broken
                    + (f"\nThe imports to remove to break each cycle:\n{cycles}\n" if cycles else ""),
                    pytrace=False)
    if "\nWarnings\n" in report:  # e.g. an ignored import that no longer exists: remove it
        warnings.warn("lint-imports: " + report[report.find("\nWarnings\n"):], stacklevel=1)


def test_every_folder_of_code_is_a_package() -> None:
    """A folder of modules without ``__init__.py`` is a namespace package, which import-linter
    does not see at all: its imports would escape every contract."""
    missing = sorted(str(folder.relative_to(ROOT)) for folder in PACKAGE.rglob("*")
                     if folder.is_dir() and folder.name != "__pycache__"
                     and any(folder.glob("*.py")) and not (folder / "__init__.py").exists())
    assert not missing, f"add an __init__.py to: {', '.join(missing)}"


def test_the_root_package_imports_nothing_of_flowctl() -> None:
    """flowctl/__init__.py is below every layer (anything may read ``__version__``), so it must
    import none of them."""
    graph = grimp.build_graph("flowctl", cache_dir=None)
    assert not graph.find_modules_directly_imported_by("flowctl")
