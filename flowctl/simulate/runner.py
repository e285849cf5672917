"""Run virtual visitors against the flows: visitors files in, results out.

The public API of ``flowctl simulate``: :func:`run_project`, :func:`run_file`,
:func:`run_visitor`.  One :class:`~flowctl.engine.Engine` is compiled per project and shared
by every visitor; each visitor gets its own fakes (:mod:`flowctl.simulate.mocks`).  The
semantics of a visitor are in :mod:`flowctl.simulate.visitor`.
"""

from __future__ import annotations

from collections.abc import Iterable

from flowctl.engine import Engine
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.model.project import Project
from flowctl.model.visitors import Visitor, VisitorFile
from flowctl.simulate.results import (
    Failure,
    FileResult,
    SimulationResult,
    Turn,
    VisitorResult,
)
from flowctl.simulate.visitor import Stop, Store, VisitorRun


def run_visitor(engine: Engine, visitor_file: VisitorFile, visitor: Visitor,
                knowledge: KnowledgeBase, store: Store | None = None) -> VisitorResult:
    from flowctl.simulate.expectations import check_expect

    run = VisitorRun(engine, visitor_file, visitor, knowledge, store)
    try:
        if run.ready and run.start():
            run.run_steps()
            if visitor.expect is not None:
                check_expect(run, visitor.expect)
    except Stop:
        pass
    return run.result


def run_file(engine: Engine, visitor_file: VisitorFile, knowledge: KnowledgeBase | None = None,
             store: Store | None = None) -> FileResult:
    knowledge = knowledge or KnowledgeBase(engine.project.articles)
    return FileResult(visitor_file.file,
                      [run_visitor(engine, visitor_file, v, knowledge, store)
                       for v in visitor_file.visitors])


def run_project(project: Project, files: Iterable[str] | None = None,
                store: Store | None = None) -> SimulationResult:
    """Run the visitors files among ``files`` (display paths; all when ``None``).

    ``store`` is applied to the conversation between steps (a test passes a JSON round trip
    to check that the state survives storage)."""
    wanted = set(files) if files is not None else None
    engine = Engine(project)
    knowledge = KnowledgeBase(project.articles)
    results = [run_file(engine, vf, knowledge, store) for vf in project.visitor_files
               if wanted is None or vf.file in wanted]
    return SimulationResult(results, project)


__all__ = ["Failure", "FileResult", "SimulationResult", "Turn", "VisitorResult",
           "run_file", "run_project", "run_visitor"]
