"""Project settings (``flowctl.yaml``) and the project as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field

from flowctl.model.blocks import Ref
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem
from flowctl.model.span import SourceSpan
from flowctl.model.values import Template


@dataclass(frozen=True, slots=True)
class HoursRule:
    """One entry of ``hours``: a day spec (``mon-fri``) and its time ranges."""

    days: str
    ranges: tuple[str, ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    span: SourceSpan
    hours: tuple[HoursRule, ...] = ()
    closed: tuple[Ref, ...] = ()  # ISO dates, each with its position
    timezone: Ref | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    span: SourceSpan
    url: Template
    method: str = "POST"
    headers: tuple[tuple[str, Template], ...] = ()
    timeout: float = 10.0
    retries: int = 0


@dataclass(frozen=True, slots=True)
class Assistant:
    name: str
    span: SourceSpan
    provider: str
    settings: tuple[tuple[str, Template], ...] = ()


@dataclass(frozen=True, slots=True)
class PublishTarget:
    name: str
    span: SourceSpan
    url: Template
    token: Template | None = None


@dataclass(frozen=True, slots=True)
class LintSettings:
    rules: tuple[tuple[Ref, str], ...] = ()  # (rule code or name, severity or "off")
    select: tuple[Ref, ...] = ()
    ignore: tuple[Ref, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectConfig:
    """The contents of ``flowctl.yaml``."""

    name: str
    span: SourceSpan
    timezone: Ref | None = None
    departments: tuple[Ref, ...] = ()
    schedules: dict[str, Schedule] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    knowledge_dir: str | None = None
    knowledge_span: SourceSpan | None = None  # of the `ai.knowledge` value
    assistants: dict[str, Assistant] = field(default_factory=dict)
    targets: dict[str, PublishTarget] = field(default_factory=dict)
    identity_secret: Template | None = None  # `${NAME}`: the runtime reads NAME from its env
    lint: LintSettings = field(default_factory=LintSettings)

    @property
    def file(self) -> str:
        return self.span.file

    @property
    def department_names(self) -> frozenset[str]:
        return frozenset(ref.name for ref in self.departments)


@dataclass(frozen=True, slots=True)
class Article:
    """A knowledge-base article: markdown with front matter."""

    title: str
    collection: str
    url: str
    body: str
    span: SourceSpan


@dataclass(frozen=True)
class Project:
    """Everything flowctl read: settings, flows, visitor scripts and the problems found."""

    root: str
    config: ProjectConfig | None
    flows: tuple[Flow, ...]
    visitor_files: tuple = ()  # tuple[VisitorFile, ...]
    articles: tuple[Article, ...] = ()
    load_problems: tuple[Problem, ...] = ()
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def flow(self, flow_id: str) -> Flow | None:
        for flow in self.flows:
            if flow.id == flow_id:
                return flow
        return None

    @property
    def collections(self) -> frozenset[str]:
        return frozenset(article.collection for article in self.articles)
