"""VK users' names, for residents' records and for staff names in the staff chat."""

from __future__ import annotations

import asyncio
import logging

from vkbottle import API

logger = logging.getLogger(__name__)

NAME_TIMEOUT = 2.0
NAME_CACHE_SIZE = 10_000


class VkNames:
    """Names from users.get, cached; a slow or failing VK gives None rather than a delay."""

    def __init__(self, api: API) -> None:
        self._api = api
        self._names: dict[int, str] = {}

    async def get(self, user_id: int) -> str | None:
        if user_id in self._names:
            return self._names[user_id]
        try:
            async with asyncio.timeout(NAME_TIMEOUT):
                users = await self._api.users.get(user_ids=[user_id])
        except Exception as error:
            logger.info("VK name of %s unavailable: %r", user_id, error)
            return None
        if not users:
            return None
        name = " ".join(part for part in (users[0].first_name, users[0].last_name) if part)
        if not name:
            return None
        if len(self._names) >= NAME_CACHE_SIZE:
            del self._names[next(iter(self._names))]
        self._names[user_id] = name
        return name
