"""Publishing: bundles in, immutable revisions out; one of them active per project.

A bundle is loaded and linted with the same code as ``flowctl lint``: any error refuses it
(422, the problems in the ``lint --format json`` shape).  A bundle whose hash is the active
revision's is a no-op (200).  Otherwise the new revision is stored and made active in one
transaction (201).  Rollback makes an older revision active again without new content.
Running conversations stay on the revision they started on.
"""

from __future__ import annotations

from typing import Any

from flowctl.server.compiled import compile_files
from flowctl.server.errors import ApiError
from flowctl.server.runtime import Runtime
from flowctl.server.storage.records import Revision
from flowctl.server.turns import rfc3339


def _changes(old: dict[str, str], new: dict[str, str]) -> dict[str, list[str]]:
    return {"added": sorted(set(new) - set(old)),
            "changed": sorted(k for k in set(new) & set(old) if new[k] != old[k]),
            "removed": sorted(set(old) - set(new))}


def _revision_view(revision: Revision, *, files: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"revision": revision.number, "hash": revision.hash,
                            "flows": revision.flows, "message": revision.message,
                            "source": revision.source, "published_at": revision.published_at}
    if files:
        view["files"] = revision.files or {}
    return view


async def publish(runtime: Runtime, project: str, files: dict[str, str], message: str,
                  source: dict[str, Any], dry_run: bool) -> tuple[int, dict[str, Any]]:
    from flowctl import bundle
    from flowctl.report.json import to_dict

    try:
        loaded = bundle.load(files)
    except bundle.BundleError as error:
        raise ApiError(422, "invalid_bundle", str(error)) from None
    if not loaded.ok:
        raise ApiError(422, "lint_failed", "the bundle has lint errors; nothing was published",
                       lint=to_dict(loaded.lint))
    config = loaded.project.config
    if config is None or config.name != project:
        named = config.name if config is not None else None
        raise ApiError(422, "project_mismatch",
                       f"the bundle's flowctl.yaml is for project {named!r}, not {project!r}")
    digest = bundle.bundle_hash(files)
    async with runtime.storage.transaction() as tx:
        state = await tx.project(project)
        active = await tx.revision(project, state.active_revision) if state else None
        if active is not None and active.hash == digest:
            return 200, {"revision": active.number, "hash": active.hash, "unchanged": True,
                         "changes": _changes(active.flows, active.flows), "dry_run": dry_run}
        number = await tx.last_revision_number(project) + 1
        changes = _changes(active.flows if active else {}, loaded.flows)
        if dry_run:
            return 200, {"revision": number, "hash": digest, "changes": changes, "dry_run": True}
        at = rfc3339(runtime.now())
        revision = Revision(project, number, digest, loaded.flows, message, source, at, dict(files))
        await tx.add_revision(revision)
        await tx.activate(project, number, at)
    runtime.revisions.put(project, number, compile_files(dict(files)))
    return 201, {"revision": number, "hash": digest, "changes": changes, "dry_run": False}


async def project_info(runtime: Runtime, project: str) -> dict[str, Any]:
    async with runtime.storage.read() as tx:
        state = await tx.project(project)
        revision = await tx.revision(project, state.active_revision) if state else None
    if state is None or revision is None:
        raise ApiError(404, "not_found", f"nothing is published for project '{project}'")
    return {"project": project, "active_revision": revision.number, "hash": revision.hash,
            "flows": revision.flows, "published_at": revision.published_at,
            "activated_at": state.activated_at, "message": revision.message,
            "source": revision.source}


async def list_revisions(runtime: Runtime, project: str) -> dict[str, Any]:
    async with runtime.storage.read() as tx:
        state = await tx.project(project)
        revisions = await tx.revisions(project)
    return {"project": project, "active_revision": state.active_revision if state else None,
            "revisions": [_revision_view(r) for r in revisions]}


async def get_revision(runtime: Runtime, project: str, number: int) -> dict[str, Any]:
    async with runtime.storage.read() as tx:
        revision = await tx.revision(project, number, files=True)
    if revision is None:
        raise ApiError(404, "not_found", f"project '{project}' has no revision {number}")
    return _revision_view(revision, files=True)


async def rollback(runtime: Runtime, project: str, number: int) -> dict[str, Any]:
    async with runtime.storage.transaction() as tx:
        revision = await tx.revision(project, number)
        if revision is None:
            raise ApiError(409, "no_such_revision", f"project '{project}' has no revision {number}")
        await tx.activate(project, number, rfc3339(runtime.now()))
    return {"project": project, "active_revision": number, "hash": revision.hash}
