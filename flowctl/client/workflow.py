"""What ``flowctl publish``, ``status``, ``revisions`` and ``rollback`` do, each as one
function that returns a typed outcome (the commands print it and choose the exit code).

``publish`` also tells a :class:`PublishReporter` what happens as it happens: the gates, then
the plan (before anything is published), then the published revision.

The remote part runs on a :class:`RuntimeClient` under ``asyncio.run``.  ``_transport_factory``
replaces the network from Python only (tests set it to the app behind
``httpx.ASGITransport``); no flag or variable reaches it.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from flowctl.client.errors import ClientError, LintProblem
from flowctl.client.gates import LintGate, SimulateGate, lint_gate, simulate_gate
from flowctl.client.http import RuntimeClient
from flowctl.client.records import (
    ProjectStatus,
    PublishPlan,
    PublishResult,
    Revisions,
    RollbackResult,
)
from flowctl.client.targets import Target, local_data_dirs, resolve_target
from flowctl.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from flowctl.model.project import Project

T = TypeVar("T")

#: Makes the transport of each command's client (tests only; None: the network).
_transport_factory: Callable[[], httpx.AsyncBaseTransport] | None = None


# -- the local project ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalProject:
    """A project on disk: loaded, its name (flowctl.yaml ``project``) and its root folder."""

    project: Project
    name: str
    root: Path

    def bundle(self) -> dict[str, str]:
        """The files a publish sends (checked as the server will check them)."""
        from flowctl import bundle

        files = bundle.collect(self.project)
        try:
            bundle.check_paths(files)
        except bundle.BundleError as error:
            raise ConfigError(f"cannot publish this project: {error}") from None
        return files

    def flow_hashes(self, files: Mapping[str, str]) -> dict[str, str]:
        from flowctl import bundle

        return bundle.flow_hashes(self.project, files, self.project.root)

    def display(self, name: str) -> str:
        """A bundle path (relative to the root) as the user reads it (relative to the cwd)."""
        from flowctl.loader.project import display_path

        return display_path(self.root / name)


def load_local(path: Path | None) -> LocalProject:
    """The project holding ``path`` (default: the working directory); it needs a flowctl.yaml
    that names the project."""
    from flowctl.loader.project import load_project

    project, _ = load_project([path] if path is not None else [], require_flows=False)
    if project.config is None:
        where = path if path is not None else Path(".")
        raise ConfigError(f"no flowctl.yaml found at or above {where}",
                          hint="publishing needs a project: give its folder, or create one "
                          "with `flowctl init`")
    if not project.config.name:
        raise ConfigError(f"{project.config.file}: no `project:` name",
                          hint="the runtime keeps revisions per project name: add "
                          "`project: <name>`")
    return LocalProject(project, project.config.name, Path(project.root))


def target_for(local: LocalProject | None, choice: str | None,
               env: Mapping[str, str] | None = None) -> Target:
    """The target ``--target choice`` means for this project (see flowctl/client/targets.py)."""
    config = local.project.config if local is not None else None
    root = local.root if local is not None else None
    return resolve_target(config, choice, env=env, data_dirs=local_data_dirs(root, env))


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def git_source(root: Path) -> dict[str, str]:
    """``{"commit": <HEAD>}`` inside a git repository with a commit, else ``{}``."""
    commit = _git(root, "rev-parse", "HEAD")
    return {"commit": commit} if commit else {}


def git_subject(root: Path) -> str:
    """The subject of HEAD's commit message ('' outside a repository)."""
    return _git(root, "log", "-1", "--format=%s") or ""


# -- running the remote part ----------------------------------------------------------------------


def _client(target: Target) -> RuntimeClient:
    transport = _transport_factory() if _transport_factory is not None else None
    return RuntimeClient(target.url, target.token, transport=transport)


def _explained(error: ClientError, target: Target) -> ClientError:
    if error.status == 401 and target.token:
        return error.with_hint(f"the token came from {target.token_source}: check it against "
                               "the server's admin token (FLOWCTL_ADMIN_TOKEN, or "
                               ".flowctl/admin-token where it runs)")
    return error


