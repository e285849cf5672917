"""Knowledge-base articles: markdown files with YAML front matter (title, collection, url)."""

from __future__ import annotations

from pathlib import Path

from flowctl.loader.files import display_path, unreadable
from flowctl.loader.yaml_reader import parse_yaml_bytes
from flowctl.model.problem import Problem
from flowctl.model.project import Article, ProjectConfig
from flowctl.model.span import SourceSpan

KNOWLEDGE_PROBLEM = "S006"
REQUIRED = ("title", "collection")


def article_files(root: Path, config: ProjectConfig | None) -> list[Path]:
    """The knowledge articles (``*.md`` below ``ai.knowledge``) of a project, as found."""
    if config is None or not config.knowledge_dir:
        return []
    folder = (root / config.knowledge_dir).resolve()
    return sorted(folder.rglob("*.md")) if folder.is_dir() else []


def load_articles(root: Path, config: ProjectConfig | None) -> tuple[list[Article], list[Problem]]:
    if config is None or not config.knowledge_dir:
        return [], []
    folder = (root / config.knowledge_dir).resolve()
    if not folder.is_dir():
        return [], [Problem(
            f"knowledge folder '{config.knowledge_dir}' does not exist",
            SourceSpan(config.file), code=KNOWLEDGE_PROBLEM,
            hint="create it with markdown articles, or remove `ai.knowledge`",
        )]
    articles: list[Article] = []
    problems: list[Problem] = []
    for path in article_files(root, config):
        shown = display_path(path)
        problem = unreadable(path, shown)
        if problem is not None:
            problems.append(problem)
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(f"cannot read article: {exc.strerror}", SourceSpan(shown),
                                    code=KNOWLEDGE_PROBLEM))
            continue
        article, problem = parse_article(raw, shown)
        if article is not None:
            articles.append(article)
        if problem is not None:
            problems.append(problem)
    return articles, problems


def parse_article(raw: bytes, shown: str) -> tuple[Article | None, Problem | None]:
    text = raw.decode("utf-8", errors="replace")
    if not text.startswith("---"):
        return None, Problem("knowledge article has no front matter (--- title, collection ---)",
                             SourceSpan(shown), code=KNOWLEDGE_PROBLEM)
    end = text.find("\n---", 3)
    if end < 0:
        return None, Problem("front matter is not closed with ---", SourceSpan(shown),
                             code=KNOWLEDGE_PROBLEM)
    doc = parse_yaml_bytes(text[3:end].encode(), shown)
    if doc.problems:
        first = doc.problems[0]
        return None, Problem(first.message, first.span.at(first.span.line + 1, first.span.column),
                             code=KNOWLEDGE_PROBLEM)
    meta = doc.data if isinstance(doc.data, dict) else {}
    missing = [key for key in REQUIRED if not isinstance(meta.get(key), str)]
    if missing:
        return None, Problem(f"front matter lacks {', '.join(missing)}", SourceSpan(shown, 1, 1),
                             code=KNOWLEDGE_PROBLEM)
    body = text[end + 4 :].lstrip("-\n")
    return Article(meta["title"], meta["collection"], str(meta.get("url", "")), body,
                   SourceSpan(shown)), None
