"""Running the server process(es): uvicorn with uvloop and httptools where they are
installed, ``--workers`` processes on one PostgreSQL database."""

from __future__ import annotations

import asyncio
import sys

from flowctl.server.settings import Settings


def migrate(settings: Settings) -> list[int]:
    from flowctl.server.storage import StorageError, open_storage

    async def apply() -> list[int]:
        storage = await open_storage(settings.database, durability=settings.durability)
        try:
            return await storage.migrate()
        finally:
            await storage.close()

    try:
        return asyncio.run(apply())
    except StorageError:
        raise
    except Exception as error:  # the driver's own errors: say them, without a traceback
        raise StorageError(f"{settings.database.split('@')[-1]}: {error}") from None


def app_factory() -> object:
    """For uvicorn's ``--factory`` in worker processes: settings from the environment."""
    from flowctl.server.app import configure_logging, create_app

    settings = Settings.load()
    configure_logging(settings.log_level)
    return create_app(settings)


def run(settings: Settings) -> None:
    import os

    import uvicorn

    from flowctl.server.app import configure_logging, create_app

    configure_logging(settings.log_level)
    migrate(settings)  # the database must answer before the port opens (a clear error, exit 2)
    loop = "uvloop" if _has("uvloop") else "asyncio"
    http = "httptools" if _has("httptools") else "h11"
    print(f"flowctl serve: http://{settings.host}:{settings.port} ({settings.workers} "
          f"process{'es' if settings.workers > 1 else ''}, {loop}+{http})", file=sys.stderr)
    common = {"host": settings.host, "port": settings.port, "loop": loop, "http": http,
              "log_level": "warning", "access_log": False, "server_header": False,
              "timeout_graceful_shutdown": 10}
    if settings.workers > 1:
        # each worker process rebuilds the settings from the environment; the admin token is
        # settled here once, so that every process accepts the same one
        from flowctl.server.auth import admin_token

        os.environ.update(_environment(settings))
        os.environ["FLOWCTL_ADMIN_TOKEN"] = admin_token(settings.data_dir, settings.admin_token)[0]
        uvicorn.run("flowctl.server.run:app_factory", factory=True, workers=settings.workers,
                    **common)  # type: ignore[arg-type]
        return
    uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]


def _environment(settings: Settings) -> dict[str, str]:
    return {"FLOWCTL_DB": settings.database, "FLOWCTL_DATA_DIR": str(settings.data_dir),
            "FLOWCTL_CORS_ORIGINS": ",".join(settings.cors_origins),
            "FLOWCTL_ALLOW_EGRESS": ",".join(settings.allow_egress),
            "FLOWCTL_INLINE_WAIT": str(settings.inline_wait),
            "FLOWCTL_DURABILITY": settings.durability,
            "FLOWCTL_CONVERSATION_TTL": str(settings.conversation_ttl),
            "FLOWCTL_LOG_LEVEL": settings.log_level}


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
