"""The command line: serve, migrate, create users, and more (``switchboard --help``)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from typing import Any

from entrypoints.settings import Settings


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def migrate(settings: Settings) -> None:
    from adapters.sqlalchemy.migrate import upgrade

    settings.ensure_data_dir()
    upgrade(settings.database_url)
    logging.getLogger("switchboard").info("schema is up to date (%s)", settings.database_url.split("@")[-1])


def serve(settings: Settings) -> None:
    import uvicorn

    if settings.storage == "sql":
        migrate(settings)
    uvicorn.run(
        "entrypoints.asgi:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        http="httptools",
        log_level=settings.log_level.lower(),
        access_log=False,
        # Proxy headers only from TRUSTED_PROXIES (uvicorn's default believes any loopback peer).
        **uvicorn_proxy_options(settings),
    )


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy flags for TRUSTED_PROXIES: off when it is empty."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


def create_user(settings: Settings, login: str, role: str, password: str | None) -> None:
    from entrypoints.container import build_container

    async def run() -> None:
        container = build_container(settings)
        await container.use_cases.bootstrap()(settings.admin_password)
        roles = container.use_cases.roles()
        found = await roles.find(role)
        employees = container.use_cases.employees()
        employee = await employees.create(
            employees.command(
                login=login,
                password=password or getpass.getpass(f"Password for {login}: "),
                first_name=login,
                last_name=login,
                role_ids=[found.id],
            )
        )
        print(f"created employee {employee.id} ({employee.login}) with role {found.name}")
        engine = container.storage.engine()
        if engine is not None:
            await engine.dispose()

    asyncio.run(run())


def rebuild_stats(settings: Settings) -> None:
    """Recomputes the statistics counters from the history (after an import, or a new half-life)."""
    from entrypoints.container import build_container

    async def run() -> None:
        container = build_container(settings)
        async with container.storage.uow_factory()() as uow:
            counted = await uow.stats.rebuild()
            answers = await uow.survey_responses.rebuild()
            decided = await uow.decisions.rebuild()
            await uow.commit()
        print(
            f"rebuilt the statistics counters from {counted:,} communications, {answers:,} survey answers "
            f"and {decided:,} ended auto decisions"
        )
        engine = container.storage.engine()
        if engine is not None:
            await engine.dispose()

    asyncio.run(run())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="switchboard", description="Switchboard communications platform")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="apply migrations and serve the HTTP API (PORT, default 8181)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("worker", help="run the dispatch worker (any number of them on PostgreSQL)")
    user = commands.add_parser("create-user", help="create an employee who can log in")
    user.add_argument("login")
    user.add_argument("--role", default="Administrator", help="role id or name (default Administrator)")
    user.add_argument("--password", help="read from the terminal when omitted")
    commands.add_parser("rebuild-stats", help="recompute the statistics counters from the history")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    _configure_logging(settings)
    if args.command == "serve":
        serve(settings)
    elif args.command == "migrate":
        migrate(settings)
    elif args.command == "worker":
        from entrypoints.worker import run_worker

        run_worker(settings)
    elif args.command == "create-user":
        migrate(settings)
        create_user(settings, args.login, args.role, args.password)
    elif args.command == "rebuild-stats":
        migrate(settings)
        rebuild_stats(settings)


if __name__ == "__main__":
    main()
