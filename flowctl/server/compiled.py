"""Compiled revisions: a published revision loaded once per process and shared by every
conversation pinned to it (an LRU of :data:`CACHE_SIZE` revisions)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from flowctl.engine import Engine
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.model.project import Project
from flowctl.server.errors import ApiError
from flowctl.server.ports import OfflineAssistant
from flowctl.server.storage.sql import Tx

CACHE_SIZE = 64


@dataclass(frozen=True)
class CompiledRevision:
    project: Project
    engine: Engine
    knowledge: KnowledgeBase
    assistant: OfflineAssistant


def compile_files(files: dict[str, str]) -> CompiledRevision:
    from flowctl.bundle import load

    loaded = load(files)
    knowledge = KnowledgeBase(loaded.project.articles)
    return CompiledRevision(loaded.project, Engine(loaded.project), knowledge,
                            OfflineAssistant(loaded.project, knowledge))


class Revisions:
    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._cache: OrderedDict[tuple[str, int], CompiledRevision] = OrderedDict()

    def put(self, project: str, number: int, compiled: CompiledRevision) -> None:
        self._cache[(project, number)] = compiled
        self._cache.move_to_end((project, number))
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)

    async def get(self, tx: Tx, project: str, number: int) -> CompiledRevision:
        key = (project, number)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        revision = await tx.revision(project, number, files=True)
        if revision is None or revision.files is None:
            raise ApiError(500, "revision_missing", f"revision {number} of '{project}' is not stored")
        compiled = compile_files(revision.files)
        self.put(project, number, compiled)
        return compiled
