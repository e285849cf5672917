"""The offline knowledge base: articles from ``knowledge/``, searched by term overlap.

Deterministic on purpose: the same query always offers the same articles, in the simulator
and on the runtime.  Also the ``knowledge_base`` assistant provider, which answers from
the best article or hands back with ``no_answer``.
"""

from __future__ import annotations

import re
from collections import Counter

from flowctl.engine.messages import ArticleLink
from flowctl.engine.ports import AssistantQuestion, AssistantReply
from flowctl.model.project import Article, Project

_WORD = re.compile(r"[a-z0-9äöüß]+")
_STOP = frozenset(
    "a an and are can do does for how i in is it my of on or the to what with you your "
    "me we our this that be not no".split()
)


def terms(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


class KnowledgeBase:
    def __init__(self, articles: tuple[Article, ...] | list[Article]) -> None:
        self.articles = list(articles)
        self._index = [(a, Counter(terms(a.title)), Counter(terms(a.body))) for a in self.articles]

    def search(self, query: str, collection: str | None, limit: int) -> list[ArticleLink]:
        wanted = set(terms(query))
        scored: list[tuple[float, str, Article]] = []
        for article, title, body in self._index:
            if collection and article.collection != collection:
                continue
            score = sum(3 * title[t] + body[t] for t in wanted)
            if score > 0 or not wanted:
                scored.append((-score, article.title, article))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [ArticleLink(a.title, a.url or "", a.collection or "") for _, _, a in scored[:limit]]


class KnowledgeAssistant:
    """The offline ``knowledge_base`` provider: quote the best article, else hand back."""

    def __init__(self, base: KnowledgeBase) -> None:
        self.base = base

    def reply(self, question: AssistantQuestion) -> AssistantReply:
        message = question.message
        if re.search(r"\b(human|agent|person|someone|mitarbeiter)\b", message, re.I):
            return AssistantReply(handoff="asks_for_human")
        hits: list[ArticleLink] = []
        for collection in question.knowledge or (None,):
            hits.extend(self.base.search(message, collection, 1))
        if not hits:
            return AssistantReply(handoff="no_answer")
        best = next(a for a in self.base.articles if a.title == hits[0].title)
        first = next((p.strip() for p in best.body.split("\n\n")
                      if p.strip() and not p.lstrip().startswith("#")), "")
        text = f"{first}\n\nMore: {best.title} ({best.url})" if best.url else first
        return AssistantReply(text=text)


def answers_offline(project: Project, assistant: str) -> bool:
    """Does ``assistant`` use the offline ``knowledge_base`` provider?  (So does the
    assistant ``default`` of a project that configures none.)"""
    config = project.config
    found = config.assistants.get(assistant) if config is not None else None
    if found is None:
        return assistant == "default" and (config is None or not config.assistants)
    return found.provider == "knowledge_base"