def _run(target: Target, work: Callable[[RuntimeClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with _client(target) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except ClientError as error:
        raise _explained(error, target) from None


# -- publish --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishOptions:
    path: Path | None = None
    target: str | None = None
    dry_run: bool = False
    tests: bool = True
    message: str | None = None  # None: the subject of the HEAD commit


@dataclass(frozen=True)
class PublishOutcome:
    """How a publish ended.  ``failed``: None, ``lint`` or ``simulate`` (a local gate), or
    ``server_lint`` (the runtime's lint refused the bundle: ``problems``)."""

    project: str
    target: Target
    dry_run: bool
    lint: LintGate | None = None
    simulate: SimulateGate | None = None
    plan: PublishPlan | None = None
    result: PublishResult | None = None
    problems: tuple[LintProblem, ...] = ()
    failed: str | None = None
    source: Mapping[str, Any] | None = None


class PublishReporter(Protocol):
    """Told what happens, as it happens (a text reporter prints each step; a JSON one prints
    the outcome at the end)."""

    def lint(self, gate: LintGate) -> None: ...

    def simulate(self, gate: SimulateGate | None) -> None: ...  # None: skipped (--no-tests)

    def plan(self, target: Target, project: str, plan: PublishPlan, dry_run: bool) -> None: ...

    def published(self, result: PublishResult) -> None: ...

    def refused(self, problems: Sequence[LintProblem], sources: Mapping[str, str]) -> None: ...

    def done(self, outcome: PublishOutcome) -> None: ...


def publish(options: PublishOptions, reporter: PublishReporter) -> PublishOutcome:
    """Gates, bundle, plan (a dry run on the server), then the publish itself.

    Raises :class:`ConfigError` (usage) and :class:`ClientError` (transport, token, server)
    for the command to print (exit 2); a gate or the server's lint failing is an outcome.
    """
    local = load_local(options.path)
    target = target_for(local, options.target)
    outcome = PublishOutcome(local.name, target, options.dry_run)

    gate = lint_gate(local.project)
    outcome = replace(outcome, lint=gate)
    reporter.lint(gate)
    if not gate.passed:
        return _done(reporter, replace(outcome, failed="lint"))
    tests = simulate_gate(local.project) if options.tests else None
    outcome = replace(outcome, simulate=tests)
    reporter.simulate(tests)
    if tests is not None and not tests.passed:
        return _done(reporter, replace(outcome, failed="simulate"))

    files = local.bundle()
    source = git_source(local.root)
    message = options.message if options.message is not None else git_subject(local.root)
    outcome = replace(outcome, source=source)

    async def work(client: RuntimeClient) -> tuple[PublishPlan, PublishResult | None]:
        plan = await client.plan(local.name, files, message=message, source=source)
        reporter.plan(target, local.name, plan, options.dry_run)
        if options.dry_run or plan.unchanged:
            return plan, None
        result = await client.publish(local.name, files, message=message, source=source)
        reporter.published(result)
        return plan, result

    try:
        plan, result = _run(target, work)
    except ClientError as error:
        if not error.refused:
            raise
        problems = tuple(replace(p, file=local.display(p.file)) for p in error.problems)
        reporter.refused(problems, local.project.sources)
        return _done(reporter, replace(outcome, problems=problems, failed="server_lint"))
    return _done(reporter, replace(outcome, plan=plan, result=result))


def _done(reporter: PublishReporter, outcome: PublishOutcome) -> PublishOutcome:
    reporter.done(outcome)
    return outcome


# -- status ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """How the local flows differ from the deployed ones (by content hash).  ``other_files``:
    the bundles differ but no flow does (flowctl.yaml or the knowledge articles)."""

    changed: tuple[str, ...] = ()
    only_local: tuple[str, ...] = ()
    only_deployed: tuple[str, ...] = ()
    other_files: bool = False

    @property
    def flows(self) -> bool:
        return bool(self.changed or self.only_local or self.only_deployed)

    def to_json(self) -> dict[str, Any]:
        return {"changed": list(self.changed), "only_local": list(self.only_local),
                "only_deployed": list(self.only_deployed), "other_files": self.other_files}


@dataclass(frozen=True)
class StatusReport:
    target: Target
    project: str
    local_hash: str
    local_flows: dict[str, str]
    deployed: ProjectStatus | None  # None: nothing is published for the project
    drift: Drift

    @property
    def in_sync(self) -> bool:
        return self.deployed is not None and self.deployed.hash == self.local_hash


def drift(local: Mapping[str, str], deployed: ProjectStatus | None, local_hash: str) -> Drift:
    remote = dict(deployed.flows) if deployed is not None else {}
    changed = tuple(sorted(k for k in set(local) & set(remote) if local[k] != remote[k]))
    only_local = tuple(sorted(set(local) - set(remote)))
    only_deployed = tuple(sorted(set(remote) - set(local)))
    other = (deployed is not None and deployed.hash != local_hash
             and not (changed or only_local or only_deployed))
    return Drift(changed, only_local, only_deployed, other)


async def _deployed(client: RuntimeClient, project: str) -> ProjectStatus | None:
    """The deployed revision, None when nothing is published (a 404 that the revisions
    route confirms: a wrong URL 404s there too, and stays an error)."""
    try:
        return await client.project(project)
    except ClientError as error:
        if error.status != 404:
            raise
        if (await client.revisions(project)).active_revision is not None:
            raise
        return None


def status(path: Path | None = None, target: str | None = None) -> StatusReport:
    """The deployed revision and how the local flows differ from it."""
    from flowctl import bundle

    local = load_local(path)
    chosen = target_for(local, target)
    files = local.bundle()
    flows = local.flow_hashes(files)
    local_hash = bundle.bundle_hash(files)
    deployed = _run(chosen, lambda client: _deployed(client, local.name))
    return StatusReport(chosen, local.name, local_hash, flows, deployed,
                        drift(flows, deployed, local_hash))


# -- revisions and rollback -----------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionsReport:
    target: Target
    revisions: Revisions


def revisions(path: Path | None = None, target: str | None = None) -> RevisionsReport:
    """Every revision of the project, newest first."""
    local = load_local(path)
    chosen = target_for(local, target)
    return RevisionsReport(chosen, _run(chosen, lambda client: client.revisions(local.name)))


@dataclass(frozen=True)
class RollbackReport:
    target: Target
    previous: int | None  # the revision active before
    result: RollbackResult


def rollback(to: int, path: Path | None = None, target: str | None = None) -> RollbackReport:
    """Make revision ``to`` active again (no new content)."""
    local = load_local(path)
    chosen = target_for(local, target)

    async def work(client: RuntimeClient) -> tuple[int | None, RollbackResult]:
        known = await client.revisions(local.name)
        if not any(r.revision == to for r in known.revisions):
            numbers = [r.revision for r in known.revisions]
            have = ("nothing is published for it yet" if not numbers else
                    f"its only revision is {numbers[0]}" if len(numbers) == 1 else
                    f"its revisions are {min(numbers)} to {max(numbers)}")
            raise ClientError(f"project '{local.name}' has no revision {to} on "
                              f"{chosen.label}: {have}", status=409, code="no_such_revision",
                              hint="`flowctl revisions` lists them")
        return known.active_revision, await client.rollback(local.name, to)

    previous, result = _run(chosen, work)
    return RollbackReport(chosen, previous, result)
