"""The knowledge folder stays inside the project, and what cannot be read in it is a
located problem (issue 10, items 9 and 12).  The folder's own cases (``../``, ``/``) are
lint cases: tests/cases/lint/cases/S006-knowledge-*."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowctl.loader.project import load_project

ARTICLE = "---\ntitle: Opening hours\ncollection: help\n---\nWe open at nine.\n"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "knowledge" / "locked").mkdir(parents=True)
    (project / "flowctl.yaml").write_text(
        "project: p\ntimezone: Europe/Berlin\nai:\n  knowledge: knowledge/\n", encoding="utf-8")
    (project / "hello.flow.yaml").write_text(
        "flow: hello\nblocks:\n  - {id: e, type: end}\n", encoding="utf-8")
    (project / "knowledge" / "hours.md").write_text(ARTICLE, encoding="utf-8")
    (project / "knowledge" / "locked" / "hidden.md").write_text(ARTICLE, encoding="utf-8")
    return project


def test_an_unreadable_folder_is_a_problem_at_ai_knowledge(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str] = ".") -> object:  # root reads anything: pretend
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(project)
    loaded, _ = load_project([])
    problems = [p for p in loaded.load_problems if p.code == "S006"]
    assert [(Path(p.span.file).name, p.span.line, p.span.column) for p in problems] == [
        ("flowctl.yaml", 4, 14)]
    assert "knowledge/locked" in problems[0].message
    assert "Permission denied" in problems[0].message
    assert [a.title for a in loaded.articles] == ["Opening hours"]


def test_an_article_linked_from_outside_the_project_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    (tmp_path / "private.md").write_text(ARTICLE.replace("nine", "the safe code 1234"),
                                         encoding="utf-8")
    (project / "knowledge" / "leak.md").symlink_to(tmp_path / "private.md")
    monkeypatch.chdir(project)
    loaded, _ = load_project([])
    problems = [p for p in loaded.load_problems if p.code == "S006"]
    assert [Path(p.span.file).name for p in problems] == ["leak.md"]
    assert "outside the project" in problems[0].message
    assert all("1234" not in a.body for a in loaded.articles)
