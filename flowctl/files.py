"""Writing output files: every file flowctl writes goes through :func:`write_output`.

The data goes to a temporary file in the target's folder, which is then renamed over the
target, so a failure half-way (a full disk, ``ulimit -f``, an interrupt) leaves the previous
file as it was, never a truncated one.  A target that is not a regular file (``/dev/null``,
``/dev/full``, a FIFO) cannot be renamed over: it is written directly.  Every failure is a
:class:`~flowctl.errors.ConfigError` naming the file, never an ``OSError`` traceback.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from flowctl.errors import ConfigError


def output_path(name: str | os.PathLike[str], option: str = "-o") -> Path:
    """The path given to an output option; an empty one is an error, not the current folder."""
    if not os.fspath(name).strip():
        raise ConfigError(f"{option}: the output path is empty",
                          hint="give a file name, or leave the option out")
    return Path(name)


def write_output(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text is UTF-8) to ``path``, creating its folders; returns the path."""
    target = output_path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if target.is_symlink():  # write through the link: the link itself stays
            target = target.resolve()
        if target.is_dir():
            raise ConfigError(f"cannot write {path}: it is a folder",
                              hint="give a file name")
        if target.exists() and not target.is_file():  # a device or a FIFO: no rename
            with open(target, "wb") as out:
                out.write(payload)
            return target
        _make_folder(target.parent)
        _replace(target, payload)
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror or error}",
                          hint=_hint(error)) from None
    return target


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next(p for p in (folder, *folder.parents) if p.exists())
        raise ConfigError(f"cannot create the folder {folder}: {blocking} is a file") from None


def _replace(target: Path, payload: bytes) -> None:
    """Write into a temporary file next to ``target`` and rename it into place."""
    mode = _mode(target)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _mode(target: Path) -> int:
    """The permissions of the file replaced, or those a new file gets under the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _hint(error: OSError) -> str | None:
    import errno

    if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "free some space (the previous file, if any, was left as it was)"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "choose a folder you can write to"
    return None
