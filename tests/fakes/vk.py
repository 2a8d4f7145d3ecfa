"""Fake VK API + group long-poll server for tests.

An aiohttp app on 127.0.0.1 that speaks enough of VK API 5.199 for a community bot:
the real vkbottle client is pointed at it via ``api.API_URL = fake.api_url``.

In-process use::

    async with FakeVK(group_id=1) as vk:
        api = API("token"); api.API_URL = vk.api_url
        ...
        vk.push(vk.message_new(from_id=42, text="hi"))
        await vk.wait_for_sent(42)

Standalone use (e.g. against the app running in a subprocess)::

    python -m tests.fakes.vk --port 0      # first stdout line: http://127.0.0.1:PORT/method/

and drive it through JSON endpoints under ``/_control/``, each a thin wrapper over the
public ``FakeVK`` method of the same meaning:

    GET  state                      ts, key, parked and recent polls
    POST push                       raw events: {"events": [...]} or one event
    POST message_new                kwargs of message_new(); attachments may be
                                    {"type": "photo"|"doc"|"audio_message", "data_b64": ...}
    POST message_event|message_allow|message_deny
    POST files                      {"data_b64", "name", "content_type"} -> {"url"}
    GET  requests[?method=]         recorded requests
    GET  sent/{peer_id}             delivered texts and messages
    POST fault                      {"method", "code", "times", "peer_id", "msg", "scope"}
                                    or {"method", "http_status", "body", "times"}
    POST latency                    {"method", "seconds"}
    POST longpoll_fail              {"failed": 1|2|3, "ts"}
    POST users                      {"users": [{"id", "first_name", "last_name"}]}
    POST chat_members               {"peer_id", "members": [{"id", "is_admin"}]}
    GET  wait_polling?ts=&within=   blocks until a poll is parked (408 on timeout)
    GET  wait_call?method=&count=&within=&<param>=<value>
    POST reset
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import secrets
import signal
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self, TypeVar

from aiohttp import web

T = TypeVar("T")

API_VERSION = "5.199"
DEFAULT_GROUP_ID = 229_000_001
CHAT_PEER_OFFSET = 2_000_000_000
DEFAULT_WAIT = 25
# Default bytes for attachments built without explicit data: JPEG magic so MIME sniffing works.
DEFAULT_PHOTO_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-vk-photo\xff\xd9"

ERROR_MESSAGES: dict[int, str] = {
    1: "Unknown error occurred",
    2: "Application is disabled. Enable your application or use test mode",
    3: "Unknown method passed",
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    7: "Permission to perform this action is denied",
    9: "Flood control",
    10: "Internal server error",
    15: "Access denied",
    27: "Group authorization failed: method is unavailable with group auth.",
    29: "Rate limit reached",
    100: "One of the parameters specified was missing or invalid",
    900: "Can't send messages for users from blacklist",
    901: "Can't send messages for users without permission",
    902: "Can't send messages to this user due to their privacy settings",
    917: "You don't have access to this chat",
}

# Rights of a community token (groups.getTokenPermissions), by bit.
TOKEN_PERMISSION_BITS: dict[str, int] = {
    "stories": 1,
    "photos": 4,
    "app_widget": 64,
    "messages": 4096,
    "docs": 131072,
    "manage": 262144,
}
# Event types a community can send (Long Poll / Callback API settings), a subset VK lists.
EVENT_TYPES = (
    "message_new",
    "message_reply",
    "message_edit",
    "message_allow",
    "message_deny",
    "message_typing_state",
    "message_event",
    "photo_new",
    "wall_post_new",
    "wall_reply_new",
    "group_join",
    "group_leave",
)
DEFAULT_EVENTS = frozenset(
    {"message_new", "message_reply", "message_allow", "message_deny", "message_event"}
)

# With peer_ids VK reports these per recipient inside a 200 response instead of failing the call.
PER_RECIPIENT_CODES = frozenset({7, 900, 901, 902})

_JSON_PARAMS = frozenset(
    {"keyboard", "forward", "content_source", "template", "event_data", "format_data"}
)
_INT_PARAMS = frozenset(
    {
        "peer_id",
        "user_id",
        "random_id",
        "reply_to",
        "group_id",
        "conversation_message_id",
        "cmid",
        "message_id",
        "owner_id",
        "server",
        "server_id",
        "album_id",
        "chat_id",
        "sticker_id",
        "offset",
        "count",
        "extended",
        "dont_parse_links",
        "disable_mentions",
        "keep_forward_messages",
        "keep_snippets",
    }
)
_INT_LIST_PARAMS = frozenset(
    {"peer_ids", "user_ids", "message_ids", "conversation_message_ids", "forward_messages"}
)
_DOC_TYPES = {"txt": 1, "doc": 1, "docx": 1, "pdf": 1, "rtf": 1, "odt": 1, "xls": 1, "xlsx": 1}
_DOC_TYPES |= {"zip": 2, "rar": 2, "7z": 2, "gif": 3, "jpg": 4, "jpeg": 4, "png": 4, "webp": 4}
_DOC_TYPES |= {"mp3": 5, "ogg": 5, "wav": 5, "mp4": 6, "avi": 6, "epub": 7, "fb2": 7}


@dataclass
class EventSettings:
    """What a community sends to a Long Poll or Callback API server."""

    enabled: bool
    events: set[str]
    api_version: str = API_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "api_version": self.api_version,
            "events": {name: int(name in self.events) for name in EVENT_TYPES},
        }


@dataclass
class CallbackServer:
    id: int
    url: str
    status: str
    settings: EventSettings
    title: str = "vmeste-bot"
    secret_key: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "creator_id": 1,
            "url": self.url,
            "secret_key": self.secret_key,
            "status": self.status,
        }


class VKError(Exception):
    """Raised by method handlers; rendered as a VK ``{"error": {...}}`` body."""

    def __init__(self, code: int, msg: str | None = None) -> None:
        super().__init__(msg or ERROR_MESSAGES.get(code, "Unknown error occurred"))
        self.code = code
        self.msg = str(self)


@dataclass(frozen=True, slots=True)
class Request:
    """One recorded call: API method, upload (``upload.photo``/``upload.doc``) or file download."""

    method: str
    params: dict[str, Any]
    error_code: int | None = None
    response: Any = None
    token: str | None = None
    at: float = 0.0
    http_status: int = 200

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "error_code": self.error_code,
            "http_status": self.http_status,
            "response": self.response,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class Upload:
    """A file received by an upload endpoint; ``data`` is kept so tests can compare bytes."""

    kind: str  # "photo", "doc", "audio_message", "graffiti"
    field_name: str
    filename: str
    content_type: str
    data: bytes
    token: str
    query: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(slots=True)
class Poll:
    """One long-poll ``a_check`` request; ``parked`` while the server is holding it."""

    ts: int
    key: str
    wait: int
    started: float
    finished: float | None = None
    returned_ts: int | None = None
    updates: int = 0
    # "pending", "updates", "timeout", "failed:N", "released", "disconnected"
    outcome: str = "pending"

    @property
    def parked(self) -> bool:
        return self.finished is None

    def to_json(self) -> dict[str, Any]:
        return {
            "ts": self.ts,
            "key": self.key,
            "wait": self.wait,
            "parked": self.parked,
            "returned_ts": self.returned_ts,
            "updates": self.updates,
            "outcome": self.outcome,
        }


@dataclass(slots=True)
class _Fault:
    method: str
    code: int
    remaining: int
    peer_id: int | None
    msg: str | None
    scope: Literal["auto", "request", "recipient"]


MethodHandler = Callable[[dict[str, Any]], Any | Awaitable[Any]]


def _parse_int(value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return value


def decode_params(raw: Mapping[str, str]) -> dict[str, Any]:
    """Turn VK form values back into Python values so tests can assert on structure."""
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _JSON_PARAMS:
            try:
                decoded[key] = json.loads(value)
            except ValueError:
                decoded[key] = value
        elif key in _INT_PARAMS:
            decoded[key] = _parse_int(value)
        elif key in _INT_LIST_PARAMS:
            decoded[key] = [_parse_int(part) for part in value.split(",") if part != ""]
        else:
            decoded[key] = value
    return decoded


def _targets(params: Mapping[str, Any]) -> list[int]:
    """Recipients / subject peers of a call, for peer-scoped faults and messages.send."""
    if "peer_ids" in params:
        return [p for p in params["peer_ids"] if isinstance(p, int)]
    if "user_ids" in params and isinstance(params["user_ids"], list):
        return [p for p in params["user_ids"] if isinstance(p, int)]
    for key in ("peer_id", "user_id"):
        if isinstance(params.get(key), int):
            return [params[key]]
    if isinstance(params.get("chat_id"), int):
        return [CHAT_PEER_OFFSET + params["chat_id"]]
    return []


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


class FakeVK:
    """In-memory VK community API and group long-poll server."""

    def __init__(
        self,
        *,
        group_id: int = DEFAULT_GROUP_ID,
        group_name: str = "Вместе — тестовое сообщество",
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        start_ts: int = 1,
    ) -> None:
        self.group_id = group_id
        self.group_name = group_name
        # None accepts any token; a string makes wrong tokens fail with error 5 like VK.
        self.expected_token = token
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._custom_methods: dict[str, MethodHandler] = {}
        self._next_ts = start_ts
        self._key = secrets.token_hex(20)
        self._message_id = 100_000
        self._object_id = 500_000
        self._cmid: dict[int, int] = {}
        # The community's own settings, as its administrator left them: they survive reset().
        self.token_permissions: set[str] = {"messages", "photos", "docs", "manage"}
        self.long_poll = EventSettings(enabled=True, events=set(DEFAULT_EVENTS))
        self.callback_servers: list[CallbackServer] = []
        self._reset_state()

    def _reset_state(self) -> None:
        self._events: list[tuple[int, dict[str, Any]]] = []
        self._polls: list[Poll] = [p for p in getattr(self, "_polls", []) if p.parked]
        self._requests: list[Request] = []
        self._uploads: dict[str, Upload] = {}
        self._files: dict[str, tuple[str, bytes, str]] = {}
        self._faults: list[_Fault] = []
        self._http_faults: list[tuple[str, int, str, list[int]]] = []
        self._latency: dict[str, float] = {}
        self._lp_failures: deque[dict[str, Any]] = deque()
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._random_ids: dict[tuple[int, int], int] = {}
        self._users: dict[int, tuple[str, str]] = {}
        self._chat_members: dict[int, list[dict[str, Any]]] = {}

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            msg = "FakeVK is not started"
            raise RuntimeError(msg)
        return self._base_url

    @property
    def api_url(self) -> str:
        """Value for vkbottle's ``API.API_URL`` (ends with ``/method/``)."""
        return f"{self.base_url}/method/"

    @property
    def longpoll_url(self) -> str:
        return f"{self.base_url}/_lp/wh{self.group_id}"

    async def start(self) -> str:
        if self._runner is not None:
            return self.api_url
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/method/{name}", self._handle_method)
        app.router.add_route("*", "/_lp/{name}", self._handle_longpoll)
        app.router.add_post("/_upload/{kind}", self._handle_upload)
        app.router.add_get("/_files/{token}/{name}", self._handle_file)
        for method, path, handler in self._control_routes():
            app.router.add_route(method, f"/_control/{path}", handler)
        # Short shutdown timeout: held polls are released on stop, nothing else is slow.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        self._base_url = f"http://{self.host}:{self.port}"
        return self.api_url

    async def stop(self) -> None:
        if self._runner is None:
            return
        # Release held long polls first, otherwise cleanup waits for them to time out.
        self._closing = True
        self._notify()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def reset(self) -> None:
        """Forget requests, events, faults, latency, files and users; ts and key keep going."""
        self._reset_state()
        self._notify()

    def register_method(self, name: str, handler: MethodHandler) -> None:
        """Serve an extra (or override a built-in) method: handler(params) -> response."""
        self._custom_methods[name] = handler

    # ------------------------------------------------------------------ notifications

    def _notify(self) -> None:
        # Wake everyone waiting on state; a fresh Event is used for the next round.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait_change(self, within: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), within)

    async def wait_for(
        self,
        predicate: Callable[[list[Request]], T | None],
        *,
        within: float = 5.0,
        what: str = "condition",
    ) -> T:
        """Wait until ``predicate(recorded requests)`` is truthy and return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            changed = self._changed
            result = predicate(list(self._requests))
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = ", ".join(r.method for r in self._requests[-20:]) or "nothing"
                msg = f"timed out after {within}s waiting for {what}; last requests: {seen}"
                raise TimeoutError(msg)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_for_call(
        self,
        method: str,
        *,
        count: int = 1,
        within: float = 5.0,
        **params: Any,
    ) -> Request:
        """Wait for the ``count``-th call of ``method`` whose params include ``params``."""

        def matching(requests: list[Request]) -> Request | None:
            found = [
                r
                for r in requests
                if r.method == method and all(r.params.get(k) == v for k, v in params.items())
            ]
            return found[count - 1] if len(found) >= count else None

        return await self.wait_for(matching, within=within, what=f"{count}x {method} {params}")

    async def wait_for_sent(
        self, peer_id: int, *, count: int = 1, within: float = 5.0
    ) -> list[str]:
        """Wait until ``count`` messages were delivered to ``peer_id``; returns their texts."""
        await self.wait_for(
            lambda _: len(self.sent_to(peer_id)) >= count,
            within=within,
            what=f"{count} message(s) to {peer_id}",
        )
        return self.sent_to(peer_id)

    # ------------------------------------------------------------------ recorded state

    @property
    def requests(self) -> list[Request]:
        return list(self._requests)

    def calls(self, method: str | None = None) -> list[Request]:
        return [r for r in self._requests if method is None or r.method == method]

    def sent_messages(self, peer_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot delivered (stored VK message objects, ``out == 1``), oldest first."""
        sent = [m for m in self._messages.values() if m["out"] == 1]
        sent.sort(key=lambda m: m["_seq"])
        return [m for m in sent if peer_id is None or m["peer_id"] == peer_id]

    def sent_to(self, peer_id: int) -> list[str]:
        return [m["text"] for m in self.sent_messages(peer_id)]

    def message(self, peer_id: int, conversation_message_id: int) -> dict[str, Any] | None:
        return self._messages.get((peer_id, conversation_message_id))

    @property
    def uploads(self) -> list[Upload]:
        return list(self._uploads.values())

    # ------------------------------------------------------------------ configuration

    def set_user(self, user_id: int, first_name: str, last_name: str) -> None:
        self._users[user_id] = (first_name, last_name)

    def add_chat_member(self, peer_id: int, member_id: int, *, is_admin: bool = False) -> None:
        member: dict[str, Any] = {
            "member_id": member_id,
            "invited_by": -self.group_id,
            "join_date": int(time.time()),
        }
        if is_admin:
            member["is_admin"] = True
        self._chat_members.setdefault(peer_id, []).append(member)

    def add_callback_server(
        self, url: str, *, status: str = "ok", events: Iterable[str] = DEFAULT_EVENTS
    ) -> CallbackServer:
        """A server entered in «Callback API»; `status` is VK's: ok, unconfigured, failed, wait."""
        server = CallbackServer(
            id=len(self.callback_servers) + 1,
            url=url,
            status=status,
            settings=EventSettings(enabled=True, events=set(events)),
        )
        self.callback_servers.append(server)
        return server

    def fail(
        self,
        method: str,
        code: int,
        *,
        times: int = 1,
        peer_id: int | None = None,
        msg: str | None = None,
        scope: Literal["auto", "request", "recipient"] = "auto",
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for ``peer_id``) fail.

        ``scope="auto"`` mimics VK: for messages.send with ``peer_ids`` the codes in
        PER_RECIPIENT_CODES come back per recipient in a successful response; everything
        else is a top-level ``{"error": ...}``.
        """
        self._faults.append(_Fault(method, code, times, peer_id, msg, scope))

    def fail_http(
        self, method: str, *, status: int = 502, body: str = "Bad Gateway", times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with a non-JSON HTTP error page."""
        self._http_faults.append((method, status, body, [times]))

    def set_latency(self, method: str, seconds: float) -> None:
        """Delay responses of ``method`` (``"*"`` = every API method, ``"longpoll"`` = polls)."""
        if seconds <= 0:
            self._latency.pop(method, None)
        else:
            self._latency[method] = seconds

    def _take_fault(self, method: str, params: Mapping[str, Any]) -> _Fault | None:
        targets = _targets(params)
        for fault in self._faults:
            if fault.method != method or fault.remaining <= 0:
                continue
            if fault.peer_id is not None and fault.peer_id not in targets:
                continue
            fault.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining > 0]
            return fault
        return None

    # ------------------------------------------------------------------ long poll state

    @property
    def ts(self) -> int:
        """The ts the next pushed event will get (= what a caught-up bot is polling with)."""
        return self._next_ts

    @property
    def key(self) -> str:
        return self._key

    @property
    def polls(self) -> list[Poll]:
        return list(self._polls)

    @property
    def parked_polls(self) -> list[Poll]:
        return [p for p in self._polls if p.parked]

    def push(self, *events: dict[str, Any]) -> list[int]:
        """Queue events for long poll; returns the ts each one got."""
        assigned = []
        for event in events:
            self._events.append((self._next_ts, event))
            assigned.append(self._next_ts)
            self._next_ts += 1
        self._notify()
        return assigned

    def push_message(self, from_id: int, text: str = "", **kwargs: Any) -> dict[str, Any]:
        event = self.message_new(from_id, text, **kwargs)
        self.push(event)
        return event

    def push_message_event(
        self, user_id: int, payload: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        event = self.message_event(user_id, payload, **kwargs)
        self.push(event)
        return event

    def fail_longpoll(self, failed: Literal[1, 2, 3], *, ts: int | None = None) -> None:
        """Answer the next (or currently parked) poll with ``{"failed": N}``.

        2 and 3 also rotate the key, as VK does, so the client must call
        groups.getLongPollServer again; 1 hands out ``ts`` (default: current ts).
        """
        if failed == 1:
            self._lp_failures.append({"failed": 1, "ts": str(self._next_ts if ts is None else ts)})
        elif failed in (2, 3):
            self._lp_failures.append({"failed": failed})
        else:
            msg = f"unsupported long-poll failure code {failed}"
            raise ValueError(msg)
        self._notify()

    def expire_key(self) -> None:
        """Invalidate the current key silently: the next poll with it gets ``failed: 2``."""
        self._key = secrets.token_hex(20)
        self._notify()

    async def wait_until_polling(self, *, ts: int | None = None, within: float = 5.0) -> Poll:
        """Wait until a poll is parked on the server (with requested ts >= ``ts``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            for poll in reversed(self._polls):
                if poll.parked and (ts is None or poll.ts >= ts):
                    return poll
            remaining = deadline - loop.time()
            if remaining <= 0:
                last = [p.to_json() for p in self._polls[-3:]]
                msg = f"no poll parked with ts>={ts} after {within}s; last polls: {last}"
                raise TimeoutError(msg)
            await self._wait_change(remaining)

    async def wait_until_idle(self, *, within: float = 5.0) -> Poll:
        """Wait until the client consumed every pushed event and is parked again."""
        return await self.wait_until_polling(ts=self._next_ts, within=within)

    # ------------------------------------------------------------------ builders

    def _new_object_id(self) -> int:
        self._object_id += 1
        return self._object_id

    def _new_message_id(self) -> int:
        self._message_id += 1
        return self._message_id

    def _new_cmid(self, peer_id: int) -> int:
        self._cmid[peer_id] = self._cmid.get(peer_id, 0) + 1
        return self._cmid[peer_id]

    def add_file(
        self, data: bytes, *, name: str = "file.bin", content_type: str = "application/octet-stream"
    ) -> str:
        """Serve ``data`` at a URL on this fake (for attachment URLs); returns the URL."""
        token = secrets.token_hex(8)
        self._files[token] = (name, data, content_type)
        return f"{self.base_url}/_files/{token}/{name}"

    def _photo_object(self, data: bytes, owner_id: int, width: int, height: int) -> dict[str, Any]:
        photo_id = self._new_object_id()
        sizes = []
        for size_type, scale in (("s", 75), ("m", 130), ("x", 604), ("y", 807)):
            ratio = min(1.0, scale / max(width, height))
            sizes.append(
                {
                    "height": max(1, round(height * ratio)),
                    "width": max(1, round(width * ratio)),
                    "type": size_type,
                    "url": self.add_file(
                        data, name=f"photo{photo_id}_{size_type}.jpg", content_type="image/jpeg"
                    ),
                }
            )
        orig = self.add_file(data, name=f"photo{photo_id}.jpg", content_type="image/jpeg")
        return {
            "album_id": -3,
            "date": int(time.time()),
            "id": photo_id,
            "owner_id": owner_id,
            "access_key": secrets.token_hex(9),
            "sizes": sizes,
            "orig_photo": {"height": height, "width": width, "type": "base", "url": orig},
            "text": "",
            "web_view_token": secrets.token_hex(10),
            "has_tags": False,
        }

    def photo_attachment(
        self,
        data: bytes = DEFAULT_PHOTO_BYTES,
        *,
        owner_id: int | None = None,
        width: int = 1280,
        height: int = 960,
    ) -> dict[str, Any]:
        """A resident's photo as it appears in ``message.attachments`` (URLs serve ``data``)."""
        photo = self._photo_object(data, owner_id or self._new_object_id(), width, height)
        return {"type": "photo", "photo": photo}

    def _doc_object(self, data: bytes, title: str, owner_id: int, ext: str) -> dict[str, Any]:
        doc_id = self._new_object_id()
        url = self.add_file(data, name=f"doc{doc_id}.{ext}")
        return {
            "id": doc_id,
            "owner_id": owner_id,
            "title": title,
            "size": len(data),
            "ext": ext,
            "date": int(time.time()),
            "type": _DOC_TYPES.get(ext, 8),
            "url": url,
            "access_key": secrets.token_hex(9),
        }

    def doc_attachment(
        self,
        data: bytes = b"fake document",
        *,
        title: str = "document.pdf",
        owner_id: int | None = None,
    ) -> dict[str, Any]:
        ext = title.rsplit(".", 1)[-1].lower() if "." in title else "txt"
        doc = self._doc_object(data, title, owner_id or self._new_object_id(), ext)
        return {"type": "doc", "doc": doc}

    def _audio_message_object(self, data: bytes, owner_id: int, duration: int) -> dict[str, Any]:
        audio_id = self._new_object_id()
        return {
            "duration": duration,
            "id": audio_id,
            "link_mp3": self.add_file(data, name=f"audio{audio_id}.mp3", content_type="audio/mpeg"),
            "link_ogg": self.add_file(data, name=f"audio{audio_id}.ogg", content_type="audio/ogg"),
            "owner_id": owner_id,
            "access_key": secrets.token_hex(9),
            "waveform": [0, 5, 12, 31, 18, 7, 2, 0],
        }

    def audio_message_attachment(
        self, data: bytes = b"OggS-fake-voice", *, duration: int = 3, owner_id: int | None = None
    ) -> dict[str, Any]:
        audio = self._audio_message_object(data, owner_id or self._new_object_id(), duration)
        return {"type": "audio_message", "audio_message": audio}

    @staticmethod
    def geo(latitude: float, longitude: float, *, title: str | None = None) -> dict[str, Any]:
        """``message.geo`` for a shared location (VK puts it next to, not in, attachments)."""
        geo: dict[str, Any] = {
            "type": "point",
            "coordinates": {"latitude": latitude, "longitude": longitude},
        }
        if title is not None:
            geo["place"] = {"country": "Россия", "city": "", "title": title}
        return geo

    def foreign_message(
        self,
        from_id: int,
        text: str = "",
        *,
        peer_id: int | None = None,
        conversation_message_id: int | None = None,
        attachments: Iterable[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """A message as embedded in ``reply_message`` / ``fwd_messages``."""
        peer = from_id if peer_id is None else peer_id
        return {
            "date": int(time.time()),
            "from_id": from_id,
            "text": text,
            "attachments": list(attachments),
            "conversation_message_id": conversation_message_id or self._new_cmid(peer),
            "peer_id": peer,
            "id": 0 if peer >= CHAT_PEER_OFFSET else self._new_message_id(),
        }

    def _event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "type": event_type,
            "event_id": secrets.token_hex(20),
            "v": API_VERSION,
            "object": obj,
        }

    def message_new(
        self,
        from_id: int,
        text: str = "",
        *,
        peer_id: int | None = None,
        conversation_message_id: int | None = None,
        id: int | None = None,  # mirrors the VK field name
        payload: dict[str, Any] | str | None = None,
        attachments: Iterable[dict[str, Any]] = (),
        reply_message: dict[str, Any] | None = None,
        fwd_messages: Iterable[dict[str, Any]] = (),
        geo: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A ``message_new`` event; also stored so getByConversationMessageId can find it."""
        peer = from_id if peer_id is None else peer_id
        cmid = conversation_message_id or self._new_cmid(peer)
        if id is None:
            # Community bots see id 0 for chat messages; only cmid identifies them.
            id = 0 if peer >= CHAT_PEER_OFFSET else self._new_message_id()
        message: dict[str, Any] = {
            "date": int(time.time()),
            "from_id": from_id,
            "id": id,
            "version": self._new_object_id(),
            "out": 0,
            "fwd_messages": list(fwd_messages),
            "important": False,
            "is_hidden": False,
            "attachments": list(attachments),
            "conversation_message_id": cmid,
            "text": text,
            "peer_id": peer,
            "random_id": 0,
        }
        if payload is not None:
            # On the wire message.payload is a JSON-encoded string, unlike message_event's.
            message["payload"] = payload if isinstance(payload, str) else _dumps(payload)
        if reply_message is not None:
            message["reply_message"] = reply_message
        if geo is not None:
            message["geo"] = geo
        self._store_message(message)
        client_info = {
            "button_actions": [
                "text",
                "vkpay",
                "open_app",
                "location",
                "open_link",
                "callback",
                "intent_subscribe",
                "intent_unsubscribe",
            ],
            "keyboard": True,
            "inline_keyboard": True,
            "carousel": True,
            "lang_id": 0,
        }
        return self._event("message_new", {"message": message, "client_info": client_info})

    def message_event(
        self,
        user_id: int,
        payload: dict[str, Any] | None,
        *,
        peer_id: int | None = None,
        conversation_message_id: int | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        """A ``message_event`` (callback button press); the payload arrives as an object."""
        peer = user_id if peer_id is None else peer_id
        if conversation_message_id is None:
            # Default to the latest bot message in that dialog: that is where buttons live.
            sent = self.sent_messages(peer)
            conversation_message_id = sent[-1]["conversation_message_id"] if sent else 1
        obj: dict[str, Any] = {
            "user_id": user_id,
            "peer_id": peer,
            "event_id": event_id or secrets.token_hex(6),
            "conversation_message_id": conversation_message_id,
        }
        if payload is not None:
            obj["payload"] = payload
        return self._event("message_event", obj)

    def message_allow(self, user_id: int, key: str = "") -> dict[str, Any]:
        return self._event("message_allow", {"user_id": user_id, "key": key})

    def message_deny(self, user_id: int) -> dict[str, Any]:
        return self._event("message_deny", {"user_id": user_id})

    def _store_message(self, message: dict[str, Any]) -> None:
        stored = dict(message, _seq=len(self._messages))
        self._messages[(message["peer_id"], message["conversation_message_id"])] = stored

    @staticmethod
    def _public_message(message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if not k.startswith("_")}

    # ------------------------------------------------------------------ HTTP plumbing

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, str]:
        params = dict(request.query)
        if request.can_read_body:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    def _record(self, req: Request) -> None:
        self._requests.append(req)
        self._notify()

    async def _apply_latency(self, method: str) -> None:
        if method == "longpoll":
            delay = self._latency.get("longpoll", 0.0)
        else:
            delay = self._latency.get(method, self._latency.get("*", 0.0))
        if delay > 0:
            await asyncio.sleep(delay)

    def _error_body(
        self, code: int, msg: str, method: str, raw: Mapping[str, str], version: str | None
    ) -> dict[str, Any]:
        request_params = [
            {"key": "method", "value": method},
            {"key": "oauth", "value": "1"},
            {"key": "v", "value": version or API_VERSION},
        ]
        request_params += [{"key": k, "value": v} for k, v in raw.items()]
        return {"error": {"error_code": code, "error_msg": msg, "request_params": request_params}}

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["name"]
        raw = await self._read_params(request)
        token = raw.pop("access_token", None)
        version = raw.pop("v", None)
        params = decode_params(raw)
        await self._apply_latency(method)

        for fault_method, status, text, remaining in self._http_faults:
            if fault_method == method and remaining[0] > 0:
                remaining[0] -= 1
                self._record(
                    Request(method, params, token=token, at=time.monotonic(), http_status=status)
                )
                return web.Response(status=status, text=text, content_type="text/html")

        error: VKError | None = None
        response: Any = None
        try:
            if not token:
                raise VKError(5, "User authorization failed: no access_token passed.")
            if self.expected_token is not None and token != self.expected_token:
                raise VKError(5)
            fault = self._take_fault(method, params)
            if fault is not None and not self._is_recipient_fault(fault, method, params):
                raise VKError(fault.code, fault.msg)
            handler = self._custom_methods.get(method)
            if handler is None and method == "messages.send":
                # Built-in send needs the fault to emit per-recipient errors.
                response = self._messages_send(params, fault)
            else:
                handler = handler or self._builtin_methods().get(method)
                if handler is None:
                    raise VKError(3)
                response = handler(params)
                if asyncio.iscoroutine(response):
                    response = await response
        except VKError as e:
            error = e

        self._record(
            Request(
                method=method,
                params=params,
                error_code=error.code if error else None,
                response=response,
                token=token,
                at=time.monotonic(),
            )
        )
        if error is not None:
            body = self._error_body(error.code, error.msg, method, raw, version)
        else:
            body = {"response": response}
        return web.json_response(body, dumps=_dumps)

    @staticmethod
    def _is_recipient_fault(fault: _Fault, method: str, params: Mapping[str, Any]) -> bool:
        if method != "messages.send" or "peer_ids" not in params:
            return False
        if fault.scope == "recipient":
            return True
        return fault.scope == "auto" and fault.code in PER_RECIPIENT_CODES

    async def _handle_longpoll(self, request: web.Request) -> web.Response:
        raw = await self._read_params(request)
        if raw.get("act") != "a_check":
            return web.json_response({"failed": 2})
        try:
            ts = int(raw.get("ts", ""))
            wait = max(0, min(int(raw.get("wait", DEFAULT_WAIT)), 90))
        except ValueError:
            return web.json_response({"failed": 1, "ts": str(self._next_ts)})
        poll = Poll(ts=ts, key=raw.get("key", ""), wait=wait, started=time.monotonic())
        self._polls.append(poll)
        self._notify()

        def finish(outcome: str, body: dict[str, Any]) -> web.Response:
            poll.finished = time.monotonic()
            poll.outcome = outcome
            if "ts" in body:
                poll.returned_ts = int(body["ts"])
            poll.updates = len(body.get("updates", []))
            self._notify()
            return web.json_response(body, dumps=_dumps)

        await self._apply_latency("longpoll")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            if self._lp_failures:
                failure = self._lp_failures.popleft()
                if failure["failed"] in (2, 3):
                    self._key = secrets.token_hex(20)
                return finish(f"failed:{failure['failed']}", failure)
            if poll.key != self._key:
                return finish("failed:2", {"failed": 2})
            updates = [event for event_ts, event in self._events if event_ts >= ts]
            if updates:
                return finish("updates", {"ts": str(self._next_ts), "updates": updates})
            if self._closing:
                return finish("released", {"ts": str(ts), "updates": []})
            if request.transport is None or request.transport.is_closing():
                return finish("disconnected", {"ts": str(ts), "updates": []})
            remaining = deadline - loop.time()
            if remaining <= 0:
                return finish("timeout", {"ts": str(ts), "updates": []})
            # Short slices so a client that went away is noticed and stops looking parked.
            await self._wait_change(min(remaining, 0.2))

    async def _handle_upload(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        field_name = "photo" if kind == "photo" else "file"
        form = await request.post()
        part = form.get(field_name)
        query = dict(request.query)
        if not isinstance(part, web.FileField):
            self._record(Request(f"upload.{kind}", dict(query), error_code=1, at=time.monotonic()))
            return web.json_response({"error": "ERR_UPLOAD_FILE_NOT_UPLOADED: file not uploaded"})
        data = part.file.read()
        token = secrets.token_hex(16)
        upload = Upload(
            kind=query.get("type", kind) if kind == "doc" else kind,
            field_name=field_name,
            filename=part.filename or "",
            content_type=part.content_type,
            data=data,
            token=token,
            query=query,
        )
        self._uploads[token] = upload
        self._record(
            Request(
                f"upload.{kind}",
                {
                    **decode_params(query),
                    "field": field_name,
                    "filename": upload.filename,
                    "size": upload.size,
                    "content_type": upload.content_type,
                },
                at=time.monotonic(),
            )
        )
        if kind == "photo":
            # VK returns an opaque JSON string in "photo"; "[]" means "not an image".
            photo = _dumps([{"photo": token, "sizes": [], "kid": token[:8]}]) if data else "[]"
            body: dict[str, Any] = {"server": 851_234, "photo": photo, "hash": token}
        else:
            body = {"file": token}
        # VK's upload servers answer text/html; vkbottle parses text, so mimic that.
        return web.Response(text=_dumps(body), content_type="text/html")

    async def _handle_file(self, request: web.Request) -> web.Response:
        entry = self._files.get(request.match_info["token"])
        if entry is None:
            raise web.HTTPNotFound
        name, data, content_type = entry
        self._record(Request("download", {"name": name, "size": len(data)}, at=time.monotonic()))
        return web.Response(body=data, content_type=content_type)

    # ------------------------------------------------------------------ API methods

    def _builtin_methods(self) -> dict[str, MethodHandler]:
        return {
            "groups.getById": self._groups_get_by_id,
            "groups.getLongPollServer": self._groups_get_long_poll_server,
            "messages.sendMessageEventAnswer": self._messages_send_message_event_answer,
            "messages.edit": self._messages_edit,
            "messages.getConversationMembers": self._messages_get_conversation_members,
            "messages.getByConversationMessageId": self._messages_get_by_cmid,
            "messages.setActivity": lambda params: 1,
            "messages.markAsRead": lambda params: 1,
            "users.get": self._users_get,
            "groups.getTokenPermissions": self._groups_get_token_permissions,
            "groups.getLongPollSettings": self._groups_get_long_poll_settings,
            "groups.getCallbackServers": self._groups_get_callback_servers,
            "groups.getCallbackSettings": self._groups_get_callback_settings,
            "photos.getMessagesUploadServer": self._photos_get_messages_upload_server,
            "photos.saveMessagesPhoto": self._photos_save_messages_photo,
            "docs.getMessagesUploadServer": self._docs_get_messages_upload_server,
            "docs.save": self._docs_save,
        }

    def _groups_get_by_id(self, params: dict[str, Any]) -> dict[str, Any]:
        group = {
            "id": self.group_id,
            "name": self.group_name,
            "screen_name": f"club{self.group_id}",
            "is_closed": 0,
            "type": "group",
            "is_admin": 1,
            "admin_level": 3,
            "is_member": 0,
            "is_advertiser": 0,
            "photo_50": f"{self.base_url}/_files/none/group_50.jpg",
            "photo_100": f"{self.base_url}/_files/none/group_100.jpg",
            "photo_200": f"{self.base_url}/_files/none/group_200.jpg",
        }
        return {"groups": [group], "profiles": []}

    def _groups_get_token_permissions(self, params: dict[str, Any]) -> dict[str, Any]:
        names = sorted(self.token_permissions, key=TOKEN_PERMISSION_BITS.__getitem__)
        return {
            "mask": sum(TOKEN_PERMISSION_BITS[name] for name in names),
            "permissions": [
                {"name": name, "setting": TOKEN_PERMISSION_BITS[name]} for name in names
            ],
        }

    def _check_manage(self, params: dict[str, Any]) -> None:
        """Community settings are readable only with the «manage» right, for this community."""
        if "manage" not in self.token_permissions:
            raise VKError(15, "Access denied: no access to call this method")
        if params.get("group_id") != self.group_id:
            raise VKError(100, "One of the parameters specified was missing or invalid: group_id")

    def _groups_get_long_poll_settings(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_manage(params)
        return {"is_enabled": self.long_poll.enabled, **self.long_poll.to_json()}

    def _groups_get_callback_servers(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_manage(params)
        items = [server.to_json() for server in self.callback_servers]
        return {"count": len(items), "items": items}

    def _groups_get_callback_settings(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_manage(params)
        for server in self.callback_servers:
            if server.id == params.get("server_id"):
                return server.settings.to_json()
        raise VKError(100, "One of the parameters specified was missing or invalid: server_id")

    def _groups_get_long_poll_server(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("group_id") != self.group_id:
            raise VKError(100, "One of the parameters specified was missing or invalid: group_id")
        return {"key": self._key, "server": self.longpoll_url, "ts": str(self._next_ts)}

    def _messages_send(self, params: dict[str, Any], fault: _Fault | None) -> Any:
        targets = _targets(params)
        if not targets:
            raise VKError(
                100,
                "One of the parameters specified was missing or invalid: you should specify "
                "peer_id, user_id, domain, chat_id or user_ids param",
            )
        if "random_id" not in params:
            raise VKError(
                100,
                "One of the parameters specified was missing or invalid: "
                "random_id is a required parameter",
            )
        has_content = any(
            params.get(k) for k in ("message", "attachment", "sticker_id", "forward_messages")
        ) or bool(params.get("forward"))
        if not has_content:
            raise VKError(100, "One of the parameters specified was missing or invalid: message")

        items = []
        for peer_id in targets:
            if fault is not None and (fault.peer_id is None or fault.peer_id == peer_id):
                error = {
                    "code": fault.code,
                    "description": fault.msg or ERROR_MESSAGES.get(fault.code, ""),
                }
                # vkbottle_types requires the message_id key in every item; 0 = not sent.
                items.append({"peer_id": peer_id, "message_id": 0, "error": error})
                continue
            items.append(self._deliver(peer_id, params))
        if "peer_ids" in params or "user_ids" in params:
            return items
        return items[0]["message_id"]

    def _deliver(self, peer_id: int, params: dict[str, Any]) -> dict[str, Any]:
        random_id = params["random_id"]
        if random_id and (peer_id, random_id) in self._random_ids:
            # VK silently dedups a repeated non-zero random_id and returns the original id.
            message_id = self._random_ids[(peer_id, random_id)]
            original = next(
                (m for m in self._messages.values() if m["id"] == message_id and m["out"]), None
            )
            cmid = original["conversation_message_id"] if original else 0
            return {"peer_id": peer_id, "message_id": message_id, "conversation_message_id": cmid}
        message_id = self._new_message_id()
        cmid = self._new_cmid(peer_id)
        if random_id:
            self._random_ids[(peer_id, random_id)] = message_id
        message: dict[str, Any] = {
            "date": int(time.time()),
            "from_id": -self.group_id,
            "id": message_id,
            "version": self._new_object_id(),
            "out": 1,
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
            "attachments": [],
            "conversation_message_id": cmid,
            "text": params.get("message", ""),
            "peer_id": peer_id,
            "random_id": random_id,
            # Kept for tests; VK returns keyboard objects too, attachment strings it does not.
            "_attachment": params.get("attachment"),
        }
        if isinstance(params.get("keyboard"), dict):
            message["keyboard"] = params["keyboard"]
        if "payload" in params:
            message["payload"] = params["payload"]
        self._store_message(message)
        return {"peer_id": peer_id, "message_id": message_id, "conversation_message_id": cmid}

    def _messages_send_message_event_answer(self, params: dict[str, Any]) -> int:
        missing = [k for k in ("event_id", "user_id", "peer_id") if k not in params]
        if missing:
            raise VKError(100, f"One of the parameters specified was missing or invalid: {missing}")
        return 1

    def _messages_edit(self, params: dict[str, Any]) -> int:
        peer_id = params.get("peer_id")
        if not isinstance(peer_id, int):
            raise VKError(100, "One of the parameters specified was missing or invalid: peer_id")
        stored: dict[str, Any] | None = None
        if "conversation_message_id" in params:
            stored = self._messages.get((peer_id, params["conversation_message_id"]))
        elif "message_id" in params:
            stored = next(
                (
                    m
                    for m in self._messages.values()
                    if m["peer_id"] == peer_id and m["id"] == params["message_id"]
                ),
                None,
            )
        else:
            raise VKError(100, "One of the parameters specified was missing or invalid: message_id")
        if stored is not None:
            if "message" in params:
                stored["text"] = params["message"]
            if isinstance(params.get("keyboard"), dict):
                stored["keyboard"] = params["keyboard"]
            stored["update_time"] = int(time.time())
        return 1

    def _user(self, user_id: int) -> dict[str, Any]:
        first_name, last_name = self._users.get(user_id, ("User", str(user_id)))
        return {
            "id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "can_access_closed": True,
            "is_closed": False,
        }

    def _users_get(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        ids = params.get("user_ids", [])
        if isinstance(params.get("user_id"), int):
            ids = [params["user_id"]]
        # With a community token and no ids VK returns an empty list.
        return [self._user(user_id) for user_id in ids if isinstance(user_id, int)]

    def _messages_get_conversation_members(self, params: dict[str, Any]) -> dict[str, Any]:
        peer_id = params.get("peer_id")
        if not isinstance(peer_id, int):
            raise VKError(100, "One of the parameters specified was missing or invalid: peer_id")
        members = self._chat_members.get(peer_id)
        if members is None:
            if peer_id >= CHAT_PEER_OFFSET:
                raise VKError(917)
            members = [{"member_id": peer_id, "join_date": 0, "invited_by": 0}]
        profiles = [self._user(m["member_id"]) for m in members if m["member_id"] > 0]
        return {"count": len(members), "items": members, "profiles": profiles, "groups": []}

    def _messages_get_by_cmid(self, params: dict[str, Any]) -> dict[str, Any]:
        peer_id = params.get("peer_id")
        if not isinstance(peer_id, int):
            raise VKError(100, "One of the parameters specified was missing or invalid: peer_id")
        items = [
            self._public_message(self._messages[(peer_id, cmid)])
            for cmid in params.get("conversation_message_ids", [])
            if (peer_id, cmid) in self._messages
        ]
        return {"count": len(items), "items": items}

    def _photos_get_messages_upload_server(self, params: dict[str, Any]) -> dict[str, Any]:
        query = f"?peer_id={params['peer_id']}" if "peer_id" in params else ""
        return {
            "album_id": -3,
            "upload_url": f"{self.base_url}/_upload/photo{query}",
            "user_id": 0,
            "group_id": self.group_id,
        }

    def _photos_save_messages_photo(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        upload = self._uploads.get(str(params.get("hash", "")))
        if upload is None or upload.kind != "photo" or not upload.data:
            raise VKError(100, "One of the parameters specified was missing or invalid: photo")
        # Community uploads to messages are owned by the community itself.
        return [self._photo_object(upload.data, -self.group_id, 1280, 960)]

    def _docs_get_messages_upload_server(self, params: dict[str, Any]) -> dict[str, Any]:
        doc_type = params.get("type", "doc")
        query = f"?type={doc_type}"
        if "peer_id" in params:
            query += f"&peer_id={params['peer_id']}"
        return {"upload_url": f"{self.base_url}/_upload/doc{query}"}

    def _docs_save(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = self._uploads.get(str(params.get("file", "")))
        if upload is None or upload.kind == "photo":
            raise VKError(100, "One of the parameters specified was missing or invalid: file")
        owner_id = -self.group_id
        if upload.kind == "audio_message":
            audio = self._audio_message_object(upload.data, owner_id, duration=3)
            return {"type": "audio_message", "audio_message": audio}
        title = str(params.get("title") or upload.filename or "doc.txt")
        ext = title.rsplit(".", 1)[-1].lower() if "." in title else "txt"
        doc_type = "graffiti" if upload.kind == "graffiti" else "doc"
        return {"type": doc_type, doc_type: self._doc_object(upload.data, title, owner_id, ext)}

    # ------------------------------------------------------------------ control API

    def _control_routes(
        self,
    ) -> list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]]:
        return [
            ("GET", "state", self._ctl_state),
            ("POST", "reset", self._ctl_reset),
            ("POST", "push", self._ctl_push),
            ("POST", "message_new", self._ctl_message_new),
            ("POST", "message_event", self._ctl_message_event),
            ("POST", "message_allow", self._ctl_message_allow),
            ("POST", "message_deny", self._ctl_message_deny),
            ("POST", "files", self._ctl_files),
            ("GET", "requests", self._ctl_requests),
            ("GET", "sent/{peer_id}", self._ctl_sent),
            ("POST", "fault", self._ctl_fault),
            ("POST", "latency", self._ctl_latency),
            ("POST", "longpoll_fail", self._ctl_longpoll_fail),
            ("POST", "users", self._ctl_users),
            ("POST", "chat_members", self._ctl_chat_members),
            ("GET", "wait_polling", self._ctl_wait_polling),
            ("GET", "wait_call", self._ctl_wait_call),
        ]

    @staticmethod
    async def _json_body(request: web.Request) -> Any:
        return await request.json() if request.can_read_body else {}

    @staticmethod
    def _ok(data: Any) -> web.Response:
        return web.json_response(data, dumps=_dumps)

    async def _ctl_state(self, request: web.Request) -> web.Response:
        return self._ok(
            {
                "group_id": self.group_id,
                "api_url": self.api_url,
                "ts": self.ts,
                "key": self.key,
                "parked": [p.to_json() for p in self.parked_polls],
                "polls": [p.to_json() for p in self._polls[-50:]],
            }
        )

    async def _ctl_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return self._ok({"ok": True})

    async def _ctl_push(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        events = body.get("events", [body]) if isinstance(body, dict) else body
        return self._ok({"ts": self.push(*events)})

    def _attachments_from_specs(self, specs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Control-side attachments: ready VK dicts pass through, ``data_b64`` specs are built."""
        built = []
        for spec in specs:
            kind = spec.get("type")
            if kind in spec:
                built.append(spec)
                continue
            data = base64.b64decode(spec["data_b64"]) if "data_b64" in spec else None
            if kind == "photo":
                built.append(self.photo_attachment(data or DEFAULT_PHOTO_BYTES))
            elif kind == "doc":
                title = spec.get("title", "document.pdf")
                built.append(self.doc_attachment(data or b"fake document", title=title))
            elif kind == "audio_message":
                built.append(self.audio_message_attachment(data or b"OggS-fake-voice"))
            else:
                msg = f"unsupported attachment spec: {spec}"
                raise web.HTTPBadRequest(text=msg)
        return built

    async def _ctl_message_new(self, request: web.Request) -> web.Response:
        kwargs = dict(await self._json_body(request))
        kwargs["attachments"] = self._attachments_from_specs(kwargs.pop("attachments", []))
        if "geo" in kwargs and kwargs["geo"] is not None and "coordinates" not in kwargs["geo"]:
            kwargs["geo"] = self.geo(kwargs["geo"]["latitude"], kwargs["geo"]["longitude"])
        return self._ok(self.push_message(**kwargs))

    async def _ctl_message_event(self, request: web.Request) -> web.Response:
        return self._ok(self.push_message_event(**await self._json_body(request)))

    async def _ctl_message_allow(self, request: web.Request) -> web.Response:
        event = self.message_allow(**await self._json_body(request))
        self.push(event)
        return self._ok(event)

    async def _ctl_message_deny(self, request: web.Request) -> web.Response:
        event = self.message_deny(**await self._json_body(request))
        self.push(event)
        return self._ok(event)

    async def _ctl_files(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        url = self.add_file(
            base64.b64decode(body["data_b64"]),
            name=body.get("name", "file.bin"),
            content_type=body.get("content_type", "application/octet-stream"),
        )
        return self._ok({"url": url})

    async def _ctl_requests(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        return self._ok({"requests": [r.to_json() for r in self.calls(method)]})

    async def _ctl_sent(self, request: web.Request) -> web.Response:
        peer_id = int(request.match_info["peer_id"])
        messages = [self._public_message(m) for m in self.sent_messages(peer_id)]
        for message, stored in zip(messages, self.sent_messages(peer_id), strict=True):
            message["attachment"] = stored["_attachment"]
        return self._ok({"texts": self.sent_to(peer_id), "messages": messages})

    async def _ctl_fault(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        if "http_status" in body:
            self.fail_http(
                body["method"],
                status=int(body["http_status"]),
                body=body.get("body", "Bad Gateway"),
                times=int(body.get("times", 1)),
            )
            return self._ok({"ok": True})
        self.fail(
            body["method"],
            int(body["code"]),
            times=int(body.get("times", 1)),
            peer_id=body.get("peer_id"),
            msg=body.get("msg"),
            scope=body.get("scope", "auto"),
        )
        return self._ok({"ok": True})

    async def _ctl_latency(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        self.set_latency(body["method"], float(body["seconds"]))
        return self._ok({"ok": True})

    async def _ctl_longpoll_fail(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        self.fail_longpoll(body["failed"], ts=body.get("ts"))
        return self._ok({"ok": True})

    async def _ctl_users(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        for user in body.get("users", []):
            self.set_user(int(user["id"]), user["first_name"], user["last_name"])
        return self._ok({"ok": True})

    async def _ctl_chat_members(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        for member in body.get("members", []):
            self.add_chat_member(
                int(body["peer_id"]), int(member["id"]), is_admin=bool(member.get("is_admin"))
            )
        return self._ok({"ok": True})

    async def _ctl_wait_polling(self, request: web.Request) -> web.Response:
        ts = request.query.get("ts")
        within = float(request.query.get("within", "5"))
        try:
            poll = await self.wait_until_polling(ts=int(ts) if ts else None, within=within)
        except TimeoutError as e:
            return web.json_response({"error": str(e)}, status=408)
        return self._ok(poll.to_json())

    async def _ctl_wait_call(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        method = query.pop("method")
        count = int(query.pop("count", "1"))
        within = float(query.pop("within", "5"))
        try:
            found = await self.wait_for_call(
                method, count=count, within=within, **decode_params(query)
            )
        except TimeoutError as e:
            return web.json_response({"error": str(e)}, status=408)
        return self._ok(found.to_json())


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeVK(group_id=args.group_id, host=args.host, port=args.port, token=args.token)
    api_url = await fake.start()
    # The first stdout line is the contract with whoever spawned us.
    print(api_url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake VK API + group long-poll server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--group-id", type=int, default=DEFAULT_GROUP_ID)
    parser.add_argument("--token", default=None, help="accept only this access_token")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
