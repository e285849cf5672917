"""The two sides of a diff: flows at a git revision, in the working tree, or in files.

Revisions are read with ``git ls-tree`` and ``git show REV:path`` (no checkout, no temporary
files) and parsed from bytes by the loader's own functions, so a flow reads the same way at
any revision as it does on disk.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flowctl.errors import ConfigError
from flowctl.loader.build_flow import build_flow
from flowctl.loader.project import (
    SKIPPED_DIRS,
    discover,
    display_path,
    find_project_root,
    kind_of,
)
from flowctl.loader.yaml_reader import YamlDocument, parse_yaml_bytes, read_yaml_file
from flowctl.model.flow import Flow
from flowctl.model.problem import Severity

WORKING_TREE = "working tree"


@dataclass
class Side:
    """The flows of one side, what to call it, and notes on files that could not be read."""

    label: str
    flows: list[Flow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _build(doc: YamlDocument, side: Side) -> None:
    flow = build_flow(doc) if doc.data is not None else None
    if flow is None:
        problem = doc.problems[0].message if doc.problems else "not a mapping"
        side.notes.append(f"{doc.path} ({side.label}): skipped, cannot be read: {problem}")
        return
    side.flows.append(flow)
    from flowctl.loader.schema_check import check_schema

    errors = [p for p in [*doc.problems, *check_schema(doc, "flow")]
              if p.severity >= Severity.ERROR]
    if errors:
        first = errors[0]
        where = doc.path if side.label == doc.path else f"{doc.path} ({side.label})"
        side.notes.append(f"{where}: {len(errors)} error(s), what could not be "
                          f"read is left out of the diff; first: {first.span.line}:"
                          f"{first.span.column}: {first.message}")


# -- files ------------------------------------------------------------------------------


def flow_files(path: Path) -> list[Path]:
    """``path`` itself, or the flow files below a folder (hidden and tool folders skipped)."""
    if not path.exists():
        raise ConfigError(f"no such file or directory: {path}",
                          hint="give two flow files or folders, or git revisions")
    if path.is_dir():
        return [p for p in discover(path) if kind_of(p) == "flow"]
    return [path]


def read_files(path: Path, label: str | None = None) -> Side:
    side = Side(label or display_path(path))
    for file in flow_files(path):
        _build(read_yaml_file(file, display_path(file)), side)
    return side


def project_dir(cwd: Path | None = None) -> Path:
    """The project a diff is about: the folder of ``flowctl.yaml`` above ``cwd``, else ``cwd``."""
    here = (cwd or Path.cwd()).resolve()
    return find_project_root(here) or here


def read_working_tree(project: Path) -> Side:
    return read_files(project, WORKING_TREE)


# -- git --------------------------------------------------------------------------------


def git(args: list[str], cwd: Path) -> bytes:
    """Run git; its failure is a :class:`ConfigError` with git's own message."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise ConfigError("git is not installed (flowctl diff reads revisions with git)",
                          hint="install git, or compare two files: flowctl diff OLD NEW") from None
    except OSError as exc:
        raise ConfigError(f"cannot run git: {exc.strerror}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def repository_root(path: Path) -> Path:
    try:
        out = git(["rev-parse", "--show-toplevel"], path)
    except ConfigError as error:
        if "not a git repository" in error.message.lower():
            raise ConfigError(
                f"not a git repository: {display_path(path)}",
                hint="run flowctl diff inside a git repository, or compare two files: "
                     "flowctl diff OLD NEW",
            ) from None
        raise
    return Path(out.decode("utf-8").strip()).resolve()


def resolve_revision(top: Path, revision: str) -> str:
    """The commit id of ``revision``; an unknown revision is a clear error."""
    if revision.startswith("-"):
        raise ConfigError(f"not a revision: {revision}")
    try:
        out = git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"],
                  top)
    except ConfigError:
        out = b""
    commit = out.decode("utf-8").strip()
    if not commit:
        raise ConfigError(f"unknown revision: {revision}",
                          hint="give a branch, tag or commit of this repository "
                               "(in CI, fetch the history: actions/checkout with fetch-depth: 0)")
    return commit


def _skipped(relative: str) -> bool:
    folders = PurePosixPath(relative).parts[:-1]
    return any(part.startswith(".") or part in SKIPPED_DIRS for part in folders)


def read_revision(top: Path, revision: str, project: Path) -> Side:
    """The flows below ``project`` as they were at ``revision`` of the repository at ``top``."""
    commit = resolve_revision(top, revision)
    side = Side(revision)
    try:
        prefix = project.resolve().relative_to(top).as_posix()
    except ValueError:
        raise ConfigError(f"{display_path(project)} is not inside the git repository "
                          f"{display_path(top)}") from None
    listing = git(["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, "--",
                   prefix if prefix != "." else "."], top)
    names = [name for name in listing.decode("utf-8", "replace").split("\0") if name]
    for name in sorted(names):
        inside = name[len(prefix) + 1:] if prefix != "." else name
        if kind_of(Path(name)) != "flow" or _skipped(inside):
            continue
        raw = git(["show", f"{commit}:{name}"], top)
        _build(parse_yaml_bytes(raw, display_path(top / name)), side)
    return side


# -- what the arguments mean --------------------------------------------------------------


@dataclass
class Sides:
    before: Side
    after: Side


def load_sides(base: str | None, head: str | None, cwd: Path | None = None) -> Sides:
    """``[BASE [HEAD]]``: revisions (default: ``HEAD`` against the working tree), or two paths.

    Two arguments that both exist on disk are files or folders compared directly.
    """
    cwd = cwd or Path.cwd()
    if base is not None and head is not None:
        a, b = cwd / base, cwd / head
        if a.exists() and b.exists():
            return Sides(read_files(a, base), read_files(b, head))
    project = project_dir(cwd)
    top = repository_root(project)
    before = read_revision(top, base or "HEAD", project)
    if head is None:
        after = read_working_tree(project)
    else:
        after = read_revision(top, head, project)
    return Sides(before, after)

