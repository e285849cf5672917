"""Find a project, discover its files and load everything into a :class:`Project`.

A project is the folder holding ``flowctl.yaml`` (found by walking up, like git), or the
folder given when there is none.  Problems are collected; only an unusable path raises.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flowctl.errors import ConfigError
from flowctl.loader.build_flow import build_flow
from flowctl.loader.build_project import build_config
from flowctl.loader.build_visitors import build_visitors
from flowctl.loader.files import (
    FLOW_SUFFIXES,
    PROJECT_FILE,
    SKIPPED_DIRS,
    UNREADABLE,
    VISITOR_SUFFIXES,
    canonical,
    discover,
    display_path,
    kind_by_content,
    kind_of,
    skipped_folder,
    unreadable,
)
from flowctl.loader.knowledge import article_files, load_articles
from flowctl.loader.schema_check import check_schema
from flowctl.loader.yaml_reader import YamlDocument, read_yaml_file
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem
from flowctl.model.project import Project, ProjectConfig
from flowctl.model.visitors import VisitorFile

__all__ = ["FLOW_SUFFIXES", "PROJECT_FILE", "SKIPPED_DIRS", "VISITOR_SUFFIXES", "discover",
           "display_path", "find_project_root", "kind_of", "load_project", "skipped_folder"]

CEILING_ENV = "FLOWCTL_CEILING_DIRECTORIES"


def _ceilings() -> set[Path]:
    """Folders the search for flowctl.yaml does not enter (like GIT_CEILING_DIRECTORIES)."""
    value = os.environ.get(CEILING_ENV, "")
    return {Path(item).resolve() for item in value.split(os.pathsep) if item}


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``flowctl.yaml``.

    The walk stops below any folder named in ``FLOWCTL_CEILING_DIRECTORIES``.
    """
    here = canonical(start)
    if not here.is_dir():
        here = here.parent
    ceilings = _ceilings()
    for folder in (here, *here.parents):
        if folder in ceilings:
            break
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


def read_document(path: Path, kind: str) -> YamlDocument:
    """Parse one file and check it against its schema; problems stay on the document."""
    doc = read_yaml_file(path, display_path(path))
    if doc.data is not None or not doc.problems:
        # a value refused by the reader (`!include`) is one problem, not also a schema one
        refused = {(p.span.line, p.span.column) for p in doc.problems if p.code == UNREADABLE}
        doc.problems.extend(p for p in check_schema(doc, kind)
                            if (p.span.line, p.span.column) not in refused)
    return doc


@dataclass
class LoadedFile:
    path: str
    text: str
    problems: list[Problem]
    model: Flow | VisitorFile | None


def load_file(path: Path, kind: str | None = None) -> LoadedFile:
    """Read, check and build one flow or visitors file (``kind`` by default from its name).

    A dangling link, a link loop, a FIFO or a device is a located problem, never read.
    """
    kind = kind or kind_of(path) or "flow"
    shown = display_path(path)
    problem = unreadable(path, shown)
    if problem is not None:
        return LoadedFile(shown, "", [problem], None)
    doc = read_document(path, kind)
    model: Flow | VisitorFile | None = None
    if doc.data is not None:
        model = build_flow(doc) if kind == "flow" else build_visitors(doc)
    return LoadedFile(doc.path, doc.text, doc.problems, model)


#: From this many files on, files are read in parallel (one process per core).
PARALLEL_FROM = 48


