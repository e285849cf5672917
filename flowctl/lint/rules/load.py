"""Codes for problems the loader finds before any rule runs (S) and meta problems (M)."""

from flowctl.lint.registry import declare

declare("S001", "yaml-syntax", "error", """
    The file is not valid YAML.

    The message says what the parser expected and where.

    Bad:
        text: Hi: there

    Good:
        text: "Hi: there"
""")
declare("S002", "duplicate-key", "error", """
    A mapping has the same key twice.

    YAML keeps one of the two values silently; flowctl reports the second key.

    Bad:
        - id: greet
          type: message
          text: Hello
          text: Hi

    Good:
        - id: greet
          type: message
          text: Hi
""")
declare("S003", "schema", "error", """
    The file does not match its JSON Schema (flow, project or visitors).

    Unknown fields, wrong types, missing required fields and bad ids are reported at the
    field itself, with a "did you mean" for misspellings.

    Bad:
        - id: ask_size
          type: question
          text: How many people work at your company?
          retires: 3

    Good:
        - id: ask_size
          type: question
          text: How many people work at your company?
          retries: 3
""")
declare("S004", "unsupported-yaml", "error", """
    The file uses something flowctl does not read: a YAML tag (such as
    `!!python/object/apply`), a binary file, or text that is not UTF-8.

    Bad:
        text: !!python/object/apply:os.system ["ls"]

    Good:
        text: Hello
""")
declare("S005", "input-limits", "error", """
    The file is larger than 2 MB, nested deeper than 100 levels, or expands aliases into
    more than 250,000 nodes ("billion laughs").

    Bad:
        a: &a [x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]  # about 600,000 nodes

    Good:
        a: [x, x, x]
""")
declare("S006", "knowledge-article", "error", """
    A knowledge-base article lacks front matter with `title` and `collection`.

    Bad:
        # Resetting your password

    Good:
        ---
        title: Resetting your password
        collection: account
        url: https://help.example.com/reset
        ---
""")
declare("S007", "lint-config", "error", """
    The `lint` section of flowctl.yaml names a rule that does not exist.

    Bad:
        lint: {rules: {G999: off}}

    Good:
        lint: {rules: {X005: warning}}
""")
declare("M001", "unused-disable", "warning", """
    A `# flowctl: disable=CODE` comment suppressed nothing.

    Either the problem was fixed (remove the comment) or the code is wrong.

    Bad:
        - id: greet  # flowctl: disable=G003
          type: message
          text: Hi

    Good:
        - id: greet
          type: message
          text: Hi
""", scope="meta")
