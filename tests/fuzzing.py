"""The fuzzer shared by `tests/test_fuzz.py` (about a thousand updates in CI) and
`bench/fuzz.py` (ten thousand, by hand): hypothesis generates updates of every kind for
Telegram and events for VK, which go through the fake servers and the real aiogram and
vkbottle clients into one bot with both channels and a Telegram staff chat.

What must hold afterwards: no ERROR log record, no channel stopped, no inbox row failed, and
every resident whose text message was within the flood limit got a reply. A channel added
later adds its generator here."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import Core, build_core
from bot.settings import Settings
from bot.storage.models import InboxRow
from handlers.telegram.app import TelegramChannel
from handlers.vk.app import VkChannel
from tests.common import settle
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import API_VERSION, CHAT_PEER_OFFSET, FakeVK
from tests.harness import TOKEN as TELEGRAM_TOKEN
from tests.vk_harness import GROUP_ID, START_TIMEOUT, vk_settings

STAFF_CHAT = -1001234567890
STAFF = 900
ADMIN = 901
OUTSIDER = 902
SENTINEL = 903
TELEGRAM_RESIDENTS = range(10_001, 10_061)
VK_RESIDENTS = range(20_001, 20_061)
FLOOD_LIMIT = 10
SETTLE_SECONDS = 600.0

# Characters that break naive text handling: zero-width, bidi controls, combining marks,
# emoji with modifiers and joiners, C0 controls, a BOM and the replacement character.
ODD = (
    "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200e\u200f\u0301\u0308\u0336\u20dd\x00\x07\x1b\t\r\n\ufffd"
    "😀👍🏽👨‍👩‍👧🇷🇺🏳️‍🌈ёЁйЙ‮ﷺ𝕏"
)
QUESTIONS = [
    "Когда дадут отопление?",
    "во сколько вывоз мусора",
    "на улице Ленина 5 третий день нет воды, примите меры!",
    "в подъезде сильно пахнет газом, помогите!",
    "как записаться в детский сад",
    "спасибо",
    "привет",
    "Начать",
]
COMMANDS = [
    "/start",
    "/help",
    "/cancel",
    "/status",
    "/forget_me",
    "/subscribe",
    "/unsubscribe",
    "/start@vmeste_test_bot",
    "/unknown arg",
    "/",
    "//",
]
STAFF_COMMANDS = [
    "/appeals",
    "/close",
    "/close 2026-0001",
    "/reopen 2026-0001",
    "/ban",
    "/unban 2026-0001",
    "/stats",
    "/forget 2026-0002",
    "/forget telegram:1",
    "/faq_add",
    "/save",
    "/r",
    "/replies",
    "/poll",
    "/announce",
    "!внутренняя заметка",
]
PREFIXES = ["fb", "pk", "ask", "rt", "sa:take", "sa:close", "sa:spam", "pv", "po", "pa:pub"]
PREFIXES += ["pa:res", "cs", "fg", "nt", "sb", "an", "ax", "x", ""]
NUMBERS = ["0", "1", "2", "5", "²", "١٢", "٣", "+1", "-1", " 1", "1_0", "9" * 20, "9" * 300, ""]

texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=ODD, max_size=80),
    st.builds(
        lambda chunk: (chunk * (10_000 // len(chunk) + 1))[:10_000],
        st.text(min_size=1, max_size=24),
    ),
    st.sampled_from(QUESTIONS + COMMANDS),
    st.builds(
        lambda q, odd: f"{odd}{q}{odd}", st.sampled_from(QUESTIONS), st.text(ODD, max_size=8)
    ),
)
forged_data = st.one_of(
    st.text(max_size=70),
    st.builds(
        lambda prefix, numbers: ":".join([prefix, *numbers]),
        st.sampled_from(PREFIXES),
        st.lists(st.one_of(st.sampled_from(NUMBERS), st.integers(-5, 10**22).map(str)), max_size=3),
    ),
)

TELEGRAM_KINDS = [
    "text", "photo", "document", "voice", "video", "sticker", "location", "contact",
    "video_note", "audio", "animation", "poll", "dice", "venue", "forward", "future_field",
    "edited", "channel_post", "edited_channel_post", "from_bot", "group", "callback",
    "staff_text", "staff_callback", "outsider_callback",
]  # fmt: skip
VK_KINDS = [
    "text", "payload_text", "photo", "doc", "audio_message", "sticker", "video", "wall",
    "link", "geo", "odd_attachment", "fwd", "reply", "community", "chat", "out", "edit",
    "message_reply", "typing", "allow", "deny", "event", "event_junk", "unknown",
]  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """One generated update, before it is built against the fakes."""

    platform: str
    kind: str
    user: int
    text: str
    data: str


specs = st.one_of(
    st.builds(
        Spec,
        st.just("telegram"),
        st.sampled_from(TELEGRAM_KINDS),
        st.sampled_from(TELEGRAM_RESIDENTS),
        texts,
        forged_data,
    ),
    st.builds(
        Spec, st.just("vk"), st.sampled_from(VK_KINDS), st.sampled_from(VK_RESIDENTS), texts,
        forged_data,
    ),
)  # fmt: skip


def generate(count: int) -> list[Spec]:
    """`count` updates from hypothesis, used as a generator: nothing fails inside it, so it
    never shrinks, and the database of examples is not used."""
    found: list[Spec] = []

    @hypothesis_settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(spec=specs)
    def collect(spec: Spec) -> None:
        found.append(spec)

    collect()
    return found


class ErrorRecords(logging.Handler):
    """Every ERROR (and worse) record logged while installed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Outcome:
    sent: Counter[str] = field(default_factory=Counter)
    expected: set[tuple[str, int]] = field(default_factory=set)
    answered: set[tuple[str, int]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    failed_rows: int = 0
    inbox_rows: int = 0
    stopped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def unanswered(self) -> set[tuple[str, int]]:
        return self.expected - self.answered


@dataclass
class Target:
    tg: FakeTelegram
    vk: FakeVK
    core: Core
    channels: tuple[TelegramChannel, VkChannel]
    tasks: list[asyncio.Task[None]]


@asynccontextmanager
async def fuzz_target(settings: Settings) -> AsyncIterator[Target]:
    async with FakeTelegram() as tg, FakeVK(group_id=GROUP_ID) as vk:
        configured = vk_settings(
            settings,
            vk,
            telegram_bot_token=SecretStr(TELEGRAM_TOKEN),
            telegram_api_url=tg.url,
            telegram_staff_chat_id=STAFF_CHAT,
            flood_messages_per_minute=FLOOD_LIMIT,
        )
        core = await build_core(configured)
        channels = (TelegramChannel(core, poll_timeout=1), VkChannel(core, poll_wait=5))
        tasks = [asyncio.create_task(channel.run()) for channel in channels]
        try:
            await tg.wait_for("getUpdates", timeout=START_TIMEOUT)
            await vk.wait_until_polling(within=START_TIMEOUT)
            tg.add_chat(STAFF_CHAT, type="supergroup", title="Пресс-служба")
            tg.add_member(STAFF_CHAT, STAFF, "member", first_name="Мария")
            tg.add_member(STAFF_CHAT, ADMIN, "administrator", first_name="Олег")
            yield Target(tg, vk, core, channels, tasks)
        finally:
            for channel in channels:
                await channel.stop(5)
            await asyncio.gather(*tasks, return_exceptions=True)
            await core.database.dispose()


async def run_fuzz(settings: Settings, updates: list[Spec], *, batch: int = 200) -> Outcome:
    """Send `updates` in batches and wait for each batch to be handled."""
    outcome = Outcome()
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    counted: Counter[tuple[str, int]] = Counter()
    started = time.perf_counter()
    try:
        async with fuzz_target(settings) as target:
            for first in range(0, len(updates), batch):
                for spec in updates[first : first + batch]:
                    outcome.sent[f"{spec.platform}:{spec.kind}"] += 1
                    if spec.platform == "telegram":
                        resident_message = push_telegram(target.tg, spec)
                    else:
                        resident_message = push_vk(target.vk, spec)
                    if resident_message:
                        key = (spec.platform, spec.user)
                        counted[key] += 1
                        if spec.kind == "text" and spec.text and counted[key] <= FLOOD_LIMIT:
                            outcome.expected.add(key)
                # Updates the bot does not ask for (channel posts) are confirmed only by a
                # later one it does: the batch ends with one, so that nothing stays pending.
                target.tg.push_message(SENTINEL, "/help")
                await settle(
                    target.core,
                    [channel.intake for channel in target.channels],
                    tg=target.tg,
                    vk=target.vk,
                )
            outcome.seconds = time.perf_counter() - started
            outcome.answered = answered(target)
            outcome.stopped = [t.get_name() for t in target.tasks if t.done()]
            async with target.core.database.unit_of_work() as uow:
                outcome.inbox_rows = int(
                    await uow.session.scalar(select(func.count(InboxRow.id))) or 0
                )
                outcome.failed_rows = int(
                    await uow.session.scalar(
                        select(func.count(InboxRow.id)).where(InboxRow.status != "done")
                    )
                    or 0
                )
    finally:
        logging.getLogger().removeHandler(errors)
    outcome.errors = [f"{r.name}: {r.getMessage()}" for r in errors.records]
    return outcome


def answered(target: Target) -> set[tuple[str, int]]:
    found = {
        ("telegram", int(call.chat_id))
        for call in target.tg.requests
        if call.ok and call.method.startswith("send") and isinstance(call.chat_id, int)
    }
    found |= {
        ("vk", int(call.params["peer_id"]))
        for call in target.vk.requests
        if call.method == "messages.send"
        and call.ok
        and isinstance(call.params.get("peer_id"), int)
    }
    return found


# ---------------------------------------------------------------- Telegram


FILE = {"file_id": "fz-file", "file_unique_id": "fz-unique"}
POLL = {
    "id": "1",
    "question": "Да?",
    "options": [
        {"persistent_id": "a", "text": "Да", "voter_count": 0},
        {"persistent_id": "b", "text": "Нет", "voter_count": 0},
    ],
    "total_voter_count": 0,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
    "allows_revoting": True,
    "members_only": False,
}
MANUAL: dict[str, Callable[[str], dict[str, Any]]] = {
    "video_note": lambda _: {"video_note": {**FILE, "length": 240, "duration": 5}},
    "audio": lambda text: {"audio": {**FILE, "duration": 3, "title": text[:60]}},
    "animation": lambda _: {"animation": {**FILE, "width": 1, "height": 1, "duration": 1}},
    "poll": lambda _: {"poll": POLL},
    "dice": lambda _: {"dice": {"emoji": "🎲", "value": 4}},
    "venue": lambda text: {
        "venue": {
            "location": {"latitude": 55.75, "longitude": 37.61},
            "title": text[:100] or "Место",
            "address": text[:100] or "Адрес",
        },
        "location": {"latitude": 55.75, "longitude": 37.61},
    },
    "forward": lambda text: {
        "text": text or "переслано",
        "forward_origin": {"type": "hidden_user", "date": 1, "sender_user_name": text[:64]},
    },
    "future_field": lambda text: {"text": text or "?", "field_from_a_newer_bot_api": {"x": [1]}},
}


def push_telegram(tg: FakeTelegram, spec: Spec) -> bool:
    """Push one Telegram update; True when it is a resident's own message (flood-counted)."""
    user, text, kind = spec.user, spec.text, spec.kind
    if kind == "text":
        tg.push_message(user, text, first_name=text[:64] or "Житель")
        return True
    if kind in ("photo", "document", "voice", "video", "sticker"):
        tg.push_message(user, caption=text[:1024] or None, **{kind: True})
        return True
    if kind == "location":
        tg.push_message(user, location=(55.75, 37.61))
        return True
    if kind == "contact":
        tg.push_message(user, contact="+79990000000")
        return True
    if kind in MANUAL:
        update = tg.message_update(user)
        update["message"].update(MANUAL[kind](text))
        tg.push_update(update)
        return True
    if kind == "edited":
        update = tg.message_update(user, text or "исправлено")
        tg.push_update({"edited_message": {**update["message"], "edit_date": int(time.time())}})
        return True
    if kind in ("channel_post", "edited_channel_post"):
        chat = {"id": -1009876543210, "type": "channel", "title": text[:100] or "Канал"}
        post = {"message_id": 1, "date": int(time.time()), "chat": chat, "sender_chat": chat}
        tg.push_update({kind: {**post, "text": text or "пост"}})
        return False
    if kind == "from_bot":
        update = tg.message_update(user, text or "я бот")
        update["message"]["from"] = {**update["message"]["from"], "is_bot": True}
        tg.push_update(update)
        return False
    if kind == "group":
        tg.push_message(user, text or "в группе", chat_id=-4000 - user, chat_type="group")
        return False
    if kind == "callback":
        tg.push_callback(user, spec.data, 1)
        return False
    if kind == "staff_text":
        tg.push_staff_message(STAFF_CHAT, ADMIN, _staff_text(spec), first_name="Олег")
        return False
    if kind == "staff_callback":
        tg.push_callback(ADMIN, spec.data, 2, chat_id=STAFF_CHAT)
        return False
    tg.push_callback(OUTSIDER, spec.data, 2, chat_id=STAFF_CHAT)
    return False


def _staff_text(spec: Spec) -> str:
    command = STAFF_COMMANDS[spec.user % len(STAFF_COMMANDS)]
    return f"{command} {spec.text[:200]}".strip() if spec.user % 3 else spec.text or command


# ---------------------------------------------------------------- VK


def push_vk(vk: FakeVK, spec: Spec) -> bool:
    """Push one VK event; True when it is a resident's own message (flood-counted)."""
    user, text, kind = spec.user, spec.text, spec.kind
    attachments: dict[str, Callable[[], dict[str, Any]]] = {
        "photo": lambda: vk.photo_attachment(),
        "doc": lambda: vk.doc_attachment(title=text[:100] or "файл.pdf"),
        "audio_message": lambda: vk.audio_message_attachment(),
        "sticker": lambda: {"type": "sticker", "sticker": {"sticker_id": 1, "product_id": 1}},
        "video": lambda: {"type": "video", "video": {"id": 7, "owner_id": -5, "access_key": "k"}},
        "wall": lambda: {"type": "wall", "wall": {"id": 1, "owner_id": -1, "text": text}},
        "link": lambda: {"type": "link", "link": {"url": "https://example.org", "title": text}},
        "odd_attachment": lambda: {"type": "photo"},
    }
    if kind == "text":
        vk.push_message(user, text)
        return True
    if kind == "payload_text":
        vk.push_message(user, text, payload=spec.data)
        return True
    if kind in attachments:
        vk.push_message(user, text[:500], attachments=[attachments[kind]()])
        return True
    if kind == "geo":
        vk.push_message(user, "", geo=vk.geo(55.75, 37.61, title=text[:50] or None))
        return True
    if kind == "fwd":
        vk.push_message(user, "", fwd_messages=[vk.foreign_message(4242, text)])
        return True
    if kind == "reply":
        vk.push_message(user, text or "ответ", reply_message=vk.foreign_message(-GROUP_ID, text))
        return True
    if kind == "community":
        vk.push_message(-GROUP_ID, text, peer_id=user)
        return False
    if kind == "chat":
        vk.push_message(user, text, peer_id=CHAT_PEER_OFFSET + 77)
        return False
    if kind == "out":
        event = vk.message_new(user, text)
        event["object"]["message"]["out"] = 1
        vk.push(event)
        return False
    if kind in ("edit", "message_reply"):
        message = vk.message_new(user, text)["object"]["message"]
        vk.push(_vk_event("message_edit" if kind == "edit" else "message_reply", message))
        return False
    if kind == "typing":
        vk.push(_vk_event("message_typing_state", {"state": "typing", "from_id": user}))
        return False
    if kind == "allow":
        vk.push(vk.message_allow(user, text[:50]))
        return False
    if kind == "deny":
        vk.push(vk.message_deny(user))
        return False
    if kind == "event":
        vk.push_message_event(user, {"a": spec.data})
        return False
    if kind == "event_junk":
        event = vk.message_event(user, None)
        event["object"]["payload"] = [spec.data] if user % 2 else spec.data
        vk.push(event)
        return False
    vk.push(_vk_event("wall_post_new", {"id": 1, "text": text}))
    return False


def _vk_event(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "group_id": GROUP_ID,
        "type": kind,
        "event_id": secrets.token_hex(20),
        "v": API_VERSION,
        "object": body,
    }
