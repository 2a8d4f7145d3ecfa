"""A small HTTP health endpoint for a container's HEALTHCHECK or a monitoring probe.

`GET /health` answers JSON: the inbox depth and the age of its oldest pending update, the
last successful poll of each platform, and the outbox backlog. The figures come from
callables the composition root hands in, so this module knows no storage or transport.
It answers 503 when a figure cannot be read (the database is down) or a platform has not
polled successfully for `stale_after`, so a supervisor sees a bot that is stuck.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.core.intake import Intake
from bot.core.ports import Clock, utc_now
from bot.storage.database import Database

logger = logging.getLogger(__name__)

PATH = "/health"
STALE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class HealthSources:
    """Where the figures come from. `last_poll` maps each polling platform to the time of its
    last successful poll (None before the first one); `outbox_backlog` is None while the
    bot has no outbox to report on."""

    inbox_depth: Callable[[], Awaitable[tuple[int, datetime | None]]]
    last_poll: Callable[[], Awaitable[Mapping[str, datetime | None]]]
    outbox_backlog: Callable[[], Awaitable[int]] | None = None


class HealthServer:
    def __init__(
        self,
        sources: HealthSources,
        host: str,
        port: int,
        *,
        clock: Clock = utc_now,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self._sources = sources
        self._host = host
        self._port = port
        self._clock = clock
        self._stale_after = stale_after
        self._started_at = clock()
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int | None:
        """The port actually bound (useful with port 0), once started."""
        if self._runner is None or not self._runner.addresses:
            return None
        return int(self._runner.addresses[0][1])

    async def start(self) -> bool:
        """Serve in the background; False (logged) when the address cannot be bound, since
        the bot itself must run without its health endpoint rather than not at all."""
        self._started_at = self._clock()
        app = web.Application()
        app.router.add_get(PATH, self._health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as error:
            logger.error("Health endpoint not started on %s:%s: %s", self._host, self._port, error)
            await runner.cleanup()
            return False
        self._runner = runner
        logger.info("Health endpoint on http://%s:%s%s", self._host, self.port, PATH)
        return True

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """Whether the bot is healthy, and the figures behind it."""
        now = self._clock()
        healthy = True
        body: dict[str, Any] = {}
        try:
            depth, oldest = await self._sources.inbox_depth()
            body["inbox"] = {
                "depth": depth,
                "oldest_pending_age_seconds": _age(now, oldest),
            }
        except Exception as error:
            logger.warning("Health: inbox depth unavailable: %r", error)
            healthy = False
            body["inbox"] = {"error": type(error).__name__}
        polls: dict[str, Any] = {}
        for platform, moment in (await self._sources.last_poll()).items():
            stale = now - (moment or self._started_at) > self._stale_after
            healthy = healthy and not stale
            polls[platform] = {
                "at": moment.isoformat() if moment else None,
                "age_seconds": _age(now, moment),
                "stale": stale,
            }
        body["last_poll"] = polls
        backlog: int | None = None
        if self._sources.outbox_backlog is not None:
            try:
                backlog = await self._sources.outbox_backlog()
            except Exception as error:
                logger.warning("Health: outbox backlog unavailable: %r", error)
                healthy = False
        body["outbox"] = {"backlog": backlog}
        body["status"] = "ok" if healthy else "unhealthy"
        return healthy, body

    async def _health(self, request: web.Request) -> web.Response:
        healthy, body = await self.report()
        return web.json_response(body, status=200 if healthy else 503)


def _age(now: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 1)


def bot_sources(
    database: Database,
    intakes: Sequence[Intake],
    outbox_backlog: Callable[[], Awaitable[int]] | None = None,
) -> HealthSources:
    """The running bot's figures: the inbox in the database, each channel's last poll."""

    async def inbox_depth() -> tuple[int, datetime | None]:
        async with database.unit_of_work() as uow:
            return await uow.inbox.depth()

    async def last_poll() -> Mapping[str, datetime | None]:
        return {intake.transport: intake.last_poll for intake in intakes if intake.polls}

    return HealthSources(inbox_depth, last_poll, outbox_backlog)
