"""The vkbottle API client for one community token, throttled to VK's per-token rate limit."""

from __future__ import annotations

import asyncio
from types import TracebackType

from vkbottle import API, AiohttpClient, BlockingRequestRescheduler

# Peers from this id on are group conversations (2000000000 + chat id); below are users.
CHAT_PEER_START = 2_000_000_000
# vkbottle waits this many seconds before repeating a request VK answered with a non-JSON
# page (once); its default of 5 s would hold a resident's reply for too long.
RESCHEDULE_DELAY = 1


class Throttle:
    """Spaces calls evenly so that at most `rate` start per second."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


class ThrottledToken:
    """A vkbottle token generator: every API request takes the token through `async with`,
    so throttling here covers every method call, including those made by uploaders."""

    def __init__(self, token: str, rate: float) -> None:
        self._token = token
        self._throttle = Throttle(rate)

    async def get_token(self) -> str:
        await self._throttle.wait()
        return self._token

    async def __aenter__(self) -> str:
        return await self.get_token()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


def create_api(api_url: str, token: str, rate: float, http: AiohttpClient) -> API:
    api = API(
        ThrottledToken(token, rate),
        http_client=http,
        request_rescheduler=BlockingRequestRescheduler(delay=RESCHEDULE_DELAY),
    )
    # API_URL is a class attribute read through the instance: this points one client elsewhere.
    api.API_URL = api_url if api_url.endswith("/") else api_url + "/"
    return api
