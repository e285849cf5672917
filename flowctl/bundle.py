"""A publish bundle: the files of a project that the runtime needs, as text, and their hashes.

``{"flowctl.yaml": "...", "flows/a.flow.yaml": "...", "knowledge/x.md": "..."}``: paths are
relative to the project root, with ``/``.  Visitors files stay home (they test the flows; the
runtime does not run them).  The bundle's hash is the SHA-256 of its canonical JSON, so the
same files always give the same revision hash; a flow's hash is that of its file's text, so
``flowctl status`` can say which local flows differ from the deployed ones.

:func:`collect` reads a local project (the client); :func:`load` checks and loads a bundle
received over HTTP (the server) with the same loader and lint as ``flowctl lint``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowctl.lint.runner import LintResult
    from flowctl.model.project import Project

#: The largest bundle the server takes (all files' text, in UTF-8 bytes).
MAX_BUNDLE_BYTES = 16 * 1024 * 1024
#: Most files in a bundle.
MAX_BUNDLE_FILES = 5_000


class BundleError(ValueError):
    """A bundle that cannot be a project (bad paths, wrong kinds of files, too large)."""


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def bundle_hash(files: Mapping[str, str]) -> str:
    """The revision hash: SHA-256 of the files as canonical JSON."""
    canonical = json.dumps(dict(sorted(files.items())), ensure_ascii=False, separators=(",", ":"))
    return digest(canonical)


def flow_hashes(project: Project, files: Mapping[str, str], root: str) -> dict[str, str]:
    """``{flow id: hash of its file's text}`` for the flows of a project loaded from ``root``."""
    out: dict[str, str] = {}
    for flow in project.flows:
        name = relative(flow.file, root)
        if name in files:
            out[flow.id] = digest(files[name])
    return dict(sorted(out.items()))


def relative(path: str, root: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def check_paths(files: Mapping[str, Any]) -> None:
    """Raise :class:`BundleError` unless every path is a safe relative path of a kind the
    runtime reads, every value text, and the whole within the limits."""
    if "flowctl.yaml" not in files:
        raise BundleError("the bundle has no flowctl.yaml")
    if len(files) > MAX_BUNDLE_FILES:
        raise BundleError(f"the bundle has {len(files)} files (at most {MAX_BUNDLE_FILES})")
    size = 0
    for name, text in files.items():
        if not isinstance(text, str):
            raise BundleError(f"{name}: the file's content must be text")
        path = PurePosixPath(name)
        if (not name or name.startswith("/") or "\\" in name or "\x00" in name
                or any(part in ("", ".", "..") for part in name.split("/"))
                or path.is_absolute()):
            raise BundleError(f"{name!r}: not a relative path inside the project")
        if not (name == "flowctl.yaml" or name.endswith((".flow.yaml", ".md"))):
            raise BundleError(f"{name}: a bundle holds flowctl.yaml, *.flow.yaml and knowledge "
                              "articles (*.md) only")
        size += len(text.encode("utf-8"))
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(f"the bundle has {size:,} bytes (at most {MAX_BUNDLE_BYTES:,})")


def collect(project: Project) -> dict[str, str]:
    """The bundle of a loaded local project: flowctl.yaml, its flows and knowledge articles."""
    root = Path(project.root)
    knowledge = (project.config.knowledge_dir if project.config and project.config.knowledge_dir
                 else "knowledge")
    files: dict[str, str] = {}
    if (root / "flowctl.yaml").is_file():
        files["flowctl.yaml"] = (root / "flowctl.yaml").read_text(encoding="utf-8")
    for flow in project.flows:
        name = relative(flow.file, str(root))
        files[name] = project.sources.get(flow.file) or (root / name).read_text(encoding="utf-8")
    folder = root / knowledge
    if folder.is_dir():
        for article in sorted(folder.rglob("*.md")):
            if article.is_file() and not article.is_symlink():
                files[article.relative_to(root).as_posix()] = article.read_text(encoding="utf-8")
    return dict(sorted(files.items()))


@dataclass(frozen=True)
class LoadedBundle:
    """A bundle loaded and linted: the project, the lint result (paths as in the bundle)."""

    project: Project
    lint: LintResult
    flows: dict[str, str]

    @property
    def ok(self) -> bool:
        from flowctl.model.problem import Severity

        return not any(p.severity >= Severity.ERROR for p in self.lint.problems)


def load(files: Mapping[str, str]) -> LoadedBundle:
    """Check, load and lint a bundle exactly as ``flowctl lint`` would the same files.

    Raises :class:`BundleError` for a bundle that is not a project at all.
    """
    from flowctl.lint.runner import LintResult, lint_project
    from flowctl.loader.project import load_project

    check_paths(files)
    with tempfile.TemporaryDirectory(prefix="flowctl-bundle-") as folder:
        root = Path(folder).resolve()
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        project, _ = load_project([root], cwd=root, require_flows=False)
        result = lint_project(project, list(project.sources))
        prefix = str(root) + "/"

        def local(name: str) -> str:
            return name[len(prefix):] if name.startswith(prefix) else name

        problems = [replace(p, span=p.span._replace(file=local(p.span.file))) for p in result.problems]
        sources = {local(k): v for k, v in project.sources.items()}
        lint = LintResult(problems, sorted(local(f) for f in result.files), sources)
        flows = flow_hashes(project, files, str(root))
    return LoadedBundle(project, lint, flows)
