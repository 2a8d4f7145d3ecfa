"""Group long polling through the durable intake.

A fetched batch and the `ts` past it are saved in one transaction before the next poll uses
that `ts`, so VK's position lives in the database: a restart continues after the last stored
batch, and events VK delivers again (same `event_id`) are skipped by the inbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from vkbottle import API, VKAPIError

from bot.core.intake import Intake
from bot.storage.records import InboxItem

logger = logging.getLogger(__name__)

LONG_POLL_WAIT = 25
# How long past `wait` a long poll may stay silent before the connection counts as lost.
REQUEST_MARGIN = 10
BACKOFF_START = 1.0
BACKOFF_MAX = 60.0


def update_key(event: dict[str, Any]) -> str:
    event_id = event.get("event_id")
    if isinstance(event_id, str) and event_id:
        return event_id
    # Communities set to an API version before 5.103 send no event_id: key by content.
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()


def ordering_key(event: dict[str, Any]) -> str:
    """Events of one dialog (messages and button presses alike) are handled in order."""
    body = event.get("object")
    if isinstance(body, dict):
        message = body.get("message")
        source = message if isinstance(message, dict) else body
        for field in ("peer_id", "user_id", "from_id"):
            value = source.get(field)
            if isinstance(value, int):
                return f"vk:{value}"
    return f"vk:event:{update_key(event)}"


def inbox_item(event: dict[str, Any]) -> InboxItem:
    return InboxItem(update_key(event), ordering_key(event), event)


@dataclass(frozen=True)
class LongPollServer:
    url: str
    key: str
    ts: str


class VkLongPoll:
    def __init__(
        self, api: API, intake: Intake, group_id: int, *, wait: int = LONG_POLL_WAIT
    ) -> None:
        self._api = api
        self._intake = intake
        self._group_id = group_id
        self._wait = wait
        self._ts_key = f"vk:{group_id}:ts"

    async def run(self) -> None:
        """Poll until cancelled. Every failure is logged and retried after a growing pause;
        cancelling is safe at any point because a batch and its `ts` are stored together."""
        self._intake.polls = True
        ts = await self._intake.cursor(self._ts_key)
        server: LongPollServer | None = None
        backoff = BACKOFF_START
        while True:
            try:
                if server is None or ts is None:
                    server = await self._server()
                    if ts is None:
                        ts = await self._save([], server.ts)
                answer = await self._check(server, ts)
                failed = answer.get("failed")
                if failed is None:
                    events = answer.get("updates") or []
                    if events or str(answer["ts"]) != ts:
                        ts = await self._save([inbox_item(e) for e in events], str(answer["ts"]))
                elif failed == 1:
                    ts = await self._save([], str(answer["ts"]))
                elif failed in (2, 3):
                    # 2: the key expired; 3: events were lost, so the new key comes with a new ts.
                    server = None
                    ts = None if failed == 3 else ts
                else:
                    raise ValueError(f"unknown long-poll failure {failed!r}")
            except (VKAPIError, aiohttp.ClientError, TimeoutError, ValueError, KeyError) as error:
                logger.warning("VK long poll failed: %r; retrying in %.0f s", error, backoff)
            except Exception:
                logger.exception("VK long poll failed; retrying in %.0f s", backoff)
            else:
                backoff = BACKOFF_START
                self._intake.polled()
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _server(self) -> LongPollServer:
        server = await self._api.groups.get_long_poll_server(group_id=self._group_id)
        return LongPollServer(str(server.server), str(server.key), str(server.ts))

    async def _check(self, server: LongPollServer, ts: str) -> dict[str, Any]:
        answer = await self._api.http_client.request_json(
            server.url,
            method="POST",
            data={"act": "a_check", "key": server.key, "ts": ts, "wait": self._wait},
            timeout=aiohttp.ClientTimeout(total=self._wait + REQUEST_MARGIN),
        )
        if not isinstance(answer, dict):
            raise ValueError(f"unexpected long-poll answer {answer!r}")
        return answer

    async def _save(self, items: list[InboxItem], ts: str) -> str:
        await self._intake.store(items, cursor=(self._ts_key, ts))
        return ts
