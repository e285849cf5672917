"""The engine's ports on the server: the clock, agent presence read from storage for the
step, the offline knowledge-base assistant, and the knowledge base of the revision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flowctl.engine import AssistantQuestion, AssistantReply
from flowctl.engine.knowledge import KnowledgeAssistant, KnowledgeBase, answers_offline
from flowctl.model.project import Project


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Presence:
    """Agents online per department, as stored when the step began."""

    online_by_department: dict[str, int] = field(default_factory=dict)

    def online(self, department: str | None) -> int:
        if department is None:
            return sum(self.online_by_department.values())
        return self.online_by_department.get(department, 0)

    def departments(self) -> dict[str, int]:
        return dict(self.online_by_department)


class OfflineAssistant:
    """Answers the assistants whose provider is ``knowledge_base`` from the revision's
    articles; an assistant of another provider hands back with ``no_answer`` (this runtime
    calls no AI service)."""

    def __init__(self, project: Project, knowledge: KnowledgeBase) -> None:
        self.project = project
        self.knowledge = KnowledgeAssistant(knowledge)

    def reply(self, question: AssistantQuestion) -> AssistantReply:
        if answers_offline(self.project, question.assistant):
            return self.knowledge.reply(question)
        return AssistantReply(handoff="no_answer")
