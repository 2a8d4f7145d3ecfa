"""Bad input on VK: real VK API 5.199 long-poll events pushed through the vkbottle client and
the VK channel. Whatever a resident sends gets a reply and is recorded; events that are not a
resident's message (edits, the community's own messages, typing, other conversations, other
communities) are stored and finished quietly; and nothing raises out of a handler."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core import texts
from bot.core.text_split import storable
from bot.settings import Settings
from bot.storage.models import ExchangeRow, InboxRow
from tests.fakes.vk import API_VERSION, FakeVK, Request
from tests.vk_harness import GROUP_ID, running_vk_bot

# Every case writes from a user of its own: FIRST_USER + its position in the table.
FIRST_USER = 7001
STAFF_PEER = 2_000_000_001
OTHER_CONVERSATION = 2_000_000_009
ANOTHER_COMMUNITY = -229_000_777
WAIT = 30.0

Build = Callable[[FakeVK, int], dict[str, Any]]

STICKER_IMAGES = [
    {"url": f"https://vk.com/sticker/1-9014-{side}", "width": side, "height": side}
    for side in (64, 128, 256, 352, 512)
]
LONGEST_TEXT = ("вопрос про отопление " * 195) + "?"
LINK = "https://www.gosuslugi.ru/600172/1/form"
# What VK's «Начать» button sends along with its label.
START = {"command": "start"}
# The author of the shared video and poll: some other user.
OWNER = 4242


@dataclass(frozen=True)
class Case:
    """One event. With a `kind` it is a resident's own message or button press: it must get a
    reply (the first one starting with `reply`, if given) and be recorded as one inbound
    exchange of that kind, with attachments of `attachments` kinds, the first with handle
    `ref`. Without, the bot must stay silent and record no exchange."""

    name: str
    build: Build
    kind: str | None = None
    attachments: tuple[str, ...] = ()
    ref: str | None = None
    reply: str | None = None

    @property
    def answered(self) -> bool:
        return self.kind is not None

    @property
    def pressed(self) -> bool:
        """A callback button press, which VK wants acknowledged."""
        return self.kind == "callback"


def event(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A group long-poll event as VK wraps it."""
    return {
        "group_id": GROUP_ID,
        "type": kind,
        "event_id": secrets.token_hex(20),
        "v": API_VERSION,
        "object": body,
    }


def text(value: str, **fields: Any) -> Build:
    return lambda vk, user: vk.message_new(user, value, **fields)


def attached(item: dict[str, Any], value: str = "") -> Build:
    return lambda vk, user: vk.message_new(user, value, attachments=[item])


def sticker() -> dict[str, Any]:
    return {
        "type": "sticker",
        "sticker": {
            "product_id": 279,
            "sticker_id": 9014,
            "images": STICKER_IMAGES,
            "images_with_background": [
                {**image, "url": image["url"] + "b"} for image in STICKER_IMAGES
            ],
            "animation_url": "https://vk.com/sticker/1-9014.json",
            "is_allowed": True,
            "inner_type": "base_sticker_new",
        },
    }


def voice(vk: FakeVK, user: int) -> dict[str, Any]:
    return vk.message_new(user, attachments=[vk.audio_message_attachment(owner_id=user)])


def video() -> dict[str, Any]:
    frame = {"url": "https://sun9-1.userapi.com/video-frame.jpg", "width": 320, "height": 240}
    return {
        "type": "video",
        "video": {
            "access_key": "c0ffee",
            "can_comment": 1,
            "can_like": 1,
            "can_repost": 1,
            "can_add": 1,
            "comments": 0,
            "date": int(time.time()),
            "description": "",
            "duration": 37,
            "image": [{**frame, "with_padding": 1}],
            "first_frame": [frame],
            "width": 1280,
            "height": 720,
            "id": 456239017,
            "owner_id": OWNER,
            "title": "Яма во дворе",
            "is_favorite": False,
            "track_code": "video_4242_456239017",
            "type": "video",
            "views": 1,
        },
    }


def wall() -> dict[str, Any]:
    return {
        "type": "wall",
        "wall": {
            "id": 5012,
            "from_id": -1001,
            "to_id": -1001,
            "owner_id": -1001,
            "date": int(time.time()),
            "post_type": "post",
            "text": "Внимание! Завтра отключат горячую воду на улице Ленина.",
            "attachments": [],
            "comments": {"count": 4, "can_post": 1},
            "likes": {"count": 12, "user_likes": 0, "can_like": 1},
            "reposts": {"count": 3, "user_reposted": 0},
            "views": {"count": 950},
            "is_favorite": False,
            "from": {
                "id": 1001,
                "name": "Новости района",
                "screen_name": "news_district",
                "is_closed": 0,
                "type": "page",
            },
        },
    }


def link() -> dict[str, Any]:
    return {
        "type": "link",
        "link": {
            "url": LINK,
            "title": "Госуслуги",
            "caption": "www.gosuslugi.ru",
            "description": "Запись на приём",
            "is_favorite": False,
        },
    }


def poll() -> dict[str, Any]:
    return {
        "type": "poll",
        "poll": {
            "multiple": False,
            "end_date": 0,
            "closed": False,
            "is_board": False,
            "can_edit": False,
            "can_vote": True,
            "can_report": True,
            "can_share": True,
            "answers": [
                {"id": 1, "rate": 0.0, "text": "Да", "votes": 0},
                {"id": 2, "rate": 0.0, "text": "Нет", "votes": 0},
            ],
            "created": int(time.time()),
            "id": 789,
            "owner_id": OWNER,
            "author_id": OWNER,
            "question": "Нужна ли остановка у школы?",
            "votes": 0,
            "disable_unvote": False,
            "anonymous": False,
            "answer_ids": [],
        },
    }


def gift() -> dict[str, Any]:
    return {
        "type": "gift",
        "gift": {
            "id": 1234,
            "thumb_256": "https://vk.com/images/gift/1234/256.jpg",
            "thumb_96": "https://vk.com/images/gift/1234/96.png",
            "thumb_48": "https://vk.com/images/gift/1234/48.png",
        },
    }


def located(vk: FakeVK, user: int) -> dict[str, Any]:
    return vk.message_new(user, geo=vk.geo(55.7539, 37.6208, title="Красная площадь"))


def forwarded(vk: FakeVK, user: int) -> dict[str, Any]:
    neighbour = vk.foreign_message(user + 500, "Когда дадут отопление в доме 5?")
    return vk.message_new(user, fwd_messages=[neighbour])


def replying(vk: FakeVK, user: int) -> dict[str, Any]:
    ours = vk.foreign_message(-GROUP_ID, texts.MEDIA_ONLY, peer_id=user)
    return vk.message_new(user, "А когда вывезут мусор?", reply_message=ours)


def edited(vk: FakeVK, user: int) -> dict[str, Any]:
    message = vk.message_new(user, "Исправил: когда вывоз мусора?")["object"]["message"]
    return event("message_edit", {**message, "update_time": int(time.time())})


def our_own(vk: FakeVK, user: int) -> dict[str, Any]:
    """What VK reports after the community (an administrator by hand) wrote to `user`."""
    return event(
        "message_reply",
        {
            "date": int(time.time()),
            "from_id": -GROUP_ID,
            "id": 990_001,
            "out": 1,
            "version": 1,
            "attachments": [],
            "conversation_message_id": 3,
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
            "peer_id": user,
            "random_id": 0,
            "text": "Здравствуйте! Ваше обращение передано в управляющую компанию.",
            "admin_author_id": 1,
        },
    )


def typing(vk: FakeVK, user: int) -> dict[str, Any]:
    return event("message_typing_state", {"state": "typing", "from_id": user, "to_id": -GROUP_ID})


def foreign_press(vk: FakeVK, user: int) -> dict[str, Any]:
    return vk.message_event(user, {"button": "promo", "campaign": 7})


def malformed_press(vk: FakeVK, user: int) -> dict[str, Any]:
    press = vk.message_event(user, None)
    press["object"]["payload"] = '{"a": "fb:1:'
    return press


CASES: list[Case] = [
    Case(
        "sticker",
        attached(sticker()),
        kind="media",
        attachments=("sticker",),
        ref=STICKER_IMAGES[-1]["url"],
        reply=texts.MEDIA_ONLY,
    ),
    Case("voice message", voice, kind="media", attachments=("voice",), reply=texts.MEDIA_ONLY),
    Case(
        "video",
        attached(video()),
        kind="media",
        attachments=("other",),
        ref="video4242_456239017_c0ffee",
        reply=texts.MEDIA_ONLY,
    ),
    Case(
        "wall post",
        attached(wall()),
        kind="media",
        attachments=("other",),
        ref="wall-1001_5012",
        reply=texts.MEDIA_ONLY,
    ),
    Case("link", attached(link(), LINK), kind="media", attachments=("other",)),
    Case(
        "poll",
        attached(poll()),
        kind="media",
        attachments=("other",),
        ref="poll4242_789",
        reply=texts.MEDIA_ONLY,
    ),
    Case("gift", attached(gift()), kind="media", attachments=("other",), reply=texts.MEDIA_ONLY),
    Case("geo", located, kind="media", attachments=("location",), reply=texts.MEDIA_ONLY),
    Case("forwarded message", forwarded, kind="text"),
    Case("reply to our message", replying, kind="text"),
    Case("«Начать» with payload", text("Начать", payload=START), kind="text", reply=texts.GREETING),
    Case("empty text", text(""), kind="text", reply=texts.REPHRASE),
    Case("zero-width only", text("\u200b\u200c\u2060\ufeff"), kind="text"),
    Case("right-to-left override", text("\u202eкогда включат отопление"), kind="text"),
    Case("control characters", text("\x00\x07когда\x1b вывоз мусора\r\n"), kind="text"),
    Case("longest message", text(LONGEST_TEXT), kind="text"),
    Case("emoji only", text("😀👍🏽🇷🇺❤️\u200d🔥"), kind="text"),
    Case("button of someone else", foreign_press, kind="callback", reply=texts.STALE_BUTTON),
    Case("malformed button payload", malformed_press, kind="callback", reply=texts.STALE_BUTTON),
    Case("edited message", edited),
    Case("community's own message", our_own),
    Case("typing", typing),
    Case("messages allowed", lambda vk, user: vk.message_allow(user, "subscribe")),
    Case("messages denied", lambda vk, user: vk.message_deny(user)),
    Case("other conversation", text("Всем привет!", peer_id=OTHER_CONVERSATION)),
    Case("another community", lambda vk, _: vk.message_new(ANOTHER_COMMUNITY, "Реклама")),
]


