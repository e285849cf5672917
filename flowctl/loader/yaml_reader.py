"""Read one YAML file safely into plain data plus a position for every node.

- Only plain YAML: no Python (or any other) tags are constructed; a tag is reported.
- YAML 1.2 core schema for plain scalars: ``yes``/``no``/``on``/``off`` and dates stay strings.
- Bounded: file size, nesting depth, and the number of nodes and the characters of text
  after expanding aliases (so a "billion laughs" or a "string bomb" document stops early),
  binary and non-UTF-8 input reported.
- Duplicate keys are reported at the second key.

The composer is libyaml's (through PyYAML's ``CSafeLoader``), which keeps line and
column marks on every node at C speed; the walk below builds the data and the position
index in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import yaml

from flowctl.model.problem import Problem, Severity
from flowctl.model.span import SourceSpan

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 250_000
MAX_EXPANDED_CHARS = 4 * MAX_BYTES  # text in scalars after expanding aliases

YAML_SYNTAX = "S001"
DUPLICATE_KEY = "S002"
UNSUPPORTED_YAML = "S004"
INPUT_LIMIT = "S005"

Path_ = tuple[str | int, ...]

_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary")
}
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


def resolve_plain(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


_new_span = tuple.__new__  # SourceSpan without the named tuple's Python-level __new__


class Mark(NamedTuple):
    """Where a node stands: 1-based line and column, character offsets, scalar style."""

    line: int
    column: int
    start: int
    end: int
    style: str = ""


@dataclass
class YamlDocument:
    """A parsed file: its data (plain dicts, lists and scalars) and node positions."""

    path: str
    text: str
    data: Any = None
    marks: dict[Path_, Mark] = field(default_factory=dict)
    key_marks: dict[Path_, Mark] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == Severity.ERROR for p in self.problems)

    def span(self, path: Path_) -> SourceSpan:
        """The position of the value at ``path`` (nearest known ancestor if absent)."""
        while path not in self.marks and path:
            path = path[:-1]
        mark = self.marks.get(path)
        if mark is None:
            return SourceSpan(self.path)
        return _new_span(SourceSpan, (self.path, mark[0], mark[1]))

    def key_span(self, path: Path_) -> SourceSpan:
        """The position of the key of the mapping entry at ``path`` (else of its value)."""
        mark = self.key_marks.get(path)
        if mark is None:
            return self.span(path)
        return _new_span(SourceSpan, (self.path, mark[0], mark[1]))

    def raw(self, path: Path_) -> tuple[str, str]:
        """The scalar at ``path`` as written in the file, and its style."""
        mark = self.marks.get(path)
        if mark is None:
            return "", ""
        return self.text[mark.start : mark.end], mark.style


def _problem(path: str, code: str, message: str, line: int = 1, column: int = 1,
             hint: str | None = None) -> Problem:
    return Problem(message, SourceSpan(path, line, column), code=code, hint=hint)


def decode(path: str, raw: bytes) -> tuple[str | None, Problem | None]:
    """Bytes → text, refusing binary and non-UTF-8 input with a located problem."""
    if len(raw) > MAX_BYTES:
        return None, _problem(
            path, INPUT_LIMIT,
            f"file is {len(raw) / 1_048_576:.1f} MB; flowctl reads files up to "
            f"{MAX_BYTES // 1_048_576} MB",
            hint="split the flow into several flows joined with `goto`",
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = _line_col(raw, nul)
        return None, _problem(path, UNSUPPORTED_YAML, "binary file (NUL byte); expected YAML text",
                              line, column)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col(raw, exc.start)
        return None, _problem(
            path, UNSUPPORTED_YAML,
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x})", line, column,
            hint="save the file as UTF-8",
        )
    return text.removeprefix("\ufeff"), None


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def read_yaml_file(path: Path | str, display: str | None = None) -> YamlDocument:
    """Read and parse ``path``; problems are collected on the document, never raised."""
    name = display or str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        doc = YamlDocument(name, "")
        doc.problems.append(_problem(name, UNSUPPORTED_YAML, f"cannot read file: {exc.strerror}"))
        return doc
    return parse_yaml_bytes(raw, name)


def parse_yaml_bytes(raw: bytes, name: str) -> YamlDocument:
    text, problem = decode(name, raw)
    if text is None:
        doc = YamlDocument(name, "")
        if problem is not None:
            doc.problems.append(problem)
        return doc
    return parse_yaml_text(text, name)


class _Loader(yaml.CSafeLoader):
    """libyaml's composer without PyYAML's Python tag resolver.

    Tags of untagged nodes are decided here by node kind only; plain scalars are resolved
    by :func:`resolve_plain` under the YAML 1.2 core schema.  Explicit tags still arrive
    as written, so they can be refused.
    """

    _KIND_TAGS: ClassVar[dict[type, str]] = {
        yaml.ScalarNode: "tag:yaml.org,2002:str",
        yaml.SequenceNode: "tag:yaml.org,2002:seq",
        yaml.MappingNode: "tag:yaml.org,2002:map",
    }

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        return self._KIND_TAGS[kind]


def parse_yaml_text(text: str, name: str) -> YamlDocument:
    doc = YamlDocument(name, text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            message = f"{exc.problem} ({exc.context}"
            if exc.context_mark is not None and exc.context_mark is not mark:
                message += f" at line {exc.context_mark.line + 1}"
            message += ")"
        doc.problems.append(_problem(
            name, YAML_SYNTAX, message,
            (mark.line + 1) if mark else 1, (mark.column + 1) if mark else 1,
            hint=_syntax_hint(message),
        ))
        return doc
    except yaml.YAMLError as exc:  # reader errors (control characters) carry a position too
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        doc.problems.append(_problem(name, YAML_SYNTAX, str(exc).splitlines()[0],
                                     (line or 0) + 1, (column or 0) + 1))
        return doc
    finally:
        loader.dispose()
    if node is None:
        return doc  # empty document: data None; the schema check reports what is missing
    walker = _Walker(doc)
    try:
        if "&" in text:  # aliases need anchors; without one nothing can expand
            walker.check_size(node)
        doc.data = walker.walk(node, (), 0)
    except _Stop as stop:
        doc.data = None
        doc.problems.append(stop.problem)
    return doc


def _syntax_hint(message: str) -> str | None:
    if "mapping values are not allowed" in message:
        return "a value containing ': ' must be quoted, or the indentation is off"
    if "found character '\\t'" in message or "found a tab" in message:
        return "YAML indents with spaces, not tabs"
    if "could not find expected ':'" in message:
        return "check the indentation of this line and the one before"
    if "maximum nesting depth" in message:
        return f"flowctl reads documents nested up to {MAX_DEPTH} levels"
    return None


_new_mark = tuple.__new__


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Walker:
    """Nodes → data with positions; bounded in depth and total nodes visited."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.visited = 0
        self.active: set[int] = set()

    def check_size(self, root: yaml.Node) -> None:
        """Refuse, before building anything, a document whose aliases expand too far:
        in nodes (a "billion laughs") or in characters of text (a "string bomb", aliases of
        one long string).

        Sizes are memoised per node, so this costs one visit per distinct node even for a
        document that would expand to billions.
        """
        sizes: dict[int, tuple[int, int]] = {}
        active: set[int] = set()

        def size(node: yaml.Node, depth: int) -> tuple[int, int]:
            key = id(node)
            if key in sizes:
                return sizes[key]
            if depth > MAX_DEPTH:
                raise self._fail(node, f"nested deeper than {MAX_DEPTH} levels")
            if key in active:
                raise self._fail(node, "recursive alias: a node contains itself")
            if isinstance(node, yaml.ScalarNode):
                nodes, chars = 1, len(node.value)
            else:
                children = (node.value if isinstance(node, yaml.SequenceNode)
                            else [n for pair in node.value for n in pair])
                active.add(key)
                parts = [size(child, depth + 1) for child in children]
                active.discard(key)
                nodes = 1 + sum(n for n, _ in parts)
                chars = sum(c for _, c in parts)
            if nodes > MAX_NODES:
                raise self._fail(node, f"more than {MAX_NODES:,} nodes after expanding aliases",
                                 "aliases that expand to huge documents (a 'billion laughs') "
                                 "are refused")
            if chars > MAX_EXPANDED_CHARS:
                raise self._fail(
                    node, f"more than {MAX_EXPANDED_CHARS // 1_048_576} MB of text after "
                    "expanding aliases", "aliases that repeat long strings (a 'string bomb') "
                    "are refused")
            sizes[key] = (nodes, chars)
            return nodes, chars

        size(root, 0)

    def _mark(self, node: yaml.Node) -> Mark:
        start = node.start_mark
        style = getattr(node, "style", None) or ""
        return _new_mark(Mark, (start.line + 1, start.column + 1, start.index,
                                node.end_mark.index, style))

    def _fail(self, node: yaml.Node, message: str, hint: str | None = None) -> _Stop:
        mark = node.start_mark
        return _Stop(_problem(self.doc.path, INPUT_LIMIT, message, mark.line + 1,
                              mark.column + 1, hint))

    def walk(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise self._fail(node, f"more than {MAX_NODES:,} nodes after expanding aliases",
                             "aliases that expand to huge documents (a 'billion laughs') "
                             "are refused")
        if depth > MAX_DEPTH:
            raise self._fail(node, f"nested deeper than {MAX_DEPTH} levels")
        doc = self.doc
        if path not in doc.marks:  # an alias revisits nodes: keep the first position
            doc.marks[path] = self._mark(node)
        tag = node.tag
        if tag not in _STANDARD_TAGS:
            mark = node.start_mark
            doc.problems.append(_problem(
                doc.path, UNSUPPORTED_YAML,
                f"tag {_short_tag(tag)} is not allowed: flowctl reads plain YAML only",
                mark.line + 1, mark.column + 1, hint="remove the tag",
            ))
            return None
        if isinstance(node, yaml.ScalarNode):
            if node.style in (None, ""):
                return resolve_plain(node.value)
            return node.value
        key = id(node)
        if key in self.active:
            raise self._fail(node, "recursive alias: a node contains itself")
        self.active.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.walk(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, path, depth)
        finally:
            self.active.discard(key)

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        doc = self.doc
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                mark = key_node.start_mark
                doc.problems.append(_problem(doc.path, UNSUPPORTED_YAML,
                                             "mapping keys must be plain text",
                                             mark.line + 1, mark.column + 1))
                continue
            if key_node.value == "<<" and key_node.style in (None, ""):
                self._merge(value_node, out, path, depth)
                continue
            key = key_node.value
            sub = (*path, key)
            if key in out and sub in doc.key_marks:
                first = doc.key_marks[sub]
                mark = key_node.start_mark
                doc.problems.append(_problem(
                    doc.path, DUPLICATE_KEY,
                    f"duplicate key '{key}' (first defined at line {first.line})",
                    mark.line + 1, mark.column + 1,
                    hint="YAML keeps only one of the two values: remove or rename one",
                ))
                continue
            if sub not in doc.key_marks:
                doc.key_marks[sub] = self._mark(key_node)
            self.visited += 1
            out[key] = self.walk(value_node, sub, depth + 1)
        return out

    def _merge(self, value_node: yaml.Node, out: dict[str, Any], path: Path_, depth: int) -> None:
        """``<<: *defaults`` merge keys: explicit keys win over merged ones."""
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            merged = self.walk(source, path, depth + 1)
            if isinstance(merged, dict):
                for key, value in merged.items():
                    out.setdefault(key, value)


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag
