"""A small fake Telegram Bot API server for tests and benchmarks.

In-process use::

    async with FakeTelegram() as tg:
        bot = tg.make_bot()
        tg.push_message(42, "/start")
        await tg.wait_for("sendMessage")

Standalone use (benchmarks)::

    python -m tests.fakes.telegram --port 0    # prints the base URL on the first stdout line

Control endpoints (JSON in, JSON out) call the very same public methods as the
Python API, so both modes behave identically:

* ``POST /_control/{op}`` with a JSON object of keyword arguments, where ``op`` is one of
  ``CONTROL_OPS`` (e.g. ``push_update``, ``push_message``, ``inject_retry_after``, ``reset``,
  ``wait_for``); the reply is ``{"ok": true, "result": ...}``.
* ``GET /_control/requests?method=&chat_id=&since=`` - recorded requests.
* ``GET /_control/state`` - update queue / confirmation / counters snapshot.

Behaviour worth knowing when writing tests:

* Messages sent with ``parse_mode=HTML`` are checked like Telegram does; bad markup fails with
  ``Bad Request: can't parse entities``. Stored/returned message text is the plain text.
* A message in a forum topic without an explicit reply gets ``reply_to_message`` pointing to the
  topic's ``forum_topic_created`` service message, exactly like real Telegram.
* ``editMessage*`` with identical content fails with ``message is not modified``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import inspect
import itertools
import json
import re
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

if TYPE_CHECKING:
    from aiogram import Bot

__all__ = ["CONTROL_OPS", "DEFAULT_TOKEN", "ApiError", "FakeTelegram", "Request", "bot_for"]

DEFAULT_TOKEN = "123456789:AAFakeTokenForVmesteBotTestsOnly0000"
BOT_USERNAME = "vmeste_test_bot"
BOT_FIRST_NAME = "Vmeste Test Bot"
HOST = "127.0.0.1"

# Uploads up to Telegram's own 50 MB limit must not be rejected by aiohttp's 1 MiB default.
_MAX_BODY = 64 * 1024 * 1024
_DEFAULT_ICON_COLOR = 0x6FB9F0

# Free-text / identifier fields that must never be JSON-decoded: "123" is a valid
# callback_query_id and "[1]" a valid message text.
_TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "title",
        "name",
        "description",
        "short_description",
        "query",
        "question",
        "explanation",
        "first_name",
        "last_name",
        "phone_number",
        "address",
        "vcard",
        "emoji",
        "custom_title",
        "callback_query_id",
        "inline_message_id",
        "icon_custom_emoji_id",
        "message_effect_id",
        "business_connection_id",
        "file_id",
        "url",
        "secret_token",
        "parse_mode",
        "caption_parse_mode",
        "action",
        "language_code",
        "payload",
        "start_parameter",
        "performer",
        "photo",
        "document",
        "voice",
        "video",
        "audio",
        "animation",
        "video_note",
        "sticker",
        "thumbnail",
        "cover",
    }
)
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")

# Methods that produce a new message in chat_id (and so obey topic state and faults per chat).
_MEDIA_METHODS: dict[str, str] = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendAnimation": "animation",
    "sendVideoNote": "video_note",
    "sendSticker": "sticker",
}
_THREAD_CHECKED = frozenset(
    {
        "sendMessage",
        *_MEDIA_METHODS,
        "sendLocation",
        "sendContact",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "sendChatAction",
    }
)
# File downloads (`/file/bot<token>/<path>`) are recorded, and take faults, under this name.
FILE_METHOD = "file"
# Wildcard faults ("*") never hit the poller or downloads: a test breaking every call rarely
# means getUpdates.
_WILDCARD_EXEMPT = frozenset({"getUpdates", FILE_METHOD})
_TRUE_METHODS = (
    "close",
    "logOut",
    "setWebhook",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "unpinAllForumTopicMessages",
    "setMessageReaction",
    "banChatMember",
    "unbanChatMember",
    "restrictChatMember",
    "leaveChat",
)

_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")

_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
    "can_send_welcome_messages": False,
}
_RESTRICTED_RIGHTS = {
    "is_member": True,
    "can_send_messages": False,
    "can_send_audios": False,
    "can_send_documents": False,
    "can_send_photos": False,
    "can_send_videos": False,
    "can_send_video_notes": False,
    "can_send_voice_notes": False,
    "can_send_polls": False,
    "can_send_other_messages": False,
    "can_add_web_page_previews": False,
    "can_react_to_messages": False,
    "can_edit_tag": False,
    "can_change_info": False,
    "can_invite_users": False,
    "can_pin_messages": False,
    "can_manage_topics": False,
    "until_date": 0,
}
_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})

ChatId = int | str
Predicate = Callable[[list["Request"]], bool]


@dataclass(slots=True)
class Request:
    """One Bot API call as the fake saw it.

    Calls are recorded once answered, except getUpdates: it is recorded on arrival (the poller
    is visibly up while its long poll is held) and its ``response`` is empty until answered.
    """

    method: str
    params: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    token: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def error_code(self) -> int | None:
        return self.response.get("error_code")

    @property
    def chat_id(self) -> ChatId | None:
        return self.params.get("chat_id")

    def to_json(self, index: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "method": self.method,
            "params": self.params,
            "response": self.response,
        }
        if index is not None:
            data["index"] = index
        return data


class ApiError(Exception):
    """A Telegram-shaped error reply; raised by handlers and by injected faults."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(slots=True)
class _Fault:
    method: str
    chat_id: ChatId | None
    error: ApiError
    remaining: int | None  # None = until cleared

    def matches(self, method: str, chat_id: ChatId | None) -> bool:
        if self.method == "*":
            if method in _WILDCARD_EXEMPT:
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(slots=True)
class _File:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass(slots=True)
class _Topic:
    name: str
    icon_color: int = _DEFAULT_ICON_COLOR
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False


def _now() -> int:
    return int(time.time())


def _as_timestamp(value: int | float | datetime | None) -> int:
    if value is None:
        return _now()
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


def _utf16_len(text: str) -> int:
    # Telegram entity offsets and lengths are counted in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _decode_value(key: str, value: Any) -> Any:
    """Turn a form/query string into the JSON value the client serialised."""
    if not isinstance(value, str) or key in _TEXT_FIELDS or not value:
        return value
    if value[0] in '{["' or value in ("true", "false", "null") or _NUMBER_RE.fullmatch(value):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _normalize_chat_id(value: Any) -> ChatId | None:
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value) and "." not in value:
        return int(value)
    return str(value)


