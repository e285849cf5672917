"""Knowledge-base articles: markdown files with YAML front matter (title, collection, url)."""

from __future__ import annotations

import os
from pathlib import Path

from flowctl.loader.files import display_path, unreadable
from flowctl.loader.yaml_reader import parse_yaml_bytes
from flowctl.model.problem import Problem
from flowctl.model.project import Article, ProjectConfig
from flowctl.model.span import SourceSpan

KNOWLEDGE_PROBLEM = "S006"
REQUIRED = ("title", "collection")


def knowledge_folder(root: Path, config: ProjectConfig | None) -> tuple[Path | None, Problem | None]:
    """The knowledge folder ``ai.knowledge`` names, or the problem with it (located at the
    value in flowctl.yaml): it must exist and lie inside the project, since its articles
    are shown to visitors (``/``, ``../outside/`` are refused, links that lead out too)."""
    if config is None or not config.knowledge_dir:
        return None, None
    text = config.knowledge_dir
    where = config.knowledge_span or SourceSpan(config.file)
    hint = "name a folder of the project, relative to flowctl.yaml, e.g. knowledge/"
    if Path(text).is_absolute() or text.startswith(("/", "\\")):
        return None, Problem(f"knowledge folder '{text}' is an absolute path: its articles are "
                             "shown to visitors, so it must be a folder inside the project",
                             where, code=KNOWLEDGE_PROBLEM, hint=hint)
    try:
        base = root.resolve()
        folder = (root / text).resolve()
    except (OSError, RuntimeError) as exc:  # a link loop on the way
        return None, Problem(f"knowledge folder '{text}' cannot be opened: {exc}", where,
                             code=KNOWLEDGE_PROBLEM, hint=hint)
    if not folder.is_relative_to(base):
        return None, Problem(f"knowledge folder '{text}' is outside the project: its articles "
                             "are shown to visitors, so it must be a folder inside the project",
                             where, code=KNOWLEDGE_PROBLEM, hint=hint)
    if not folder.is_dir():
        return None, Problem(f"knowledge folder '{text}' does not exist", where,
                             code=KNOWLEDGE_PROBLEM,
                             hint="create it with markdown articles, or remove `ai.knowledge`")
    return folder, None


def _walk(folder: Path, where: SourceSpan | None = None) -> tuple[list[Path], list[Problem]]:
    """The ``*.md`` entries below ``folder`` (links to folders not followed), and a problem
    at ``where`` (the ``ai.knowledge`` value) for each folder that cannot be listed."""
    found: list[Path] = []
    problems: list[Problem] = []

    def failed(error: OSError) -> None:
        shown = display_path(Path(error.filename)) if error.filename else display_path(folder)
        problems.append(Problem(f"cannot read '{shown}' in the knowledge folder: "
                                f"{error.strerror}", where or SourceSpan(shown),
                                code=KNOWLEDGE_PROBLEM,
                                hint="make it readable, or move it out of the knowledge folder"))

    for here, folders, files in os.walk(folder, onerror=failed):
        folders.sort()
        found.extend(Path(here) / name for name in files if name.endswith(".md"))
    return sorted(found), problems


def article_files(root: Path, config: ProjectConfig | None) -> list[Path]:
    """The knowledge articles (``*.md`` below ``ai.knowledge``) of a project, as found."""
    folder, _problem = knowledge_folder(root, config)
    return _walk(folder)[0] if folder is not None else []


def load_articles(root: Path, config: ProjectConfig | None) -> tuple[list[Article], list[Problem]]:
    folder, problem = knowledge_folder(root, config)
    if folder is None:
        return [], [problem] if problem is not None else []
    paths, problems = _walk(folder, config.knowledge_span if config else None)
    articles: list[Article] = []
    base = root.resolve()
    for path in paths:
        shown = display_path(path)
        problem = unreadable(path, shown)
        if problem is not None:
            problems.append(problem)
            continue
        if not path.resolve().is_relative_to(base):
            problems.append(Problem("knowledge article links to a file outside the project: "
                                    "articles are shown to visitors", SourceSpan(shown),
                                    code=KNOWLEDGE_PROBLEM,
                                    hint="copy the article into the project instead of linking"))
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
