"""``flowctl serve``: run the runtime server."""

from __future__ import annotations

from pathlib import Path

import typer


def serve(
    host: str | None = typer.Option(None, "--host", help="Address to listen on "
                                    "[env FLOWCTL_HOST; default 127.0.0.1]."),
    port: int | None = typer.Option(None, "--port", help="Port [env FLOWCTL_PORT; default 8787]."),
    db: str | None = typer.Option(None, "--db", help="sqlite:///PATH or postgresql://... "
                                  "[env FLOWCTL_DB; default sqlite:///<data dir>/runtime.db]."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Where the SQLite file and a "
                                         "generated admin token live [env FLOWCTL_DATA_DIR; "
                                         "default ./.flowctl]."),
    workers: int | None = typer.Option(None, "--workers", help="Server processes (PostgreSQL "
                                       "only) [env FLOWCTL_WORKERS; default 1]."),
    cors_origin: list[str] = typer.Option([], "--cors-origin", help="A site that embeds the "
                                          "chat (repeatable) [env FLOWCTL_CORS_ORIGINS]; "
                                          "default: CORS closed."),
    allow_egress: list[str] = typer.Option([], "--allow-egress", help="HOST[:PORT] that data "
                                           "blocks may call although private or loopback "
                                           "(repeatable) [env FLOWCTL_ALLOW_EGRESS]."),
    inline_wait: float | None = typer.Option(None, "--inline-wait", help="Seconds a message's "
                                             "answer waits for the calls it made [env "
                                             "FLOWCTL_INLINE_WAIT; default 2]."),
    durability: str | None = typer.Option(None, "--durability", help="SQLite: full (default) "
                                          "or normal [env FLOWCTL_DURABILITY]."),
    conversation_ttl: float | None = typer.Option(None, "--conversation-ttl", help="Seconds "
                                                  "before a silent conversation is abandoned "
                                                  "[env FLOWCTL_CONVERSATION_TTL; default 86400]."),
    log_level: str | None = typer.Option(None, "--log-level", help="debug, info, warning, "
                                         "error [env FLOWCTL_LOG_LEVEL; default info]."),
    migrate_only: bool = typer.Option(False, "--migrate-only", help="Apply the database "
                                      "migrations and exit (for deploy pipelines)."),
) -> None:
    """Run the runtime server: publishing, visitors and conversations over HTTP.

    With no options it serves on 127.0.0.1:8787 with a SQLite file in ./.flowctl; the admin
    token comes from FLOWCTL_ADMIN_TOKEN, or is generated into ./.flowctl/admin-token.

    Examples:

      flowctl serve

      flowctl serve --db postgresql://flowctl@db/flowctl --host 0.0.0.0 --workers 4
    """
    from flowctl.cli.failure import fail
    from flowctl.errors import ConfigError
    from flowctl.server.run import migrate, run
    from flowctl.server.settings import Settings, SettingsError
    from flowctl.server.storage import StorageError

    flags = {"host": host, "port": port, "db": db, "data_dir": data_dir, "workers": workers,
             "cors_origins": tuple(cors_origin), "allow_egress": tuple(allow_egress),
             "inline_wait": inline_wait, "durability": durability,
             "conversation_ttl": conversation_ttl, "log_level": log_level}
    try:
        settings = Settings.load(flags)
        if migrate_only:
            applied = migrate(settings)
            typer.echo(f"migrations applied: {', '.join(map(str, applied)) or 'none (up to date)'}")
            return
        run(settings)
    except SettingsError as error:
        fail(ConfigError(str(error), hint="flowctl serve --help lists the settings"))
    except StorageError as error:
        fail(ConfigError(f"cannot use the database: {error}",
                         hint="--db sqlite:///PATH or postgresql://USER@HOST:PORT/DB (FLOWCTL_DB)"))
    except OSError as error:
        fail(ConfigError(f"cannot serve: {error.strerror or error}",
                         hint="is another server on that port? (--port)"))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
