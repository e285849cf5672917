"""The runtime's answers as typed records (no raw dicts past the client).

Each ``from_json`` checks the shape it needs and raises :class:`ClientError` on an answer that
is not the runtime API's; each ``to_json`` is what ``--format json`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowctl.client.errors import ClientError


def _unexpected(what: str) -> ClientError:
    return ClientError(f"unexpected answer from the runtime: {what}",
                       hint="is the target a flowctl runtime of a matching version?",
                       code="bad_answer")


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...],
           default: Any = ...) -> Any:
    value = data.get(key, default)
    if value is ...:
        raise _unexpected(f"'{key}' is missing")
    if value is default and default is not ...:
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _unexpected(f"'{key}' is not of the expected type")
    return value


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _unexpected(f"{what} is not a JSON object")
    return data


def _names(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = _field(data, key, list, [])
    return tuple(sorted(str(item) for item in value))


def _hashes(data: Mapping[str, Any], key: str) -> dict[str, str]:
    value = _object(_field(data, key, dict, {}), f"'{key}'")
    return {str(k): str(v) for k, v in sorted(value.items())}


@dataclass(frozen=True)
class Changes:
    """Flow ids added, changed (content hash differs) and removed, against the active revision."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    @classmethod
    def from_json(cls, data: Any) -> Changes:
        data = _object(data, "'changes'")
        return cls(_names(data, "added"), _names(data, "changed"), _names(data, "removed"))

    def to_json(self) -> dict[str, list[str]]:
        return {"added": list(self.added), "changed": list(self.changed),
                "removed": list(self.removed)}


@dataclass(frozen=True)
class PublishPlan:
    """What publishing the bundle would do (the answer of a dry run): make ``revision`` with
    these changes, or nothing when ``unchanged`` (``revision`` is then the active one)."""

    revision: int
    hash: str
    changes: Changes
    unchanged: bool

    @classmethod
    def from_json(cls, data: Any) -> PublishPlan:
        data = _object(data, "the plan")
        return cls(_field(data, "revision", int), _field(data, "hash", str),
                   Changes.from_json(_field(data, "changes", dict)),
                   bool(_field(data, "unchanged", bool, False)))

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "hash": self.hash, "unchanged": self.unchanged,
                "changes": self.changes.to_json()}


@dataclass(frozen=True)
class PublishResult:
    """What publishing did: ``created`` a new active revision (201), or nothing because the
    bundle is the active revision's already (200, ``created`` false)."""

    revision: int
    hash: str
    changes: Changes
    created: bool

    @classmethod
    def from_json(cls, data: Any, status: int) -> PublishResult:
        data = _object(data, "the publish answer")
        return cls(_field(data, "revision", int), _field(data, "hash", str),
                   Changes.from_json(_field(data, "changes", dict)),
                   status == 201 and not _field(data, "unchanged", bool, False))

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "hash": self.hash, "created": self.created,
                "changes": self.changes.to_json()}


@dataclass(frozen=True)
class ProjectStatus:
    """The deployed (active) revision of a project: ``flows`` maps flow ids to content hashes."""

    project: str
    active_revision: int
    hash: str
    flows: dict[str, str]
    published_at: str
    message: str = ""
    source: dict[str, Any] = field(default_factory=dict)
    activated_at: str | None = None

    @property
    def commit(self) -> str | None:
        commit = self.source.get("commit")
        return commit if isinstance(commit, str) and commit else None

    @classmethod
    def from_json(cls, data: Any) -> ProjectStatus:
        data = _object(data, "the project")
        return cls(_field(data, "project", str), _field(data, "active_revision", int),
                   _field(data, "hash", str), _hashes(data, "flows"),
                   _field(data, "published_at", str), _field(data, "message", str, ""),
                   dict(_field(data, "source", dict, {})),
                   _field(data, "activated_at", str, None))

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "active_revision": self.active_revision,
                "hash": self.hash, "flows": dict(self.flows), "published_at": self.published_at,
                "activated_at": self.activated_at, "message": self.message,
                "source": dict(self.source)}


@dataclass(frozen=True)
class RevisionInfo:
    """One stored revision (without its files)."""

    revision: int
    hash: str
    flows: dict[str, str]
    published_at: str
    message: str = ""
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def commit(self) -> str | None:
        commit = self.source.get("commit")
        return commit if isinstance(commit, str) and commit else None

    @classmethod
    def from_json(cls, data: Any) -> RevisionInfo:
        data = _object(data, "a revision")
        return cls(_field(data, "revision", int), _field(data, "hash", str),
                   _hashes(data, "flows"), _field(data, "published_at", str),
                   _field(data, "message", str, ""), dict(_field(data, "source", dict, {})))

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "hash": self.hash, "flows": dict(self.flows),
                "published_at": self.published_at, "message": self.message,
                "source": dict(self.source)}


@dataclass(frozen=True)
class Revisions:
    """Every revision of a project, newest first, and which one is active (None: none yet)."""

    project: str
    active_revision: int | None
    revisions: tuple[RevisionInfo, ...]

    @property
    def active(self) -> RevisionInfo | None:
        return next((r for r in self.revisions if r.revision == self.active_revision), None)

    @classmethod
    def from_json(cls, data: Any) -> Revisions:
        data = _object(data, "the revisions")
        active = _field(data, "active_revision", (int, type(None)), None)
        items = [RevisionInfo.from_json(item) for item in _field(data, "revisions", list)]
        items.sort(key=lambda r: r.revision, reverse=True)
        return cls(_field(data, "project", str), active, tuple(items))

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "active_revision": self.active_revision,
                "revisions": [r.to_json() for r in self.revisions]}


@dataclass(frozen=True)
class RollbackResult:
    """The revision active after a rollback."""

    project: str
    active_revision: int
    hash: str

    @classmethod
    def from_json(cls, data: Any) -> RollbackResult:
        data = _object(data, "the rollback answer")
        return cls(_field(data, "project", str), _field(data, "active_revision", int),
                   _field(data, "hash", str))

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "active_revision": self.active_revision,
                "hash": self.hash}