def delivered(requests: list[Request], peer_id: int) -> list[Request]:
    return [
        r
        for r in requests
        if r.method == "messages.send" and r.ok and r.params.get("peer_id") == peer_id
    ]


def check_recorded(
    case: Case, sent: dict[str, Any], inbox_id: int, rows: list[ExchangeRow], replies: int
) -> None:
    """One inbound exchange of the case's kind, from its very event, answered `replies` times."""
    inbound = [row for row in rows if row.direction == "in"]
    assert len(inbound) == 1, case.name
    (row,) = inbound
    assert row.kind == case.kind, case.name
    assert row.inbox_id == inbox_id, case.name
    assert [a["kind"] for a in row.attachments or []] == list(case.attachments), case.name
    if case.ref is not None:
        assert row.attachments and row.attachments[0]["ref"] == case.ref, case.name
    message = sent["object"].get("message")
    if isinstance(message, dict):
        # The text is kept as the resident wrote it (a forward stands for the forwarded
        # texts), less only what no database can store: nothing else stripped or cut.
        written = message["text"] or "\n".join(
            item["text"] for item in message.get("fwd_messages", []) if item.get("text")
        )
        assert row.text == (storable(written) or None), case.name
        assert row.text_length == len(storable(written)), case.name
        assert row.platform_message_id == str(message["conversation_message_id"]), case.name
    outbound = [r for r in rows if r.direction == "out"]
    assert len(outbound) == replies, case.name
    assert all(r.in_reply_to_id == row.id and r.kind == "text" for r in outbound), case.name


async def test_real_vk_events_through_the_channel(settings: Settings) -> None:
    assert len(LONGEST_TEXT) == 4096
    overrides = {"vk_staff_peer_id": STAFF_PEER, "vk_rate_limit": 1000.0}
    async with running_vk_bot(settings, **overrides) as bot:
        users = [FIRST_USER + n for n in range(len(CASES))]
        # Pushed while the bot is parked on its long poll: one batch, as VK hands it out.
        events = [case.build(bot.vk, user) for case, user in zip(CASES, users, strict=True)]
        bot.vk.push(*events)
        answered = [user for case, user in zip(CASES, users, strict=True) if case.answered]
        presses = [
            sent["object"]["event_id"]
            for case, sent in zip(CASES, events, strict=True)
            if case.pressed
        ]

        def all_answered(requests: list[Request]) -> bool:
            acknowledged = {
                r.params.get("event_id")
                for r in requests
                if r.method == "messages.sendMessageEventAnswer" and r.ok
            }
            return all(delivered(requests, user) for user in answered) and acknowledged >= set(
                presses
            )

        # Where a handler raised there will be no reply: the checks after settling name it.
        with contextlib.suppress(TimeoutError):
            await bot.vk.wait_for(all_answered, within=WAIT, what="a reply to every resident")
        await bot.settle()

        requests = bot.vk.requests
        inbox = await bot.inbox()
        exchanges = await bot.exchanges()

        # Every event stored once, and finished by its first handling: nothing raised.
        by_key: dict[str, InboxRow] = {row.update_key: row for row in inbox}
        assert sorted(by_key) == sorted(sent["event_id"] for sent in events)
        failures = {
            case.name: (row.status, row.attempts, row.error)
            for case, sent in zip(CASES, events, strict=True)
            if (row := by_key[sent["event_id"]]).status != "done" or row.attempts or row.error
        }
        assert failures == {}, "a handler raised"

        for case, user, sent in zip(CASES, users, events, strict=True):
            replies = delivered(requests, user)
            rows = [row for row in exchanges if row.chat_id == str(user)]
            if not case.answered:
                assert replies == [] and rows == [], case.name
                continue
            assert replies, case.name
            first = replies[0].params["message"]
            assert first.strip(), case.name
            if case.reply is not None:
                assert first.startswith(case.reply), (case.name, first)
            check_recorded(case, sent, by_key[sent["event_id"]].id, rows, len(replies))

        # Nobody else was written to: not the other conversation, the other community, the
        # staff conversation, nor the senders of the events to be ignored.
        recipients = {r.params.get("peer_id") for r in requests if r.method == "messages.send"}
        assert recipients == set(answered)
        assert {row.chat_id for row in exchanges} == {str(user) for user in answered}
        acknowledged = [
            r.params["event_id"] for r in requests if r.method == "messages.sendMessageEventAnswer"
        ]
        assert sorted(acknowledged) == sorted(presses)
