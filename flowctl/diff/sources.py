"""The two sides of a diff: flows at a git revision, in the working tree, or in files.

Revisions are read with ``git ls-tree`` and one ``git cat-file --batch`` (no checkout, no
temporary files) and parsed from bytes by the loader's own functions, so a flow reads the
same way at any revision as it does on disk.  The working tree is what git would see: files
git ignores are left out.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flowctl.errors import ConfigError
from flowctl.loader.build_flow import build_flow
from flowctl.loader.project import (
    discover,
    display_path,
    find_project_root,
    kind_of,
    skipped_folder,
)
from flowctl.loader.yaml_reader import YamlDocument, parse_yaml_bytes, read_yaml_file
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem, Severity
from flowctl.model.span import SourceSpan

WORKING_TREE = "working tree"


@dataclass
class Side:
    """The flows of one side and what to call it.  ``unreadable`` are files that hold no flow
    (YAML errors, no ``flow:`` id): their flows are neither added nor removed.  ``root`` is
    what file names are relative to when two folders are compared."""

    label: str
    flows: list[Flow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)
    root: str = ""

    def relative(self, file: str) -> str:
        if self.root and file.startswith(self.root.rstrip("/") + "/"):
            return file[len(self.root.rstrip("/")) + 1:]
        return file


def _build(doc: YamlDocument, side: Side) -> None:
    flow = build_flow(doc) if doc.data is not None else None
    errors = [p for p in doc.problems if p.severity >= Severity.ERROR]
    if flow is None or not flow.id:
        side.unreadable.add(doc.path)
        if not errors:
            errors = [Problem("holds no flow: a flow file is a mapping with a `flow:` id",
                              SourceSpan(doc.path, 1, 1))]
        side.problems.append(errors[0])
        return
    side.flows.append(flow)
    from flowctl.loader.schema_check import check_schema

    invalid = [*errors, *(p for p in check_schema(doc, "flow") if p.severity >= Severity.ERROR)]
    if invalid:
        first = invalid[0]
        more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
        side.problems.append(Problem(
            f"{first.message}{more}; what could not be read is left out of the diff",
            first.span, severity=Severity.WARNING))


# -- files ------------------------------------------------------------------------------


def flow_files(path: Path) -> list[Path]:
    """``path`` itself, or the flow files below a folder (hidden and tool folders skipped)."""
    if not path.exists():
        raise ConfigError(f"no such file or directory: {path}",
                          hint="give two flow files or folders, or git revisions")
    if path.is_dir():
        return [p for p in discover(path) if kind_of(p) == "flow"]
    return [path]


def read_files(path: Path, label: str | None = None, files: list[Path] | None = None) -> Side:
    root = display_path(path if path.is_dir() else path.parent)
    side = Side(label or display_path(path), root="" if root == "." else root)
    for file in files if files is not None else flow_files(path):
        _build(read_yaml_file(file, display_path(file)), side)
    return side


def project_dir(cwd: Path | None = None) -> Path:
    """The project a diff is about: the folder of ``flowctl.yaml`` above ``cwd``, else ``cwd``."""
    here = (cwd or Path.cwd()).resolve()
    return find_project_root(here) or here


def read_working_tree(top: Path, project: Path) -> Side:
    """The flow files below ``project`` that git tracks or would track (not ignored ones)."""
    listing = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
                  project)
    files = [project / name for name in sorted(set(listing.decode("utf-8", "replace").split("\0")))
             if name and kind_of(Path(name)) == "flow" and not _skipped(name)
             and (project / name).is_file()]
    return read_files(project, WORKING_TREE, files)


# -- git --------------------------------------------------------------------------------


def git(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    """Run git; its failure is a :class:`ConfigError` with git's own message."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True,
                              check=False)
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


def commit_of(top: Path, revision: str) -> str | None:
    """The commit id of ``revision``, or None when there is no such commit."""
    if revision.startswith("-"):
        return None
    try:
        out = git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"],
                  top)
    except ConfigError:
        return None
    return out.decode("utf-8").strip() or None


