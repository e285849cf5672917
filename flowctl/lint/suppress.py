"""``# flowctl: disable=CODE`` comments.

- at the end of a line: that line;
- on a line of its own: the next line that is not a comment;
- ``# flowctl: disable-file=CODE``: the whole file.

Codes are separated by commas and may be rule names; ``all`` disables every rule.  Text
after the codes is a free explanation: ``# flowctl: disable=X003 the queue is fine``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flowctl.lint.registry import names_rule

_DIRECTIVE = re.compile(
    r"(?:^|\s)#\s*flowctl:\s*(disable|disable-file)\s*=\s*"
    r"([A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)"  # the codes; the rest may explain why
)


@dataclass
class Directive:
    line: int  # where the comment is
    column: int
    kind: str  # disable | disable-file
    codes: tuple[str, ...]
    applies_to: int  # line it covers (0 for the whole file)
    used: set[str] = field(default_factory=set)


def parse_directives(text: str) -> list[Directive]:
    if "flowctl:" not in text:
        return []
    directives = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        match = _DIRECTIVE.search(line)
        if match is None:
            continue
        kind = match.group(1)
        codes = tuple(c.strip() for c in match.group(2).split(",") if c.strip())
        own_line = line[: match.start()].strip() == ""
        applies = 0
        if kind == "disable":
            applies = number
            if own_line:
                applies = next(
                    (n for n in range(number + 1, len(lines) + 1)
                     if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")),
                    number,
                )
        column = match.start() + (0 if line[match.start()] == "#" else 1) + 1
        directives.append(Directive(number, column, kind, codes, applies))
    return directives


def matches(directive: Directive, code: str, name: str) -> str | None:
    """The directive entry that covers ``code``, if any."""
    for entry in directive.codes:
        if names_rule(entry, code, name):
            return entry
    return None
