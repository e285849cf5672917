"""Which runtime to talk to, and with which token.

``--target NAME`` names an entry of ``targets:`` in flowctl.yaml (``url`` and ``token``,
where ``${NAME}`` is read from the environment); ``--target URL`` is a runtime's URL.  With no
``--target``: the only target, else the one named ``local``, else http://127.0.0.1:8787.

The token is the target's; else ``FLOWCTL_TOKEN``; else, for a loopback URL, the one a local
``flowctl serve`` keeps in its data folder (``./.flowctl/admin-token``).  A variable the token
names that is not set (or empty) is an error naming it, unless the URL is loopback and a
local server's token file is there.  A token is never printed: :class:`Target` keeps it out
of its ``repr`` and says only where it came from.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flowctl.errors import ConfigError
from flowctl.model.project import ProjectConfig, PublishTarget

DEFAULT_URL = "http://127.0.0.1:8787"
TOKEN_VARIABLE = "FLOWCTL_TOKEN"
#: Where ``flowctl serve`` keeps the admin token it generated: ``<data dir>/admin-token``
#: (flowctl/server/auth.py, ADMIN_TOKEN_FILE; the server's default data dir is ./.flowctl).
ADMIN_TOKEN_FILE = "admin-token"
DATA_DIR_VARIABLE = "FLOWCTL_DATA_DIR"
DEFAULT_DATA_DIR = ".flowctl"

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Target:
    """A runtime: ``name`` in flowctl.yaml (None for a URL), ``url``, the admin ``token`` and
    ``token_source``, which says where the token came from (for messages; never the token)."""

    name: str | None
    url: str
    token: str | None = field(default=None, repr=False)
    token_source: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.url})" if self.name else self.url

    @property
    def loopback(self) -> bool:
        return is_loopback(self.url)

    def to_json(self) -> dict[str, str | None]:
        return {"name": self.name, "url": self.url}


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_url(text: str) -> bool:
    return "://" in text


def local_data_dirs(project_root: Path | None, env: Mapping[str, str] | None = None,
                    cwd: Path | None = None) -> list[Path]:
    """Where a local server's data folder may be: ``FLOWCTL_DATA_DIR``, ./.flowctl, and
    .flowctl in the project's root."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    found: list[Path] = []
    candidates = [Path(env[DATA_DIR_VARIABLE]) if env.get(DATA_DIR_VARIABLE) else None,
                  cwd / DEFAULT_DATA_DIR,
                  project_root / DEFAULT_DATA_DIR if project_root is not None else None]
    for candidate in candidates:
        if candidate is None:
            continue
        folder = candidate if candidate.is_absolute() else cwd / candidate
        if folder.resolve() not in [f.resolve() for f in found]:
            found.append(folder)
    return found


def read_local_token(data_dirs: Iterable[Path]) -> tuple[str, Path] | None:
    """The admin token a local ``flowctl serve`` generated, and its file (the first found)."""
    for folder in data_dirs:
        path = folder / ADMIN_TOKEN_FILE
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if len(token) >= 16:  # the server makes a new one from a shorter file
            return token, path
    return None


def _substitute(template: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """``template`` with each ``${NAME}`` replaced from ``env``, and the names not set (or
    empty there)."""
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        found = env.get(match.group(1), "")
        if not found:
            missing.append(match.group(1))
        return found

    return _REFERENCE.sub(value, template), missing


def _choose(config: ProjectConfig | None, choice: str | None) -> PublishTarget | None:
    targets = config.targets if config is not None else {}
    if choice:
        if choice in targets:
            return targets[choice]
        where = "flowctl.yaml" if config is not None else "this project (no flowctl.yaml)"
        known = ", ".join(sorted(targets))
        raise ConfigError(f"no target '{choice}' in {where}",
                          hint=(f"the targets are: {known}; " if known else "")
                          + "--target also takes a URL, e.g. --target https://flows.example.com")
    if len(targets) == 1:
        return next(iter(targets.values()))
    return targets.get("local")


def resolve_target(config: ProjectConfig | None, choice: str | None, *,
                   env: Mapping[str, str] | None = None,
                   data_dirs: Sequence[Path] = ()) -> Target:
    """The target ``--target choice`` means (see the module docstring).

    Raises :class:`ConfigError` for an unknown target, a URL that is not http(s), a variable
    that is not set, or no token at all.
    """
    env = os.environ if env is None else env
    spec = None if choice and is_url(choice) else _choose(config, choice)
    name = spec.name if spec is not None else None
    what = f"target '{name}'" if name else "the target"
    if spec is not None:
        url, missing = _substitute(spec.url.source.strip(), env)
        if missing:
            raise ConfigError(f"{what}: its url needs the environment variable {missing[0]}, "
                              "which is not set", hint=f"export {missing[0]}=...")
    else:
        url = (choice or DEFAULT_URL).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what}: '{url}' is not an http:// or https:// URL",
                          hint="e.g. http://127.0.0.1:8787 or https://flows.example.com")
    url = url.rstrip("/")
    loopback = is_loopback(url)

    def local_token() -> tuple[str, str] | None:
        found = read_local_token(data_dirs) if loopback else None
        return (found[0], f"the local server's token file {found[1]}") if found else None

    if spec is not None and spec.token is not None and spec.token.source.strip():
        token, missing = _substitute(spec.token.source.strip(), env)
        if not missing:
            names = _REFERENCE.findall(spec.token.source)
            source = (f"{', '.join(dict.fromkeys(names))} ({what}'s token in flowctl.yaml)"
                      if names else f"{what}'s token written in flowctl.yaml")
            return Target(name, url, token, source)
        local = local_token()
        if local is not None:
            return Target(name, url, *local)
        variable = missing[0]
        raise ConfigError(
            f"{what} takes its token from the environment variable {variable}, which is not "
            "set (or empty)",
            hint=f"export {variable}=<the runtime's admin token>"
            + (" (in CI: from the repository's secrets)" if not loopback else
               "; or run where `flowctl serve` keeps .flowctl/admin-token"))
    if env.get(TOKEN_VARIABLE):
        return Target(name, url, env[TOKEN_VARIABLE], TOKEN_VARIABLE)
    local = local_token()
    if local is not None:
        return Target(name, url, *local)
    raise ConfigError(
        f"no admin token for {what} ({url}): {TOKEN_VARIABLE} is not set"
        + (" and no local server's .flowctl/admin-token was found" if loopback else ""),
        hint=f"export {TOKEN_VARIABLE}=<the runtime's admin token>"
        + ("; or run this where `flowctl serve` runs (it keeps .flowctl/admin-token), or set "
           f"{DATA_DIR_VARIABLE} to that server's data folder" if loopback else
           ', or give the target a token: "${NAME}" in flowctl.yaml'))
