"""Find a project, discover its files and load everything into a :class:`Project`.

A project is the folder holding ``flowctl.yaml`` (found by walking up, like git), or the
folder given when there is none.  Problems are collected; only an unusable path raises.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flowctl.errors import ConfigError
from flowctl.loader.build_flow import build_flow
from flowctl.loader.build_project import build_config
from flowctl.loader.build_visitors import build_visitors
from flowctl.loader.knowledge import load_articles
from flowctl.loader.schema_check import check_schema
from flowctl.loader.yaml_reader import YamlDocument, read_yaml_file
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem
from flowctl.model.project import Project, ProjectConfig
from flowctl.model.visitors import VisitorFile

PROJECT_FILE = "flowctl.yaml"
FLOW_SUFFIXES = (".flow.yaml", ".flow.yml")
VISITOR_SUFFIXES = (".visitors.yaml", ".visitors.yml")
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})


def kind_of(path: Path) -> str | None:
    """``flow``, ``visitors`` or ``project`` by file name; ``None`` for other files."""
    name = path.name
    if name in (PROJECT_FILE, "flowctl.yml"):
        return "project"
    if name.endswith(FLOW_SUFFIXES):
        return "flow"
    if name.endswith(VISITOR_SUFFIXES):
        return "visitors"
    return None


CEILING_ENV = "FLOWCTL_CEILING_DIRECTORIES"


def _ceilings() -> set[Path]:
    """Folders the search for flowctl.yaml does not enter (like GIT_CEILING_DIRECTORIES)."""
    value = os.environ.get(CEILING_ENV, "")
    return {Path(item).resolve() for item in value.split(os.pathsep) if item}


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``flowctl.yaml``.

    The walk stops below any folder named in ``FLOWCTL_CEILING_DIRECTORIES``.
    """
    here = start.resolve()
    if here.is_file():
        here = here.parent
    ceilings = _ceilings()
    for folder in (here, *here.parents):
        if folder in ceilings:
            break
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(Path(path).resolve()) if relative.startswith("..") else relative


def skipped_folder(name: str) -> bool:
    """Folders a project search never enters: hidden ones and tool folders."""
    return name.startswith(".") or name in SKIPPED_DIRS


def discover(root: Path, exclude: Iterable[str] = ()) -> Iterator[Path]:
    """Flow, visitors and project files below ``root``, hidden and tool folders skipped."""
    patterns = tuple(exclude)
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not skipped_folder(d))
        for name in sorted(files):
            path = Path(folder, name)
            if kind_of(path) is None:
                continue
            relative = path.relative_to(root).as_posix()
            if any(fnmatch.fnmatch(relative, pattern) for pattern in patterns):
                continue
            yield path


def read_document(path: Path, kind: str) -> YamlDocument:
    """Parse one file and check it against its schema; problems stay on the document."""
    doc = read_yaml_file(path, display_path(path))
    if doc.data is not None or not doc.problems:
        doc.problems.extend(check_schema(doc, kind))
    return doc


@dataclass
class LoadedFile:
    path: str
    text: str
    problems: list[Problem]
    model: Flow | VisitorFile | None


def load_file(path: Path) -> LoadedFile:
    """Read, check and build one flow or visitors file."""
    kind = kind_of(path)
    doc = read_document(path, kind or "flow")
    model: Flow | VisitorFile | None = None
    if doc.data is not None:
        model = build_flow(doc) if kind == "flow" else build_visitors(doc)
    return LoadedFile(doc.path, doc.text, doc.problems, model)


#: From this many files on, files are read in parallel (one process per core).
PARALLEL_FROM = 48


def _load_all(paths: list[Path]) -> list[LoadedFile]:
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_FROM or workers < 2:
        return [load_file(path) for path in paths]
    import multiprocessing as mp  # imported here: most runs read a few files, one by one
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in mp.get_all_start_methods():
        return [load_file(path) for path in paths]

    chunk = max(1, len(paths) // (workers * 4))
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            return list(pool.map(load_file, paths, chunksize=chunk))
    except (OSError, RuntimeError):  # no processes to be had here: read them one by one
        return [load_file(path) for path in paths]


def load_project(paths: Iterable[Path] = (), *, cwd: Path | None = None) -> tuple[Project, list[Path]]:
    """Load the project that holds ``paths`` (default: the working directory).

    Returns the project and the files the user asked about (every file of the project
    when no path was given), so that callers can report on those only while cross-file
    checks still see the whole project.
    """
    cwd = cwd or Path.cwd()
    targets = [Path(p) for p in paths] or [cwd]
    for target in targets:
        if not target.exists():
            raise ConfigError(f"no such file or directory: {target}",
                              hint="give flow files, visitors files or folders")
    root_config = find_project_root(targets[0])
    root = root_config or (targets[0] if targets[0].is_dir() else targets[0].parent).resolve()

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

    project_files = [p for p in discover(root, exclude) if kind_of(p) != "project"]
    requested: list[Path] = []
    for target in [Path(p) for p in paths]:
        if target.is_dir():
            requested.extend(p.resolve() for p in discover(target, exclude))
        else:
            requested.append(target.resolve())
    if not paths:
        requested = [p.resolve() for p in project_files]
        if root_config is not None:
            requested.append((root / PROJECT_FILE).resolve())

    wanted = {p.resolve() for p in project_files} | {
        p for p in requested if kind_of(p) in ("flow", "visitors")
    }
    flows: list[Flow] = []
    visitor_files: list[VisitorFile] = []
    jobs = [path for path in sorted(wanted) if kind_of(path) in ("flow", "visitors")]
    for loaded in _load_all(jobs):
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
    return project, requested
