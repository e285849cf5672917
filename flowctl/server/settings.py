"""The server's settings: every ``flowctl serve`` flag has an environment variable.

| setting | flag | environment | default |
| --- | --- | --- | --- |
| host | ``--host`` | ``FLOWCTL_HOST`` | 127.0.0.1 |
| port | ``--port`` | ``FLOWCTL_PORT`` | 8787 |
| db | ``--db`` | ``FLOWCTL_DB`` | ``sqlite:///<data>/runtime.db`` |
| data folder | ``--data-dir`` | ``FLOWCTL_DATA_DIR`` | ``./.flowctl`` |
| workers | ``--workers`` | ``FLOWCTL_WORKERS`` | 1 |
| CORS origins | ``--cors-origin`` | ``FLOWCTL_CORS_ORIGINS`` (comma-separated) | none: closed |
| egress allow-list | ``--allow-egress`` | ``FLOWCTL_ALLOW_EGRESS`` (comma-separated) | none |
| inline wait | ``--inline-wait`` | ``FLOWCTL_INLINE_WAIT`` | 2 (seconds) |
| SQLite durability | ``--durability`` | ``FLOWCTL_DURABILITY`` | full |
| conversation TTL | ``--conversation-ttl`` | ``FLOWCTL_CONVERSATION_TTL`` | 86400 (seconds) |
| log level | ``--log-level`` | ``FLOWCTL_LOG_LEVEL`` | info |
| lease | (none) | ``FLOWCTL_LEASE_SECONDS`` | 30 (seconds) |

The admin token is read from ``FLOWCTL_ADMIN_TOKEN`` only (never a flag: flags show in
``ps``).  Flags win over the environment.

The lease is how long a process holds a call or timer it claimed before another process
(or the same one, after a restart) may take it over: after a ``kill -9`` the work it held
waits that long.  Keep it longer than the slowest endpoint's ``timeout``, or a slow attempt
may be made a second time (with the same ``Idempotency-Key``) while the first is under way.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting with a value the server cannot use; the message names the variable."""


#: Bodies larger than this are refused with 413 (a publish bundle may be larger).
MAX_BODY = 64 * 1024
MAX_BUNDLE_BODY = 16 * 1024 * 1024 + 64 * 1024
#: The longest visitor message, in characters.
MAX_MESSAGE = 4_000


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8787
    db: str = ""
    data_dir: Path = Path(".flowctl")
    workers: int = 1
    cors_origins: tuple[str, ...] = ()
    allow_egress: tuple[str, ...] = ()
    inline_wait: float = 2.0
    durability: str = "full"
    conversation_ttl: float = 86_400.0
    log_level: str = "info"
    lease: float = 30.0
    admin_token: str | None = field(default=None, repr=False)

    @property
    def database(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'runtime.db'}"

    @classmethod
    def load(cls, flags: Mapping[str, Any] | None = None,
             env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``flags`` (None: not given) over the environment over the defaults."""
        env = os.environ if env is None else env
        flags = {k: v for k, v in (flags or {}).items() if v not in (None, (), [])}

        def pick(name: str, variable: str, convert: Any, default: Any) -> Any:
            if name in flags:
                return flags[name]
            raw = env.get(variable)
            if raw is None or raw == "":
                return default
            try:
                return convert(raw)
            except ValueError:
                raise SettingsError(f"{variable}={raw!r} is not a valid value") from None

        def number(raw: str) -> float:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(raw)
            return value

        def listed(raw: str) -> tuple[str, ...]:
            return tuple(item.strip() for item in raw.split(",") if item.strip())

        settings = cls(
            host=pick("host", "FLOWCTL_HOST", str, "127.0.0.1"),
            port=pick("port", "FLOWCTL_PORT", int, 8787),
            db=pick("db", "FLOWCTL_DB", str, ""),
            data_dir=Path(pick("data_dir", "FLOWCTL_DATA_DIR", str, ".flowctl")),
            workers=pick("workers", "FLOWCTL_WORKERS", int, 1),
            cors_origins=tuple(pick("cors_origins", "FLOWCTL_CORS_ORIGINS", listed, ())),
            allow_egress=tuple(pick("allow_egress", "FLOWCTL_ALLOW_EGRESS", listed, ())),
            inline_wait=pick("inline_wait", "FLOWCTL_INLINE_WAIT", number, 2.0),
            durability=pick("durability", "FLOWCTL_DURABILITY", str, "full"),
            conversation_ttl=pick("conversation_ttl", "FLOWCTL_CONVERSATION_TTL", number,
                                  86_400.0),
            log_level=pick("log_level", "FLOWCTL_LOG_LEVEL", str, "info"),
            lease=pick("lease", "FLOWCTL_LEASE_SECONDS", number, 30.0),
            admin_token=env.get("FLOWCTL_ADMIN_TOKEN") or None,
        )
        settings.check()
        return settings

    def check(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError(f"port {self.port} is not between 1 and 65535")
        if self.workers < 1:
            raise SettingsError("workers must be at least 1")
        if self.workers > 1 and self.database.startswith("sqlite"):
            raise SettingsError("several workers need PostgreSQL (--db postgresql://...): SQLite "
                                "serves one process")
        if self.durability not in ("full", "normal"):
            raise SettingsError("durability is 'full' or 'normal'")
        if not 0 <= self.inline_wait <= 30:
            raise SettingsError("inline wait (FLOWCTL_INLINE_WAIT) is between 0 and 30 seconds")
        if not self.conversation_ttl > 0:
            raise SettingsError("conversation TTL (FLOWCTL_CONVERSATION_TTL) must be positive")
        if not 1 <= self.lease <= 3600:
            raise SettingsError("the lease (FLOWCTL_LEASE_SECONDS) is between 1 and 3600 seconds")
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise SettingsError("FLOWCTL_ADMIN_TOKEN must have at least 16 characters")