def _load_all(jobs: list[tuple[Path, str]]) -> list[LoadedFile]:
    paths, kinds = [path for path, _ in jobs], [kind for _, kind in jobs]
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_FROM or workers < 2:
        return [load_file(path, kind) for path, kind in jobs]
    import multiprocessing as mp  # imported here: most runs read a few files, one by one
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in mp.get_all_start_methods():
        return [load_file(path, kind) for path, kind in jobs]

    chunk = max(1, len(paths) // (workers * 4))
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            return list(pool.map(load_file, paths, kinds, chunksize=chunk))
    except (OSError, RuntimeError):  # no processes to be had here: read them one by one
        return [load_file(path, kind) for path, kind in jobs]


def named_kind(path: Path, knowledge: list[Path]) -> str:
    """The kind of a file named on the command line: by its name, else by its content.

    Raises :class:`ConfigError` for a file that is none of a project's files.
    """
    kind = kind_of(path)
    if kind is not None:
        return kind
    if path in knowledge:
        return "article"
    shown = display_path(path)
    if unreadable(path, shown) is not None:
        return "flow"  # reported as a located problem when loaded
    if path.suffix.lower() != ".md":
        kind = kind_by_content(read_yaml_file(path, shown).data)
        if kind is not None:
            return kind
    raise ConfigError(
        f"{shown}: not a flow, visitors or project file, nor a knowledge article",
        hint="a flow is a mapping with `flow:` and `blocks:` (named *.flow.yaml), a visitors "
             "file one with `visitors:` (*.visitors.yaml); articles live in the folder "
             "`ai.knowledge` names")


def load_project(paths: Iterable[Path] = (), *, cwd: Path | None = None,
                 require_flows: bool = True) -> tuple[Project, list[Path]]:
    """Load the project that holds ``paths`` (default: the working directory).

    Returns the project and the files the user asked about (every file of the project,
    knowledge articles included, when no path was given), so that callers can report on
    those while cross-file checks still see the whole project.  Without a single flow file
    (and ``require_flows``) it raises :class:`ConfigError`: an empty project is no pass.
    """
    cwd = cwd or Path.cwd()
    given = [Path(p) for p in paths]
    targets = given or [cwd]
    for target in targets:
        if not os.path.lexists(target):
            raise ConfigError(f"no such file or directory: {target}",
                              hint="give flow files, visitors files or folders")
    root_config = find_project_root(targets[0])
    root = root_config or (canonical(targets[0]) if targets[0].is_dir()
                           else canonical(targets[0]).parent)

    config: ProjectConfig | None = None
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    exclude: tuple[str, ...] = ()
    if root_config is not None:
        doc = read_document(root / PROJECT_FILE, "project")
        sources[doc.path] = doc.text
        problems.extend(doc.problems)
        if doc.data is not None:
            config = build_config(doc)
            exclude = config.lint.exclude

    knowledge = [canonical(p) for p in article_files(root, config)]
    kinds = {canonical(p): kind for p in discover(root, exclude)
             if (kind := kind_of(p)) in ("flow", "visitors")}
    requested: list[Path] = []
    for target in given:
        if target.is_dir():
            folder = canonical(target)
            requested.extend(canonical(p) for p in discover(target, exclude))
            requested.extend(p for p in knowledge if p.is_relative_to(folder))
            continue
        path = canonical(target)
        kind = named_kind(path, knowledge)
        if kind in ("flow", "visitors"):
            kinds.setdefault(path, kind)
        requested.append(path)
    if not given:
        requested = [*sorted(kinds), *knowledge]
        if root_config is not None:
            requested.append(root / PROJECT_FILE)
    if require_flows and "flow" not in kinds.values():
        raise ConfigError(f"no flows found under {display_path(root)}",
                          hint="a flow is a *.flow.yaml file; `flowctl init` creates a project "
                               "with one")

    flows: list[Flow] = []
    visitor_files: list[VisitorFile] = []
    for loaded in _load_all(sorted(kinds.items())):
        sources[loaded.path] = loaded.text
        problems.extend(loaded.problems)
        if isinstance(loaded.model, Flow):
            flows.append(loaded.model)
        elif isinstance(loaded.model, VisitorFile):
            visitor_files.append(loaded.model)

    articles, article_problems = load_articles(root, config)
    problems.extend(article_problems)
    project = Project(
        root=display_path(root),
        config=config,
        flows=tuple(flows),
        visitor_files=tuple(visitor_files),
        articles=tuple(articles),
        load_problems=tuple(problems),
        sources=sources,
    )
    return project, list(dict.fromkeys(requested))