def resolve_revision(top: Path, revision: str) -> str:
    """The commit id of ``revision``; an unknown revision is a clear error."""
    commit = commit_of(top, revision)
    if commit is None:
        raise ConfigError(f"unknown revision: {revision}",
                          hint="give a branch, tag or commit of this repository, or a flow file "
                               "or folder (in CI, fetch the history: actions/checkout with "
                               "fetch-depth: 0)")
    return commit


def _skipped(relative: str) -> bool:
    folders = PurePosixPath(relative).parts[:-1]
    return any(skipped_folder(part) for part in folders)


def _cat_files(top: Path, commit: str, names: list[str]) -> list[bytes]:
    """The contents of ``names`` at ``commit``, in one ``git cat-file --batch``."""
    if not names:
        return []
    out = git(["cat-file", "--batch"], top,
              stdin="".join(f"{commit}:{name}\n" for name in names).encode("utf-8"))
    contents, position = [], 0
    for _ in names:
        header_end = out.index(b"\n", position)
        header = out[position:header_end].split()
        size = int(header[2]) if len(header) == 3 else 0
        contents.append(out[header_end + 1: header_end + 1 + size])
        position = header_end + 1 + size + 1
    return contents


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
    names = []
    for name in sorted(n for n in listing.decode("utf-8", "replace").split("\0") if n):
        inside = name[len(prefix) + 1:] if prefix != "." else name
        if kind_of(Path(name)) == "flow" and not _skipped(inside):
            names.append(name)
    for name, raw in zip(names, _cat_files(top, commit, names), strict=True):
        _build(parse_yaml_bytes(raw, display_path(top / name)), side)
    return side


# -- what the arguments mean --------------------------------------------------------------


@dataclass
class Sides:
    before: Side
    after: Side


def _looks_like_path(argument: str) -> bool:
    return "/" in argument or argument.endswith((".yaml", ".yml")) or argument in (".", "..")


def _only(side: Side, inside: Path) -> Side:
    """``side`` narrowed to the flows in the file or folder ``inside``."""
    wanted = display_path(inside)
    prefix = "" if wanted == "." else wanted.rstrip("/") + "/"

    def keep(file: str) -> bool:
        return file == wanted or file.startswith(prefix)

    side.flows = [flow for flow in side.flows if keep(flow.file)]
    side.problems = [p for p in side.problems if keep(p.span.file)]
    side.unreadable = {file for file in side.unreadable if keep(file)}
    return side


def load_sides(base: str | None, head: str | None, cwd: Path | None = None) -> Sides:
    """``[BASE [HEAD]]``: revisions (default: ``HEAD`` against the working tree), two paths,
    or one path (that file or folder at ``HEAD`` against the working tree).

    In a repository without commits the base is empty: every flow is new.
    """
    cwd = cwd or Path.cwd()
    if base is not None and head is not None:
        a, b = cwd / base, cwd / head
        if a.exists() and b.exists():
            return Sides(read_files(a, base), read_files(b, head))
        for argument, path in ((base, a), (head, b)):
            if not path.exists() and _looks_like_path(argument):
                raise ConfigError(f"no such file or directory: {argument}",
                                  hint="give two flow files or folders, or two git revisions")
    project = project_dir(cwd)
    top = repository_root(project)
    inside: Path | None = None
    if base is not None and head is None and (cwd / base).exists() and commit_of(top, base) is None:
        inside, base = cwd / base, None
    if base is None and commit_of(top, "HEAD") is None:
        before = Side("(no commits yet)")
    else:
        before = read_revision(top, base or "HEAD", project)
    after = read_working_tree(top, project) if head is None else read_revision(top, head, project)
    if inside is not None:
        before, after = _only(before, inside), _only(after, inside)
    return Sides(before, after)
