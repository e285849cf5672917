"""Which files make up a project, and what kind each one is.

Found files are known by their own name (``*.flow.yaml``, ``*.visitors.yaml``,
``flowctl.yaml``; a symbolic link by the link's name, not its target's).  A file named on
the command line whatever its name is known by its content: a mapping with ``flow:`` and
``blocks:`` is a flow, one with ``visitors:`` a visitors file.  Before anything is read, an
entry that cannot be read as a file (a dangling link, a link loop, a FIFO, a device) is
turned into a located problem, so that nothing blocks or crashes on it.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from flowctl.model.problem import Problem, Severity
from flowctl.model.span import SourceSpan

PROJECT_FILE = "flowctl.yaml"
FLOW_SUFFIXES = (".flow.yaml", ".flow.yml")
VISITOR_SUFFIXES = (".visitors.yaml", ".visitors.yml")
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
UNREADABLE = "S004"  # the loader's code for a file it cannot read


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


def kind_by_content(data: object) -> str | None:
    """The kind of a parsed file whose name does not tell: flow, visitors or ``None``."""
    if isinstance(data, dict):
        if "flow" in data and "blocks" in data:
            return "flow"
        if "visitors" in data:
            return "visitors"
    return None


def canonical(path: Path) -> Path:
    """``path`` made absolute with its folder resolved but its own name kept.

    A symbolic link stays itself (its kind comes from its name, and a loop does not
    raise); the same file reached through different folder spellings is one path.
    """
    absolute = Path(os.path.abspath(path))
    return absolute.parent.resolve() / absolute.name


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(canonical(Path(path))) if relative.startswith("..") else relative


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


_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISDIR, "a folder"))


def unreadable(path: Path, shown: str) -> Problem | None:
    """A located problem when ``path`` is no regular file to read, else ``None``.

    A dangling symbolic link or a link loop is an error; a FIFO, device or socket is
    skipped with a warning (reading one could block forever).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if os.path.islink(path):
            if exc.errno == errno.ELOOP:
                message = "symbolic link loop: the link leads back to itself"
            else:
                message = f"dangling symbolic link: its target '{os.readlink(path)}' does not exist"
            return Problem(message, SourceSpan(shown), code=UNREADABLE,
                           hint="point the link at an existing file, or remove it")
        return Problem(f"cannot read file: {exc.strerror}", SourceSpan(shown), code=UNREADABLE)
    if stat.S_ISREG(mode):
        return None
    what = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
    return Problem(f"{what}, not a file: skipped", SourceSpan(shown),
                   severity=Severity.WARNING, hint="only regular files are read")
