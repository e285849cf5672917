"""What :mod:`flowctl.diff.semantic` finds: frozen records of changed flows, blocks, fields
and edges, each with the positions of both sides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowctl.model.span import SourceSpan


@dataclass(frozen=True)
class FieldChange:
    """One value that differs: ``before``/``after`` are plain JSON values (None when absent)."""

    field: str
    before: Any
    after: Any
    before_span: SourceSpan | None = None
    after_span: SourceSpan | None = None


@dataclass(frozen=True)
class Move:
    """A block whose position changed and with it what falls through to or from it.

    Positions are 1-based; ``falls_to`` is the block control falls through to after this one
    (``(end)`` when it falls off the end of the list, None when it never falls through);
    ``falls_from`` the block that falls through into it.  Ids are the new ids.
    """

    before_index: int
    after_index: int
    falls_to_before: str | None
    falls_to_after: str | None
    falls_from_before: str | None
    falls_from_after: str | None


@dataclass(frozen=True)
class BlockDiff:
    id: str  # the new id (the old one for a removed block)
    type: str
    status: str  # added | removed | changed
    before_span: SourceSpan | None = None
    after_span: SourceSpan | None = None
    renamed_from: str | None = None
    fields: tuple[FieldChange, ...] = ()
    moved: Move | None = None


@dataclass(frozen=True)
class EdgeChange:
    key: str  # ``source -kind[label]-> target`` with new ids
    source: str
    target: str | None
    kind: str
    label: str
    span: SourceSpan
    before_key: str | None = None  # a removed edge's key in the old flow, when renames changed it


@dataclass(frozen=True)
class FlowDiff:
    id: str
    status: str  # added | removed | changed
    before_span: SourceSpan | None = None
    after_span: SourceSpan | None = None
    fields: tuple[FieldChange, ...] = ()  # file, title, description, entry
    start: tuple[FieldChange, ...] = ()
    blocks: tuple[BlockDiff, ...] = ()
    edges_added: tuple[EdgeChange, ...] = ()
    edges_removed: tuple[EdgeChange, ...] = ()

    @property
    def file(self) -> str:
        span = self.after_span or self.before_span
        return span.file if span else ""

    def count(self, status: str) -> int:
        return sum(1 for block in self.blocks if block.status == status)


@dataclass(frozen=True)
class ProjectDiff:
    flows: tuple[FlowDiff, ...] = field(default=())  # only flows that differ, by id

    @property
    def has_changes(self) -> bool:
        return bool(self.flows)

    def summary(self) -> dict[str, int]:
        changed = [f for f in self.flows if f.status == "changed"]
        return {
            "flows_added": sum(1 for f in self.flows if f.status == "added"),
            "flows_removed": sum(1 for f in self.flows if f.status == "removed"),
            "flows_changed": len(changed),
            "blocks_added": sum(f.count("added") for f in changed),
            "blocks_removed": sum(f.count("removed") for f in changed),
            "blocks_changed": sum(f.count("changed") for f in changed),
            "edges_added": sum(len(f.edges_added) for f in changed),
            "edges_removed": sum(len(f.edges_removed) for f in changed),
        }
