"""Write a new project from the templates shipped in ``flowctl/templates``."""

from __future__ import annotations

import re
from pathlib import Path

from flowctl.errors import ConfigError
from flowctl.files import write_output

TEMPLATES = Path(__file__).resolve().parent / "templates"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
EXAMPLES = TEMPLATES / "examples"
SCHEMA_DIR = ".flowctl/schemas"
_SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=\S*/([a-z]+\.schema\.json)$", re.M)
_GOTO = re.compile(r"^\s*flow:\s*([a-z][a-z0-9-]*)\s*$", re.M)


def _goto_targets(flow_text: str) -> list[str]:
    """Flow ids named by goto blocks (indented ``flow:`` lines)."""
    return [m.group(1) for m in _GOTO.finditer(flow_text) if m.group(0).startswith((" ", "\t"))]


def _point_schema(text: str, depth: int) -> str:
    prefix = "../" * depth + SCHEMA_DIR
    line = "# yaml-language-server: $schema=" + prefix
    return _SCHEMA_LINE.sub(lambda m: f"{line}/{m.group(1)}", text)


def scaffold(directory: Path, template: str, *, project: str | None = None,
             force: bool = False) -> list[Path]:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    directory = directory.resolve()
    name = project or re.sub(r"[^a-z0-9-]+", "-", directory.name.lower()).strip("-") or "flows"
    files: dict[Path, str] = {}
    if template == "blank":
        env = Environment(loader=FileSystemLoader(TEMPLATES / "blank"),
                          undefined=StrictUndefined, keep_trailing_newline=True)
        values = {"project": name, "timezone": "Europe/Berlin", "schema_dir": SCHEMA_DIR}
        files[Path("flowctl.yaml")] = env.get_template("flowctl.yaml.j2").render(values)
        for stem in ("welcome.flow.yaml", "welcome.visitors.yaml"):
            values["schema_dir"] = "../" + SCHEMA_DIR
            files[Path("flows") / stem] = env.get_template(stem + ".j2").render(values)
        knowledge = TEMPLATES / "blank" / "knowledge"
    else:
        flow_file = EXAMPLES / f"{template}.flow.yaml"
        if not flow_file.is_file():
            raise ConfigError(f"template '{template}' is missing from this installation")
        config = (EXAMPLES / "flowctl.yaml").read_text(encoding="utf-8")
        config = re.sub(r"^project:.*$", f"project: {name}", config, count=1, flags=re.M)
        files[Path("flowctl.yaml")] = _point_schema(config, 0)
        pending, done = [template], set()
        while pending:
            flow_id = pending.pop()
            if flow_id in done or not (EXAMPLES / f"{flow_id}.flow.yaml").is_file():
                continue
            done.add(flow_id)
            for suffix in (".flow.yaml", ".visitors.yaml"):
                source = EXAMPLES / f"{flow_id}{suffix}"
                if source.is_file():
                    text = source.read_text(encoding="utf-8")
                    files[Path("flows") / source.name] = _point_schema(text, 1)
                    if suffix == ".flow.yaml":
                        pending.extend(_goto_targets(text))
        knowledge = EXAMPLES / "knowledge"
    for article in sorted(knowledge.glob("*.md")):
        files[Path("knowledge") / article.name] = article.read_text(encoding="utf-8")
    files[Path(".github/workflows/flows.yml")] = (TEMPLATES / "flows.yml").read_text("utf-8")
    for schema in sorted(SCHEMAS.glob("*.schema.json")):
        files[Path(SCHEMA_DIR) / schema.name] = schema.read_text(encoding="utf-8")

    existing = [path for path in files if (directory / path).exists()]
    if existing and not force:
        raise ConfigError(
            f"{directory / existing[0]} already exists"
            + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""),
            hint="use --force to overwrite, or choose an empty folder",
        )
    written = []
    for relative, text in files.items():
        target = directory / relative
        write_output(target, text)
        written.append(target)
    return written