def _render_html(text: str) -> str:
    """Validate Telegram-style HTML and return the plain text the user would see."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt == -1:
            out.append(text[pos:])
            break
        out.append(text[pos:lt])
        offset = len(text[:lt].encode("utf-8"))
        match = _HTML_TAG_RE.match(text, lt)
        if match is None:
            raise _bad_request(
                f'can\'t parse entities: Unsupported start tag "" at byte offset {offset}'
            )
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if tag not in _HTML_TAGS:
            kind = "end" if closing else "start"
            raise _bad_request(
                f'can\'t parse entities: Unsupported {kind} tag "{tag}" at byte offset {offset}'
            )
        if closing:
            if not stack or stack[-1] != tag:
                raise _bad_request(
                    f"can't parse entities: Unmatched end tag at byte offset {offset}, expected \""
                    f'</{stack[-1] if stack else ""}>", found "</{tag}>"'
                )
            stack.pop()
        else:
            stack.append(tag)
        pos = match.end()
    if stack:
        raise _bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return html.unescape("".join(out))


def _update_type(update: dict[str, Any]) -> str | None:
    for key in update:
        if key != "update_id":
            return key
    return None


def _strip_reply(message: dict[str, Any]) -> dict[str, Any]:
    # Telegram never nests reply_to_message more than one level deep.
    if "reply_to_message" not in message:
        return message
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def bot_for(url: str, token: str = DEFAULT_TOKEN) -> Bot:
    """A real aiogram Bot talking to a fake at ``url`` (in-process or standalone)."""
    # Imported lazily: the standalone server must not pay for importing aiogram.
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))


class FakeTelegram:
    """Fake Bot API server; every public method is safe to call from tests at any time."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        port: int = 0,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = BOT_FIRST_NAME,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self._port = port
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._closing = False
        # Monotonic across reset(): a running poller's offset must keep accepting new updates.
        self._next_update_id = 1
        self._confirmed_up_to = 0
        self._handlers = self._build_handlers()
        self._init_state()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        """Bind 127.0.0.1 on the configured (0 = random free) port and return the base URL."""
        if self._url is not None:
            return self._url
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_get("/_control/requests", self._handle_control_requests)
        app.router.add_get("/_control/state", self._handle_control_state)
        app.router.add_route("*", "/_control/{op}", self._handle_control_op)
        # access_log=None: per-request logging would dominate benchmark time.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self._port)
        await site.start()
        self._runner = runner
        self._closing = False
        port = runner.addresses[0][1]
        self._url = f"http://{HOST}:{port}"
        return self._url

    async def stop(self) -> None:
        if self._runner is None:
            return
        # Release held long polls so shutdown does not wait for their timeouts.
        self._closing = True
        self._notify_updates()
        await self._runner.cleanup()
        self._runner = None
        self._url = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._url

    @property
    def bot_id(self) -> int:
        return self._bot_id_for(self.token)

    @property
    def bot_user(self) -> dict[str, Any]:
        return self._bot_user(self.token)

    def make_bot(self, token: str | None = None) -> Bot:
        """A real aiogram Bot wired to this server (close with ``await bot.session.close()``)."""
        return bot_for(self.url, token or self.token)

    def reset(self) -> None:
        """Forget everything except bot identity and the update_id / confirmation counters."""
        old_events = (self._update_event, self._request_event)
        self._init_state()
        # Waiters hold the old events; wake them so they re-check against the new state.
        for event in old_events:
            event.set()

    def _init_state(self) -> None:
        self.requests: list[Request] = []
        self._by_method: dict[str, list[Request]] = {}
        self.offsets: list[int | None] = []
        self._pending: deque[dict[str, Any]] = deque()
        self._allowed_updates: list[str] | None = None
        self._update_event = asyncio.Event()
        self._request_event = asyncio.Event()
        self._faults: list[_Fault] = []
        self._latency: dict[str, float] = {}
        self._chats: dict[ChatId, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._members: dict[ChatId, dict[int, str]] = {}
        # Administrator rights that differ from _ADMIN_RIGHTS, per (chat, user).
        self._rights: dict[tuple[ChatId, int], dict[str, bool]] = {}
        self._topics: dict[tuple[ChatId, int], _Topic] = {}
        self._messages: dict[tuple[ChatId, int], dict[str, Any]] = {}
        self._deleted: set[tuple[ChatId, int]] = set()
        self._delivered: list[dict[str, Any]] = []
        self._next_message_id: dict[ChatId, int] = {}
        self._files: dict[str, _File] = {}
        self._files_by_path: dict[str, _File] = {}
        self._file_seq = itertools.count(1)
        self._callback_seq = itertools.count(1)
        self._media_group_seq = itertools.count(1)
        self._commands: dict[str, list[dict[str, Any]]] = {}

    # ------------------------------------------------------------------ identity

    @staticmethod
    def _bot_id_for(token: str) -> int:
        prefix = token.split(":", 1)[0]
        return int(prefix) if prefix.isdigit() else 1

    def _bot_user(self, token: str) -> dict[str, Any]:
        return {
            "id": self._bot_id_for(token),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ world state

    def add_chat(
        self,
        chat_id: int,
        *,
        type: str = "supergroup",
        title: str | None = None,
        is_forum: bool = False,
        username: str | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """Register a chat so getChat / sends describe it faithfully; returns the Chat object."""
        chat: dict[str, Any] = {"id": chat_id, "type": type}
        if type == "private":
            chat["first_name"] = first_name or f"User {chat_id}"
        else:
            chat["title"] = title or f"Chat {chat_id}"
        if username:
            chat["username"] = username
        if is_forum:
            chat["is_forum"] = True
        self._chats[chat_id] = chat
        return chat

    def continue_chat(self, chat_id: ChatId, next_message_id: int) -> None:
        """Number the chat's next messages from `next_message_id`, as a chat that already has
        a history does (a test restarting the fake keeps message ids unique)."""
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), next_message_id)

    def add_member(
        self,
        chat_id: int,
        user_id: int,
        status: str = "member",
        *,
        first_name: str | None = None,
        username: str | None = None,
        rights: dict[str, bool] | None = None,
    ) -> None:
        """Set a user's status: creator, administrator, member, restricted, left or kicked;
        `rights` override an administrator's defaults (e.g. ``{"can_manage_topics": False}``)."""
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"unknown chat member status {status!r}")
        unknown = set(rights or {}) - set(_ADMIN_RIGHTS)
        if unknown:
            raise ValueError(f"unknown administrator rights {sorted(unknown)}")
        self._rights[(chat_id, user_id)] = dict(rights or {})
        if first_name is not None or username is not None or user_id not in self._users:
            self._remember_user(user_id, first_name or f"User {user_id}", None, username)
        self._members.setdefault(chat_id, {})[user_id] = status

    def add_topic(self, chat_id: int, name: str, *, icon_color: int = _DEFAULT_ICON_COLOR) -> int:
        """Create a forum topic as an admin would in the UI; returns its message_thread_id."""
        return int(
            self._create_topic(chat_id, name, icon_color, None, self.token)["message_thread_id"]
        )

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a topic as an admin would: later sends into it fail 'thread not found'."""
        topic = self._topics.setdefault((chat_id, thread_id), _Topic(name=f"Topic {thread_id}"))
        topic.deleted = True
        for key, message in self._messages.items():
            if key[0] == chat_id and message.get("message_thread_id") == thread_id:
                self._deleted.add(key)

    def close_topic(self, chat_id: int, thread_id: int, closed: bool = True) -> None:
        topic = self._topics.setdefault((chat_id, thread_id), _Topic(name=f"Topic {thread_id}"))
        topic.closed = closed

    def topic(self, chat_id: int, thread_id: int) -> dict[str, Any] | None:
        """Current topic state (name, icon_color, closed, deleted) or None if never seen."""
        topic = self._topics.get((chat_id, thread_id))
        if topic is None:
            return None
        return {
            "name": topic.name,
            "icon_color": topic.icon_color,
            "icon_custom_emoji_id": topic.icon_custom_emoji_id,
            "closed": topic.closed,
            "deleted": topic.deleted,
        }

    def add_file(self, data: bytes, *, filename: str | None = None, kind: str = "document") -> str:
        """Store bytes as a Telegram file; returns a file_id usable in updates and getFile."""
        return self._store_file(data, kind, filename=filename).file_id

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def get_message(self, chat_id: ChatId, message_id: int) -> dict[str, Any] | None:
        """A stored message (sent by the bot or pushed in an update), unless deleted."""
        key = (chat_id, message_id)
        if key in self._deleted:
            return None
        return self._messages.get(key)

    # ------------------------------------------------------------------ updates

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Enqueue a raw update (update_id assigned when missing) and wake held long polls."""
        update = dict(update)
        update_id = update.get("update_id")
        if update_id is None:
            update_id = self._next_update_id
            update["update_id"] = update_id
        self._next_update_id = max(self._next_update_id, int(update_id) + 1)
        self._index_update_messages(update)
        if self._pending and self._pending[-1]["update_id"] > update_id:
            # Rare explicit out-of-order id: keep the queue sorted, as Telegram delivers it.
            self._pending = deque(sorted([*self._pending, update], key=lambda u: u["update_id"]))
        else:
            self._pending.append(update)
        self._notify_updates()
        return update

    def push_message(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``push_update(message_update(...))``."""
        return self.push_update(self.message_update(*args, **kwargs))

    def push_callback(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``push_update(callback_update(...))``."""
        return self.push_update(self.callback_update(*args, **kwargs))

    def push_staff_message(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``push_update(staff_message_update(...))``."""
        return self.push_update(self.staff_message_update(*args, **kwargs))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._pending)

    @property
    def confirmed_up_to(self) -> int:
        """Highest update_id the client confirmed via getUpdates offset (0 = none)."""
        return self._confirmed_up_to

    def message_update(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        message_id: int | None = None,
        date: int | float | datetime | None = None,
        reply_to_message_id: int | None = None,
        caption: str | None = None,
        photo: bool | str | None = None,
        document: bool | str | dict[str, Any] | None = None,
        voice: bool | str | None = None,
        video: bool | str | None = None,
        location: Sequence[float] | None = None,
        sticker: bool | str | None = None,
        contact: str | dict[str, Any] | None = None,
        media_group_id: str | None = None,
        message_thread_id: int | None = None,
        is_topic_message: bool = False,
        chat_type: str | None = None,
        forum: bool | None = None,
        chat_title: str | None = None,
    ) -> dict[str, Any]:
        """Build (not push) a realistic incoming ``message`` update.

        Media options take True (generate a file), a file_id string, or for documents a dict
        with file_name / mime_type / data. chat_type and forum default to the registered chat.
        """
        chat_id = user_id if chat_id is None else chat_id
        user = self._remember_user(user_id, first_name, last_name, username, language_code)
        chat = self._chat_object(
            chat_id, chat_type=chat_type, forum=forum, title=chat_title, user=user
        )
        if message_id is None:
            message_id = self._allocate_message_id(chat_id)
        else:
            self._next_message_id[chat_id] = max(
                self._next_message_id.get(chat_id, 1), message_id + 1
            )
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": user,
            "chat": chat,
            "date": _as_timestamp(date),
        }
        in_forum = bool(chat.get("is_forum"))
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
            if is_topic_message or in_forum:
                message["is_topic_message"] = True
        elif is_topic_message:
            message["is_topic_message"] = True
        reply = self._reply_target(chat, reply_to_message_id, message_thread_id)
        if reply is not None:
            message["reply_to_message"] = reply
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
                ]
        if caption is not None:
            message["caption"] = caption
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        if photo:
            message["photo"] = self._photo_sizes(self._incoming_file(photo, "photo"))
        if document:
            message["document"] = self._incoming_document(document)
        if voice:
            rec = self._incoming_file(voice, "voice")
            message["voice"] = {
                **self._file_fields(rec),
                "duration": 3,
                "mime_type": "audio/ogg",
            }
        if video:
            rec = self._incoming_file(video, "video")
            message["video"] = {
                **self._file_fields(rec),
                "width": 640,
                "height": 360,
                "duration": 5,
                "mime_type": "video/mp4",
            }
        if sticker:
            rec = self._incoming_file(sticker, "sticker")
            message["sticker"] = self._sticker_fields(rec, "🙂")
        if location is not None:
            message["location"] = {"latitude": location[0], "longitude": location[1]}
        if contact is not None:
            data: dict[str, Any] = (
                {"phone_number": contact} if isinstance(contact, str) else dict(contact)
            )
            data.setdefault("first_name", first_name)
            data.setdefault("user_id", user_id)
            message["contact"] = data
        return {"message": message}

    def staff_message_update(
        self,
        chat_id: int,
        user_id: int,
        text: str | None,
        *,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
        first_name: str = "Staff",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Build a supergroup message from a staff member (forum if registered as one)."""
        registered = self._chats.get(chat_id)
        kwargs.setdefault("chat_type", "supergroup")
        if "forum" not in kwargs:
            kwargs["forum"] = (
                bool(registered.get("is_forum"))
                if registered is not None
                else message_thread_id is not None
            )
        return self.message_update(
            user_id,
            text,
            chat_id=chat_id,
            first_name=first_name,
            reply_to_message_id=reply_to_message_id,
            message_thread_id=message_thread_id,
            **kwargs,
        )

    def callback_update(
        self,
        user_id: int,
        data: str,
        message_id: int,
        chat_id: int | None = None,
        *,
        first_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Build a callback_query for a button under the given (usually bot-sent) message.
        The presser is the user as last seen, as on Telegram, unless a name is given."""
        chat_id = user_id if chat_id is None else chat_id
        known = self._users.get(user_id)
        if known is not None and first_name is None and username is None:
            user = known
        else:
            user = self._remember_user(user_id, first_name or "Test", None, username)
        message = self.get_message(chat_id, message_id)
        if message is None:
            # Unknown target: synthesize a bot message and store it so later edits succeed.
            message = {
                "message_id": message_id,
                "from": self.bot_user,
                "chat": self._chat_object(chat_id, user=user),
                "date": _now(),
                "text": "",
            }
            self._store_message(message)
        seq = next(self._callback_seq)
        return {
            "callback_query": {
                "id": str(4_000_000_000_000_000 + seq),
                "from": user,
                "message": message,
                "chat_instance": str(abs(hash((chat_id, "chat_instance"))) % 10**18),
                "data": data,
            }
        }

    # ------------------------------------------------------------------ recording

    def calls(self, method: str, *, chat_id: ChatId | None = None) -> list[Request]:
        recorded = self._by_method.get(method, [])
        if chat_id is None:
            return list(recorded)
        return [r for r in recorded if r.params.get("chat_id") == chat_id]

    def messages_to(self, chat_id: ChatId) -> list[dict[str, Any]]:
        """Messages the bot delivered to chat_id, in order (failed sends are not delivered)."""
        return [m for m in self._delivered if m["chat"]["id"] == chat_id]

    def sent_to(self, chat_id: ChatId) -> list[str]:
        """Texts/captions the user sees in chat_id, in order (HTML rendered; bare media skipped)."""
        texts = []
        for message in self.messages_to(chat_id):
            text = message.get("text", message.get("caption"))
            if text is not None:
                texts.append(text)
        return texts

    async def wait_for(
        self,
        what: str | Predicate,
        count: int = 1,
        *,
        chat_id: ChatId | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 - the fixture API promises a timeout argument
    ) -> list[Request]:
        """Wait until ``count`` calls of a method were answered, or until ``what(requests)`` holds.

        Returns the matching calls (method form) or all requests (predicate form).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._request_event
            if isinstance(what, str):
                found = self.calls(what, chat_id=chat_id)
                if len(found) >= count:
                    return found
            elif what(self.requests):
                return list(self.requests)
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(r.method for r in self.requests[-20:])
                raise TimeoutError(f"wait_for({what!r}, count={count}) timed out; last: {recent}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def requests_json(
        self, method: str | None = None, chat_id: ChatId | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        result = []
        for index in range(max(since, 0), len(self.requests)):
            req = self.requests[index]
            if method is not None and req.method != method:
                continue
            if chat_id is not None and req.params.get("chat_id") != chat_id:
                continue
            result.append(req.to_json(index))
        return result

    def snapshot(self) -> dict[str, Any]:
        return {
            "confirmed_up_to": self._confirmed_up_to,
            "pending_updates": len(self._pending),
            "offsets": self.offsets[-100:],
            "requests": len(self.requests),
            "counts": {m: len(r) for m, r in self._by_method.items()},
        }

    def _record(self, request: Request) -> None:
        self.requests.append(request)
        self._by_method.setdefault(request.method, []).append(request)
        self._notify_requests()

    def _notify_requests(self) -> None:
        # Swap-and-set wakes every current waiter without them missing later requests.
        event, self._request_event = self._request_event, asyncio.Event()
        event.set()

    def _notify_updates(self) -> None:
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    # ------------------------------------------------------------------ fault injection

    def inject_error(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        times: int | None = 1,
        chat_id: ChatId | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Fail the next ``times`` calls (None = until cleared) of method; "*" = all but polling."""
        error = ApiError(error_code, description, parameters)
        self._faults.append(_Fault(method, chat_id, error, times))

    def inject_retry_after(
        self,
        method: str,
        times: int | None = 1,
        *,
        chat_id: ChatId | None = None,
        retry_after: int = 1,
    ) -> None:
        self.inject_error(
            method,
            error_code=429,
            description=f"Too Many Requests: retry after {retry_after}",
            times=times,
            chat_id=chat_id,
            parameters={"retry_after": retry_after},
        )

    def inject_forbidden(
        self, method: str = "*", times: int | None = 1, *, chat_id: ChatId | None = None
    ) -> None:
        self.inject_error(
            method,
            error_code=403,
            description="Forbidden: bot was blocked by the user",
            times=times,
            chat_id=chat_id,
        )

    def inject_thread_not_found(
        self, method: str, times: int | None = 1, *, chat_id: ChatId | None = None
    ) -> None:
        self.inject_error(
            method,
            error_code=400,
            description="Bad Request: message thread not found",
            times=times,
            chat_id=chat_id,
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    def set_latency(self, method: str, seconds: float) -> None:
        """Delay every call of method ("*" = all methods) by ``seconds`` before answering."""
        if seconds > 0:
            self._latency[method] = seconds
        else:
            self._latency.pop(method, None)

    def _take_fault(self, method: str, chat_id: ChatId | None) -> ApiError | None:
        for index, fault in enumerate(self._faults):
            if fault.matches(method, chat_id):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self._faults[index]
                return fault.error
        return None

    # ------------------------------------------------------------------ HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        name = request.match_info["method"]
        params = await self._read_params(request)
        canonical, handler = self._handlers.get(name.lower(), (name, None))
        if self._latency:
            delay = self._latency.get(canonical, self._latency.get("*", 0.0))
            if delay:
                await asyncio.sleep(delay)
        status = 200
        recorded: Request | None = None
        if canonical == "getUpdates":
            # A long poll may be held for many seconds; record it on arrival so tests can see
            # "the poller is up" at once. Its response is filled in when it is answered.
            recorded = Request(canonical, params, {}, token)
            self._record(recorded)
        try:
            error = self._take_fault(canonical, params.get("chat_id")) if self._faults else None
            if error is not None:
                raise error
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(token, params)
            if inspect.isawaitable(result):
                result = await result
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            status = exc.error_code
            body = exc.body()
        except (KeyError, TypeError, ValueError) as exc:
            # Malformed parameters: answer like Telegram instead of an HTML 500 page.
            status = 400
            body = _bad_request(f"{type(exc).__name__}: {exc}").body()
        if recorded is None:
            self._record(Request(canonical, params, body, token))
        else:
            recorded.response = body
            self._notify_requests()
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json",
        )

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        uploads: dict[str, dict[str, Any]] = {}
        if request.body_exists:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            elif ctype == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        data = await part.read()
                        uploads[part.name] = self._register_upload(
                            data, part.filename, part.headers.get("Content-Type")
                        )
                    else:
                        raw[part.name] = await part.text()
            else:
                raw.update(await request.post())
        params = {key: _decode_value(key, value) for key, value in raw.items()}
        if uploads:
            params = self._resolve_attachments(params, uploads)
            for key, info in uploads.items():
                if not info.pop("_referenced", False):
                    params[key] = info
        if "chat_id" in params:
            params["chat_id"] = _normalize_chat_id(params["chat_id"])
        if "from_chat_id" in params:
            params["from_chat_id"] = _normalize_chat_id(params["from_chat_id"])
        return params

    def _register_upload(
        self, data: bytes, filename: str, content_type: str | None
    ) -> dict[str, Any]:
        rec = self._store_file(data, "upload", filename=filename, mime_type=content_type)
        return {"filename": filename, "size": len(data), "file_id": rec.file_id}

    def _resolve_attachments(self, value: Any, uploads: dict[str, dict[str, Any]]) -> Any:
        if isinstance(value, str) and value.startswith("attach://"):
            info = uploads.get(value[len("attach://") :])
            if info is None:
                return value
            info["_referenced"] = True
            return {k: v for k, v in info.items() if k != "_referenced"}
        if isinstance(value, dict):
            return {k: self._resolve_attachments(v, uploads) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve_attachments(v, uploads) for v in value]
        return value

    async def _handle_file(self, request: web.Request) -> web.Response:
        """A file download, recorded as the method ``file``; faults for ``file`` break it."""
        path = request.match_info["path"]
        rec = self._files_by_path.get(path)
        error = self._take_fault(FILE_METHOD, None) if self._faults else None
        if error is None and rec is None:
            error = ApiError(404, "Not Found")
        body = error.body() if error is not None else {"ok": True, "result": path}
        self._record(Request(FILE_METHOD, {"path": path}, body, request.match_info["token"]))
        if error is not None:
            return web.json_response(error.body(), status=error.error_code)
        assert rec is not None
        return web.Response(body=rec.data, content_type="application/octet-stream")

    async def _handle_control_requests(self, request: web.Request) -> web.Response:
        query = request.query
        chat_id = _normalize_chat_id(query["chat_id"]) if "chat_id" in query else None
        result = self.requests_json(
            method=query.get("method"), chat_id=chat_id, since=int(query.get("since", 0))
        )
        return web.json_response({"ok": True, "result": result, "total": len(self.requests)})

    async def _handle_control_state(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": self.snapshot()})

    async def _handle_control_op(self, request: web.Request) -> web.Response:
        op = request.match_info["op"]
        if op not in CONTROL_OPS:
            return web.json_response(
                {"ok": False, "description": f"unknown control op {op!r}"}, status=404
            )
        kwargs: dict[str, Any] = {k: _decode_value(k, v) for k, v in request.query.items()}
        if request.body_exists:
            body = await request.json()
            if not isinstance(body, dict):
                return web.json_response(
                    {"ok": False, "description": "body must be a JSON object"}, status=400
                )
            kwargs.update(body)
        try:
            result = getattr(self, op)(**kwargs)
            if inspect.isawaitable(result):
                result = await result
        except (TypeError, ValueError, KeyError, TimeoutError) as exc:
            return web.json_response(
                {"ok": False, "description": f"{type(exc).__name__}: {exc}"}, status=400
            )
        return web.json_response({"ok": True, "result": _jsonable(result)})

    # ------------------------------------------------------------------ Bot API handlers

    def _build_handlers(
        self,
    ) -> dict[str, tuple[str, Callable[[str, dict[str, Any]], Any]]]:
        table: dict[str, Callable[[str, dict[str, Any]], Any]] = {
            "getMe": lambda token, p: {
                **self._bot_user(token),
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            },
            "getUpdates": self._api_get_updates,
            "deleteWebhook": lambda token, p: True,
            "getWebhookInfo": lambda token, p: {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
            },
            "setMyCommands": self._api_set_my_commands,
            "getMyCommands": lambda token, p: self._commands.get(self._commands_key(p), []),
            "deleteMyCommands": self._api_delete_my_commands,
            "sendMessage": self._api_send_message,
            "sendLocation": self._api_send_location,
            "sendContact": self._api_send_contact,
            "sendMediaGroup": self._api_send_media_group,
            "copyMessage": self._api_copy_message,
            "forwardMessage": self._api_forward_message,
            "editMessageText": self._api_edit_message_text,
            "editMessageCaption": self._api_edit_message_caption,
            "editMessageReplyMarkup": self._api_edit_message_reply_markup,
            "deleteMessage": self._api_delete_message,
            "deleteMessages": self._api_delete_messages,
            "answerCallbackQuery": self._api_answer_callback_query,
            "sendChatAction": self._api_send_chat_action,
            "getFile": self._api_get_file,
            "getChat": self._api_get_chat,
            "getChatMember": self._api_get_chat_member,
            "getChatAdministrators": self._api_get_chat_administrators,
            "createForumTopic": self._api_create_forum_topic,
            "editForumTopic": self._api_edit_forum_topic,
            "closeForumTopic": lambda token, p: self._api_set_topic_closed(p, True),
            "reopenForumTopic": lambda token, p: self._api_set_topic_closed(p, False),
            "deleteForumTopic": self._api_delete_forum_topic,
        }
        for method, kind in _MEDIA_METHODS.items():
            table[method] = self._media_sender(kind)
        for method in _TRUE_METHODS:
            table[method] = lambda token, p: True
        return {name.lower(): (name, handler) for name, handler in table.items()}

    async def _api_get_updates(self, token: str, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = p.get("offset")
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = float(p.get("timeout") or 0)
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            # Telegram remembers the last explicit list; an empty list means "all types".
            self._allowed_updates = allowed or None
        self.offsets.append(offset)
        if offset is not None:
            self._confirm(int(offset))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._update_event
            batch = self._eligible_updates(limit)
            if batch or self._closing:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _confirm(self, offset: int) -> None:
        pending = self._pending
        if offset < 0:
            # Negative offset: keep only the last -offset updates, forget older ones.
            while len(pending) > -offset:
                self._confirmed_up_to = max(self._confirmed_up_to, pending.popleft()["update_id"])
            return
        while pending and pending[0]["update_id"] < offset:
            pending.popleft()
        self._confirmed_up_to = max(self._confirmed_up_to, offset - 1)

    def _eligible_updates(self, limit: int) -> list[dict[str, Any]]:
        allowed = self._allowed_updates
        batch = []
        for update in self._pending:
            if allowed is None or _update_type(update) in allowed:
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    def _commands_key(self, p: dict[str, Any]) -> str:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps([scope, p.get("language_code") or ""], sort_keys=True)

    def _api_set_my_commands(self, token: str, p: dict[str, Any]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise _bad_request('parameter "commands" is required')
        self._commands[self._commands_key(p)] = commands
        return True

    def _api_delete_my_commands(self, token: str, p: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    # --- sending

    def _api_send_message(self, token: str, p: dict[str, Any]) -> dict[str, Any]:
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        text = self._rendered(text, p.get("parse_mode"))
        if len(text) > 4096:
            raise _bad_request("message is too long")
        content: dict[str, Any] = {"text": text}
        if isinstance(p.get("entities"), list):
            content["entities"] = p["entities"]
        if isinstance(p.get("link_preview_options"), dict):
            content["link_preview_options"] = p["link_preview_options"]
        return self._deliver(token, p, content)

    def _media_sender(self, kind: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
        def send(token: str, p: dict[str, Any]) -> dict[str, Any]:
            if p.get(kind) in (None, ""):
                raise _bad_request(f"there is no {kind} in the request")
            content = {**self._media_content(kind, p.get(kind), p), **self._caption(p)}
            return self._deliver(token, p, content)

        return send

    def _api_send_location(self, token: str, p: dict[str, Any]) -> dict[str, Any]:
        try:
            location = {"latitude": float(p["latitude"]), "longitude": float(p["longitude"])}
        except (KeyError, TypeError, ValueError):
            raise _bad_request("wrong latitude or longitude") from None
        return self._deliver(token, p, {"location": location})

    def _api_send_contact(self, token: str, p: dict[str, Any]) -> dict[str, Any]:
        contact = {
            "phone_number": str(p.get("phone_number", "")),
            "first_name": p.get("first_name"),
        }
        if not contact["phone_number"] or not contact["first_name"]:
            raise _bad_request("phone number or first name is empty")
        if p.get("last_name"):
            contact["last_name"] = p["last_name"]
        return self._deliver(token, p, {"contact": contact})

    def _api_send_media_group(self, token: str, p: dict[str, Any]) -> list[dict[str, Any]]:
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad_request("wrong number of media")
        group_id = str(10**17 + next(self._media_group_seq))
        contents = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "video", "document", "audio"):
                raise _bad_request("invalid media type in media group")
            content = {
                **self._media_content(kind, item.get("media"), item),
                **self._caption(item),
                "media_group_id": group_id,
            }
            contents.append(content)
        # Validate everything before delivering anything: Telegram sends albums atomically.
        return [self._deliver(token, p, content) for content in contents]

    def _api_copy_message(self, token: str, p: dict[str, Any]) -> dict[str, int]:
        source = self._source_message(p, "message to copy not found")
        content = {
            k: v
            for k, v in source.items()
            if k
            in (
                "text",
                "entities",
                "caption",
                "photo",
                "document",
                "voice",
                "video",
                "audio",
                "animation",
                "video_note",
                "sticker",
                "location",
                "contact",
            )
        }
        if "caption" in p:
            content.update(self._caption(p))
        message = self._deliver(token, p, content)
        return {"message_id": message["message_id"]}

    def _api_forward_message(self, token: str, p: dict[str, Any]) -> dict[str, Any]:
        source = self._source_message(p, "message to forward not found")
        content = {
            k: v
            for k, v in source.items()
            if k not in ("message_id", "chat", "from", "date", "reply_to_message", "reply_markup")
            and k not in ("message_thread_id", "is_topic_message", "edit_date")
        }
        origin: dict[str, Any]
        if "from" in source:
            origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        else:
            origin = {"type": "chat", "sender_chat": source["chat"], "date": source["date"]}
        content["forward_origin"] = origin
        return self._deliver(token, p, content, echo_markup=False)

    def _source_message(self, p: dict[str, Any], missing: str) -> dict[str, Any]:
        from_chat = self._resolve_chat_id(p.get("from_chat_id"))
        source = self.get_message(from_chat, int(p.get("message_id") or 0))
        if source is None:
            raise _bad_request(missing)
        return source

    def _deliver(
        self,
        token: str,
        p: dict[str, Any],
        content: dict[str, Any],
        *,
        echo_markup: bool = True,
    ) -> dict[str, Any]:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        chat = self._chat_object(chat_id)
        thread_id = p.get("message_thread_id")
        self._check_thread(chat_id, thread_id)
        message: dict[str, Any] = {
            "message_id": self._allocate_message_id(chat_id),
            "from": self._bot_user(token),
            "chat": chat,
            "date": _now(),
        }
        if thread_id is not None and chat.get("is_forum"):
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        elif thread_id is not None:
            message["message_thread_id"] = thread_id
        reply_to = p.get("reply_to_message_id")
        reply_parameters = p.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id", reply_to)
        reply = self._reply_target(chat, reply_to, thread_id, stub=False)
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        markup = p.get("reply_markup")
        if echo_markup and isinstance(markup, dict):
            self._check_markup(markup)
            # Message.reply_markup is InlineKeyboardMarkup only; reply keyboards are not echoed.
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
        self._store_message(message)
        self._delivered.append(message)
        return message

    def _check_thread(self, chat_id: ChatId, thread_id: Any) -> None:
        if thread_id is None:
            return
        topic = self._topics.get((chat_id, int(thread_id)))
        if topic is None:
            return
        if topic.deleted:
            raise _bad_request("message thread not found")
        if topic.closed:
            raise _bad_request("TOPIC_CLOSED")

    @staticmethod
    def _check_markup(markup: dict[str, Any]) -> None:
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise _bad_request("BUTTON_TEXT_EMPTY") from None
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _bad_request("BUTTON_DATA_INVALID")

    @staticmethod
    def _rendered(text: str, parse_mode: Any) -> str:
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            return _render_html(text)
        return text

    def _caption(self, p: dict[str, Any]) -> dict[str, Any]:
        caption = p.get("caption")
        if caption in (None, ""):
            return {}
        caption = self._rendered(str(caption), p.get("parse_mode"))
        if len(caption) > 1024:
            raise _bad_request("message caption is too long")
        content: dict[str, Any] = {"caption": caption}
        if isinstance(p.get("caption_entities"), list):
            content["caption_entities"] = p["caption_entities"]
        return content

    # --- editing / deleting

    def _edit_target(self, p: dict[str, Any]) -> tuple[ChatId, int, dict[str, Any]] | None:
        if p.get("inline_message_id"):
            return None
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        message_id = int(p.get("message_id") or 0)
        message = self.get_message(chat_id, message_id)
        if message is None:
            raise _bad_request("message to edit not found")
        return chat_id, message_id, message

    def _apply_edit(
        self, target: tuple[ChatId, int, dict[str, Any]], changes: dict[str, Any], p: dict[str, Any]
    ) -> dict[str, Any]:
        _, _, message = target
        markup = p.get("reply_markup")
        if isinstance(markup, dict):
            self._check_markup(markup)
        new_markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        if (
            all(message.get(k) == v for k, v in changes.items())
            and message.get("reply_markup") == new_markup
        ):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        # Replace rather than mutate: earlier responses and updates keep their snapshot.
        updated = {k: v for k, v in message.items() if k != "reply_markup"}
        updated.update(changes)
        if new_markup is not None:
            updated["reply_markup"] = new_markup
        updated["edit_date"] = _now()
        self._store_message(updated)
        return updated

    def _api_edit_message_text(self, token: str, p: dict[str, Any]) -> dict[str, Any] | bool:
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        text = self._rendered(text, p.get("parse_mode"))
        target = self._edit_target(p)
        if target is None:
            return True
        if "text" not in target[2]:
            raise _bad_request("there is no text in the message to edit")
        return self._apply_edit(target, {"text": text}, p)

    def _api_edit_message_caption(self, token: str, p: dict[str, Any]) -> dict[str, Any] | bool:
        target = self._edit_target(p)
        if target is None:
            return True
        caption = self._caption(p).get("caption")
        return self._apply_edit(target, {"caption": caption}, p)

    def _api_edit_message_reply_markup(
        self, token: str, p: dict[str, Any]
    ) -> dict[str, Any] | bool:
        target = self._edit_target(p)
        if target is None:
            return True
        return self._apply_edit(target, {}, p)

    def _api_delete_message(self, token: str, p: dict[str, Any]) -> bool:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        key = (chat_id, int(p.get("message_id") or 0))
        if key in self._deleted:
            raise _bad_request("message to delete not found")
        self._deleted.add(key)
        return True

    def _api_delete_messages(self, token: str, p: dict[str, Any]) -> bool:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        for message_id in p.get("message_ids") or []:
            self._deleted.add((chat_id, int(message_id)))
        return True

    def _api_answer_callback_query(self, token: str, p: dict[str, Any]) -> bool:
        if not p.get("callback_query_id"):
            raise _bad_request("QUERY_ID_INVALID")
        return True

    def _api_send_chat_action(self, token: str, p: dict[str, Any]) -> bool:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        self._check_thread(chat_id, p.get("message_thread_id"))
        return True

    # --- files

    def _api_get_file(self, token: str, p: dict[str, Any]) -> dict[str, Any]:
        rec = self._files.get(str(p.get("file_id")))
        if rec is None:
            raise _bad_request("invalid file_id")
        return {**self._file_fields(rec), "file_path": rec.file_path}

    # --- chats and members

    def _api_get_chat(self, token: str, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        return {
            **self._chat_object(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _api_get_chat_member(self, token: str, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        user_id = int(p.get("user_id") or 0)
        status = self._members.get(chat_id, {}).get(user_id)
        if status is None:
            status = "member" if chat_id == user_id else "left"
        return self._member_object(token, user_id, status, self._rights.get((chat_id, user_id)))

    def _api_get_chat_administrators(self, token: str, p: dict[str, Any]) -> list[dict[str, Any]]:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        members = self._members.get(chat_id, {})
        return [
            self._member_object(token, user_id, status, self._rights.get((chat_id, user_id)))
            for user_id, status in members.items()
            if status in ("creator", "administrator")
        ]

    def _member_object(
        self, token: str, user_id: int, status: str, rights: dict[str, bool] | None = None
    ) -> dict[str, Any]:
        if user_id == self._bot_id_for(token):
            user = self._bot_user(token)
        else:
            user = self._users.get(user_id) or {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User {user_id}",
            }
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(_ADMIN_RIGHTS)
            member.update(rights or {})
        elif status == "restricted":
            member.update(_RESTRICTED_RIGHTS)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    # --- forum topics

    def _api_create_forum_topic(self, token: str, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        name = p.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            raise _bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        icon_color = int(p.get("icon_color") or _DEFAULT_ICON_COLOR)
        return self._create_topic(chat_id, name, icon_color, p.get("icon_custom_emoji_id"), token)

    def _create_topic(
        self,
        chat_id: ChatId,
        name: str,
        icon_color: int,
        icon_custom_emoji_id: str | None,
        token: str,
    ) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None or not chat.get("is_forum"):
            raise _bad_request("the chat is not a forum")
        # Like Telegram, the thread id is the id of the topic's service message.
        thread_id = self._allocate_message_id(chat_id)
        self._topics[(chat_id, thread_id)] = _Topic(name, icon_color, icon_custom_emoji_id)
        created: dict[str, Any] = {"name": name, "icon_color": icon_color}
        if icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = icon_custom_emoji_id
        self._store_message(
            {
                "message_id": thread_id,
                "from": self._bot_user(token),
                "chat": chat,
                "date": _now(),
                "message_thread_id": thread_id,
                "is_topic_message": True,
                "forum_topic_created": created,
            }
        )
        return {"message_thread_id": thread_id, **created}

    def _topic_for_api(self, p: dict[str, Any]) -> tuple[ChatId, int, _Topic]:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        thread_id = int(p.get("message_thread_id") or 0)
        topic = self._topics.get((chat_id, thread_id))
        if topic is None:
            # Topics made outside the fake (e.g. ids from staff updates) are accepted as open.
            topic = self._topics[(chat_id, thread_id)] = _Topic(name=f"Topic {thread_id}")
        if topic.deleted:
            raise _bad_request("message thread not found")
        return chat_id, thread_id, topic

    def _api_edit_forum_topic(self, token: str, p: dict[str, Any]) -> bool:
        _, _, topic = self._topic_for_api(p)
        name = p.get("name")
        emoji = p.get("icon_custom_emoji_id")
        changed = False
        if name is not None and name != topic.name:
            topic.name, changed = str(name), True
        if emoji is not None and emoji != topic.icon_custom_emoji_id:
            topic.icon_custom_emoji_id, changed = str(emoji) or None, True
        if not changed:
            raise _bad_request("TOPIC_NOT_MODIFIED")
        return True

    def _api_set_topic_closed(self, p: dict[str, Any], closed: bool) -> bool:
        _, _, topic = self._topic_for_api(p)
        if topic.closed == closed:
            raise _bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        return True

    def _api_delete_forum_topic(self, token: str, p: dict[str, Any]) -> bool:
        chat_id, thread_id, _ = self._topic_for_api(p)
        self.delete_topic(int(chat_id), thread_id)
        return True

    # ------------------------------------------------------------------ helpers

    def _resolve_chat_id(self, value: Any) -> ChatId:
        chat_id = _normalize_chat_id(value)
        if isinstance(chat_id, int):
            return chat_id
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for known_id, chat in self._chats.items():
                if chat.get("username", "").lower() == chat_id[1:].lower():
                    return known_id
        raise _bad_request("chat not found")

    def _remember_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _chat_object(
        self,
        chat_id: ChatId,
        *,
        chat_type: str | None = None,
        forum: bool | None = None,
        title: str | None = None,
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        registered = self._chats.get(chat_id)
        if (
            registered is not None
            and chat_type in (None, registered["type"])
            and (forum is None or forum == bool(registered.get("is_forum")))
        ):
            return registered
        if chat_type is None:
            chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            person = user if user is not None and user["id"] == chat_id else None
            if person is None and isinstance(chat_id, int):
                person = self._users.get(chat_id)
            chat["first_name"] = person["first_name"] if person else f"User {chat_id}"
            for key in ("last_name", "username"):
                if person and key in person:
                    chat[key] = person[key]
        else:
            chat["title"] = title or (registered or {}).get("title") or f"Chat {chat_id}"
            if forum:
                chat["is_forum"] = True
        return chat

    def _allocate_message_id(self, chat_id: ChatId) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store_message(self, message: dict[str, Any]) -> None:
        self._messages[(message["chat"]["id"], message["message_id"])] = message

    def _index_update_messages(self, update: dict[str, Any]) -> None:
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            message = update.get(key)
            if isinstance(message, dict) and "chat" in message and "message_id" in message:
                self._store_message(message)
                chat_id = message["chat"]["id"]
                self._next_message_id[chat_id] = max(
                    self._next_message_id.get(chat_id, 1), int(message["message_id"]) + 1
                )

    def _reply_target(
        self,
        chat: dict[str, Any],
        reply_to_message_id: int | None,
        thread_id: int | None,
        *,
        stub: bool = True,
    ) -> dict[str, Any] | None:
        chat_id = chat["id"]
        if reply_to_message_id is not None:
            target = self.get_message(chat_id, int(reply_to_message_id))
            if target is not None:
                return _strip_reply(target)
            if not stub:
                return None
            return {"message_id": int(reply_to_message_id), "chat": chat, "date": _now()}
        if thread_id is None or not chat.get("is_forum"):
            return None
        # Telegram quirk: a plain topic message "replies" to the topic's creation message.
        service = self.get_message(chat_id, int(thread_id))
        if service is None:
            topic = self._topics.get((chat_id, int(thread_id)))
            service = {
                "message_id": int(thread_id),
                "chat": chat,
                "date": _now(),
                "message_thread_id": int(thread_id),
                "is_topic_message": True,
                "forum_topic_created": {
                    "name": topic.name if topic else f"Topic {thread_id}",
                    "icon_color": topic.icon_color if topic else _DEFAULT_ICON_COLOR,
                },
            }
        return _strip_reply(service)

    # --- files

    def _store_file(
        self,
        data: bytes,
        kind: str,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        file_id: str | None = None,
    ) -> _File:
        seq = next(self._file_seq)
        file_id = file_id or f"FAKE{kind.upper()}{seq:06d}"
        ext = (filename.rsplit(".", 1)[-1] if filename and "." in filename else "bin")[:8]
        folder = {"photo": "photos", "voice": "voice", "video": "videos"}.get(kind, "documents")
        rec = _File(
            file_id=file_id,
            file_unique_id=f"U{seq:08d}",
            file_path=f"{folder}/file_{seq}.{ext}",
            data=data,
            filename=filename,
            mime_type=mime_type,
        )
        self._files[file_id] = rec
        self._files_by_path[rec.file_path] = rec
        return rec

    def _file_by_ref(self, ref: Any, kind: str) -> _File:
        """Resolve an uploaded-file dict or a file_id/URL string to a stored file."""
        if isinstance(ref, dict) and "file_id" in ref:
            return self._files[ref["file_id"]]
        file_id = str(ref)
        rec = self._files.get(file_id)
        if rec is None:
            # Unknown ids/URLs are accepted, like a file another bot session produced.
            rec = self._store_file(f"fake {kind} {file_id}".encode(), kind, file_id=file_id)
        return rec

    def _incoming_file(self, value: bool | str, kind: str) -> _File:
        if isinstance(value, str):
            return self._file_by_ref(value, kind)
        ext = {"photo": "jpg", "voice": "oga", "video": "mp4", "sticker": "webp"}.get(kind, "bin")
        return self._store_file(f"fake {kind} bytes".encode(), kind, filename=f"{kind}.{ext}")

    def _incoming_document(self, value: bool | str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(value, dict):
            data = value.get("data", b"fake document bytes")
            if isinstance(data, str):
                data = data.encode()
            file_name = value.get("file_name", "document.pdf")
            rec = self._store_file(
                data, "document", filename=file_name, mime_type=value.get("mime_type")
            )
            doc = {**self._file_fields(rec), "file_name": file_name}
            if value.get("mime_type"):
                doc["mime_type"] = value["mime_type"]
            return doc
        rec = self._incoming_file(value, "document")
        return {
            **self._file_fields(rec),
            "file_name": rec.filename or "document.pdf",
            "mime_type": rec.mime_type or "application/pdf",
        }

    @staticmethod
    def _file_fields(rec: _File) -> dict[str, Any]:
        return {
            "file_id": rec.file_id,
            "file_unique_id": rec.file_unique_id,
            "file_size": len(rec.data),
        }

    def _photo_sizes(self, rec: _File) -> list[dict[str, Any]]:
        thumb_id = f"{rec.file_id}_s"
        if thumb_id not in self._files:
            thumb = _File(thumb_id, f"{rec.file_unique_id}s", rec.file_path, rec.data)
            self._files[thumb_id] = thumb
        thumb_rec = self._files[thumb_id]
        return [
            {**self._file_fields(thumb_rec), "width": 90, "height": 90},
            {**self._file_fields(rec), "width": 1280, "height": 960},
        ]

    def _sticker_fields(self, rec: _File, emoji: str | None) -> dict[str, Any]:
        sticker: dict[str, Any] = {
            **self._file_fields(rec),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        if emoji:
            sticker["emoji"] = emoji
        return sticker

    def _media_content(self, kind: str, ref: Any, p: dict[str, Any]) -> dict[str, Any]:
        rec = self._file_by_ref(ref, kind)
        base = self._file_fields(rec)
        duration = int(p.get("duration") or 1)
        if kind == "photo":
            return {"photo": self._photo_sizes(rec)}
        if kind == "document":
            doc = {**base, "file_name": rec.filename or "document"}
            if rec.mime_type:
                doc["mime_type"] = rec.mime_type
            return {"document": doc}
        if kind == "voice":
            return {"voice": {**base, "duration": duration, "mime_type": "audio/ogg"}}
        if kind in ("video", "animation"):
            media = {
                **base,
                "width": int(p.get("width") or 640),
                "height": int(p.get("height") or 360),
                "duration": duration,
            }
            if rec.filename:
                media["file_name"] = rec.filename
            return {kind: media}
        if kind == "audio":
            audio = {**base, "duration": duration}
            for key in ("performer", "title"):
                if p.get(key):
                    audio[key] = p[key]
            return {"audio": audio}
        if kind == "video_note":
            length = int(p.get("length") or 240)
            return {"video_note": {**base, "length": length, "duration": duration}}
        if kind == "sticker":
            return {"sticker": self._sticker_fields(rec, p.get("emoji"))}
        raise _bad_request(f"unsupported media kind {kind}")


# Public FakeTelegram methods reachable as POST /_control/{op}; all take JSON keyword args.
CONTROL_OPS = frozenset(
    {
        "reset",
        "push_update",
        "push_message",
        "push_callback",
        "push_staff_message",
        "add_chat",
        "add_member",
        "add_topic",
        "delete_topic",
        "close_topic",
        "topic",
        "get_message",
        "inject_error",
        "inject_retry_after",
        "inject_forbidden",
        "inject_thread_not_found",
        "clear_faults",
        "set_latency",
        "sent_to",
        "messages_to",
        "requests_json",
        "snapshot",
        "wait_for",
    }
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Request):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


async def _serve(port: int, token: str) -> None:
    tg = FakeTelegram(token=token, port=port)
    url = await tg.start()
    # The first stdout line is the contract with whoever spawned us.
    print(url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await tg.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server (127.0.0.1 only)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="default bot token (identity)")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, args.token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
