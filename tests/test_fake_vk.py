"""Spike: the real vkbottle 4.11 Bot/API against tests.fakes.vk.FakeVK.

Doubles as documentation of how vkbottle behaves (polling, routing, uploads, errors),
so the assertions spell out the observed behaviour.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import aiohttp
import pytest
from vkbottle import (
    API,
    AiohttpClient,
    APIAuthError,
    BlockingRequestRescheduler,
    BotPolling,
    Callback,
    DocMessagesUploader,
    ErrorHandler,
    GroupEventType,
    Keyboard,
    KeyboardButtonColor,
    PhotoMessageUploader,
    VKAPIError,
    VoiceMessageUploader,
)
from vkbottle.bot import Bot, Message, MessageEvent

from tests.fakes.vk import ERROR_MESSAGES, FakeVK

GROUP_ID = 229_000_777
RESIDENT = 501
NEIGHBOUR = 502
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def vk() -> AsyncIterator[FakeVK]:
    async with FakeVK(group_id=GROUP_ID) as fake:
        yield fake


@pytest.fixture
async def api(vk: FakeVK) -> AsyncIterator[API]:
    # Own client per test: the default SingleAiohttpClient is a process-wide singleton
    # whose session would outlive this test's event loop.
    http = AiohttpClient()
    api = API("test-group-token", http_client=http)
    # API_URL is a class attribute read as self.API_URL, so an instance attribute overrides it.
    api.API_URL = vk.api_url
    yield api
    await http.close()


@pytest.fixture
def bot_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # BotPolling writes ./.vkbottle/bot-polling/<group_id>.json relative to the CWD.
    monkeypatch.chdir(tmp_path)
    return tmp_path


def make_bot(api: API, *, skip_old_events: bool = True, polling: BotPolling | None = None) -> Bot:
    # group_id given up front, so BotPolling never calls groups.getById.
    # raise_exceptions: unhandled errors end the driver task and fail the test loudly.
    return Bot(
        api=api,
        polling=polling or BotPolling(group_id=GROUP_ID),
        skip_old_events=skip_old_events,
        error_handler=ErrorHandler(raise_exceptions=True),
    )


@pytest.fixture
def bot(api: API, bot_cwd: Path) -> Bot:
    return make_bot(api)


async def drive(bot: Bot) -> None:
    """What run_polling() does, minus the hidden per-update tasks: route sequentially."""
    async for batch in bot.polling.listen():
        for update in batch["updates"]:
            await bot.router.route(update, bot.api)


@contextlib.asynccontextmanager
async def running(bot: Bot) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(drive(bot))
    try:
        yield task
    finally:
        bot.polling.stop()
        task.cancel()
        # Re-raises whatever killed the driver (other than our own cancel).
        with contextlib.suppress(asyncio.CancelledError):
            await task


def add_echo(bot: Bot) -> None:
    @bot.on.private_message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")


# --------------------------------------------------------------------------- 1. polling


async def test_private_message_is_answered_once_bot_is_parked(
    vk: FakeVK, bot: Bot, bot_cwd: Path
) -> None:
    add_echo(bot)
    vk.push_message(RESIDENT, "before start")  # older than the server ts: never delivered

    async with running(bot):
        first = await vk.wait_until_polling()
        assert first.ts == vk.ts  # start ts came from groups.getLongPollServer
        ts = vk.push(vk.message_new(RESIDENT, "привет"))[0]
        assert await vk.wait_for_sent(RESIDENT) == ["echo: привет"]
        parked = await vk.wait_until_idle()
        assert parked.ts == ts + 1

    assert vk.requests[0].method == "groups.getLongPollServer"
    assert not vk.calls("groups.getById")
    send = vk.calls("messages.send")[0]
    # message.answer() always uses the list form peer_ids=[peer] with random_id=0.
    assert send.params["peer_ids"] == [RESIDENT]
    assert send.params["random_id"] == 0
    assert send.response[0]["peer_id"] == RESIDENT
    state = json.loads((bot_cwd / ".vkbottle" / "bot-polling" / f"{GROUP_ID}.json").read_text())
    assert state == {"ts": str(vk.ts)}


class StatePathPolling(BotPolling):
    """How production can choose where BotPolling persists ts (or swap in its own storage)."""

    def __init__(self, state_path: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._state_path = state_path

    @property
    def ts_state_path(self) -> Path:
        return self._state_path


async def test_saved_ts_replays_events_missed_while_down(
    vk: FakeVK, api: API, bot_cwd: Path
) -> None:
    state_path = bot_cwd / "state" / "vk-ts.json"

    first = make_bot(api, polling=StatePathPolling(state_path, group_id=GROUP_ID))
    add_echo(first)
    async with running(first):
        await vk.wait_until_polling()
        vk.push_message(RESIDENT, "one")
        await vk.wait_for_sent(RESIDENT)
        await vk.wait_until_idle()
    saved_ts = int(json.loads(state_path.read_text())["ts"])

    two_ts = vk.push(vk.message_new(RESIDENT, "two"))[0]  # arrives while nobody polls
    assert saved_ts == two_ts
    polls_before = len(vk.polls)

    second = make_bot(
        api,
        skip_old_events=False,  # Bot overrides the polling's flag with its own
        polling=StatePathPolling(state_path, group_id=GROUP_ID),
    )
    add_echo(second)
    async with running(second):
        assert await vk.wait_for_sent(RESIDENT, count=2) == ["echo: one", "echo: two"]
    # The server offered ts two_ts + 1; the restored ts won, so "two" was replayed.
    assert vk.polls[polls_before].ts == saved_ts
    assert len(vk.calls("groups.getLongPollServer")) == 2
    assert not (bot_cwd / ".vkbottle").exists()


@pytest.mark.parametrize("failed", [1, 2, 3])
async def test_long_poll_failures_are_recovered(
    vk: FakeVK, bot: Bot, failed: Literal[1, 2, 3]
) -> None:
    add_echo(bot)
    early_ts = vk.push(vk.message_new(RESIDENT, "early"))[0]

    async with running(bot):
        parked = await vk.wait_until_polling()
        # Failure and a new event land together; the failure is answered first.
        vk.fail_longpoll(failed, ts=early_ts if failed == 1 else None)
        vk.push_message(RESIDENT, "during failure")
        await vk.wait_for(lambda _: not parked.parked)
        assert parked.outcome == f"failed:{failed}"
        # Recovered and caught up (for 3: parked at a ts past "during failure").
        await vk.wait_until_idle()
        vk.push_message(RESIDENT, "after")
        await vk.wait_for_sent(RESIDENT, count={1: 3, 2: 2, 3: 1}[failed])
        await vk.wait_until_idle()

    servers = len(vk.calls("groups.getLongPollServer"))
    texts = vk.sent_to(RESIDENT)
    if failed == 1:
        # New ts handed out by the failure (here: an old one), same key, no new server.
        assert servers == 1
        assert texts == ["echo: early", "echo: during failure", "echo: after"]
    elif failed == 2:
        # Key expired: new key from the server, but the old ts is kept, nothing lost.
        assert servers == 2
        assert texts == ["echo: during failure", "echo: after"]
    else:
        # Information lost: new key AND new ts, so the event pushed meanwhile is skipped.
        assert servers == 2
        assert texts == ["echo: after"]


# --------------------------------------------------------------------------- 2. callbacks


async def test_callback_button_press_is_answered_and_message_edited(vk: FakeVK, bot: Bot) -> None:
    presses: list[dict[str, Any] | None] = []

    @bot.on.private_message()
    async def menu(message: Message) -> None:
        keyboard = Keyboard(inline=True).add(
            Callback("Записаться", payload={"cmd": "signup", "poll": 7}),
            color=KeyboardButtonColor.POSITIVE,
        )
        await message.answer("Меню", keyboard=keyboard.get_json())

    @bot.on.raw_event(GroupEventType.MESSAGE_EVENT, dataclass=MessageEvent)
    async def on_press(event: MessageEvent) -> None:
        presses.append(event.payload)
        await event.show_snackbar("Вы записаны")
        await event.edit_message("Меню (вы записаны)")

    async with running(bot):
        await vk.wait_until_polling()
        vk.push_message(RESIDENT, "меню")
        send = await vk.wait_for_call("messages.send")
        assert send.params["keyboard"] == {
            "one_time": False,
            "inline": True,
            "buttons": [
                [
                    {
                        # A dict payload is embedded as a JSON object, not a string.
                        "action": {
                            "label": "Записаться",
                            "payload": {"cmd": "signup", "poll": 7},
                            "type": "callback",
                        },
                        "color": "positive",
                    }
                ]
            ],
        }
        button_payload = send.params["keyboard"]["buttons"][0][0]["action"]["payload"]
        menu_cmid = send.response[0]["conversation_message_id"]

        event = vk.push_message_event(RESIDENT, button_payload)
        answer = await vk.wait_for_call("messages.sendMessageEventAnswer")
        edit = await vk.wait_for_call("messages.edit")

    assert presses == [{"cmd": "signup", "poll": 7}]
    assert answer.params == {
        "event_id": event["object"]["event_id"],
        "user_id": RESIDENT,
        "peer_id": RESIDENT,
        "event_data": {"type": "show_snackbar", "text": "Вы записаны"},
    }
    assert edit.params["conversation_message_id"] == menu_cmid
    stored = vk.message(RESIDENT, menu_cmid)
    assert stored is not None and stored["text"] == "Меню (вы записаны)"


# --------------------------------------------------------------------------- 3. uploads


async def test_photo_upload_flow_then_send(vk: FakeVK, api: API) -> None:
    data = b"\x89PNG\r\n\x1a\nschedule-image"

    attachment = await PhotoMessageUploader(api).upload(data, peer_id=RESIDENT)
    await api.messages.send(peer_id=RESIDENT, attachment=attachment, random_id=0)

    assert [r.method for r in vk.requests] == [
        "photos.getMessagesUploadServer",
        "upload.photo",
        "photos.saveMessagesPhoto",
        "messages.send",
    ]
    assert vk.calls("photos.getMessagesUploadServer")[0].params == {"peer_id": RESIDENT}
    upload = vk.calls("upload.photo")[0].params
    assert (upload["field"], upload["filename"], upload["size"]) == (
        "photo",
        "picture.jpg",
        len(data),
    )
    assert vk.uploads[0].data == data
    saved = vk.calls("photos.saveMessagesPhoto")[0].response[0]
    assert saved["owner_id"] == -GROUP_ID
    assert attachment == f"photo-{GROUP_ID}_{saved['id']}_{saved['access_key']}"
    assert vk.calls("messages.send")[0].params["attachment"] == attachment
    assert len(vk.sent_messages(RESIDENT)) == 1


async def test_doc_and_voice_upload_flows(vk: FakeVK, api: API) -> None:
    doc = await DocMessagesUploader(api).upload(b"%PDF-1.4 report", peer_id=RESIDENT, title="a.pdf")
    voice = await VoiceMessageUploader(api).upload(b"OggS voice", peer_id=RESIDENT)

    doc_save, voice_save = (r.response for r in vk.calls("docs.save"))
    assert doc == f"doc-{GROUP_ID}_{doc_save['doc']['id']}_{doc_save['doc']['access_key']}"
    assert voice.startswith(f"audio_message-{GROUP_ID}_")
    assert voice_save["type"] == "audio_message"
    servers = vk.calls("docs.getMessagesUploadServer")
    assert [s.params.get("type") for s in servers] == [None, "audio_message"]
    assert [(u.kind, u.filename, u.size) for u in vk.uploads] == [
        ("doc", "a.pdf", 15),
        ("audio_message", "doc.txt", 10),
    ]


async def test_bot_downloads_residents_photo_bytes(vk: FakeVK, bot: Bot) -> None:
    original = b"\xff\xd8\xff resident's pothole photo \xff\xd9"
    downloaded: list[bytes] = []

    @bot.on.private_message()
    async def on_photo(message: Message) -> None:
        photos = message.get_photo_attachments() or []
        largest = max(photos[0].sizes or [], key=lambda size: size.width)
        assert largest.url is not None
        downloaded.append(await message.ctx_api.http_client.request_content(largest.url))
        await message.answer("Фото получено")

    async with running(bot):
        await vk.wait_until_polling()
        vk.push_message(RESIDENT, "яма во дворе", attachments=[vk.photo_attachment(original)])
        await vk.wait_for_sent(RESIDENT)

    assert downloaded == [original]
    assert vk.calls("download")[0].params["size"] == len(original)


# --------------------------------------------------------------------------- 4. errors


@pytest.mark.parametrize("code", [6, 9, 29])
async def test_rate_limit_errors_raise_and_are_not_retried(vk: FakeVK, api: API, code: int) -> None:
    vk.fail("messages.send", code)

    with pytest.raises(VKAPIError[code]) as exc_info:
        await api.messages.send(peer_id=RESIDENT, message="Напоминание", random_id=0)

    error = exc_info.value
    assert type(error).__name__ == f"VKAPIError_{code}"
    assert isinstance(error, VKAPIError)
    assert error.code == code
    assert error.error_msg == ERROR_MESSAGES[code]
    assert error.request_params["method"] == "messages.send"
    assert error.request_params["peer_id"] == str(RESIDENT)
    assert len(vk.calls("messages.send")) == 1  # vkbottle did not retry by itself
    # The fault was one-shot: the caller's own retry goes through.
    await api.messages.send(peer_id=RESIDENT, message="Напоминание", random_id=0)
    assert vk.sent_to(RESIDENT) == ["Напоминание"]


async def test_901_with_peer_id_raises(vk: FakeVK, api: API) -> None:
    vk.fail("messages.send", 901, peer_id=RESIDENT)

    with pytest.raises(VKAPIError[901]):
        await api.messages.send(peer_id=RESIDENT, message="Опрос", random_id=0)
    # Peer-scoped fault: other recipients are unaffected.
    assert isinstance(await api.messages.send(peer_id=NEIGHBOUR, message="Опрос", random_id=0), int)
    assert vk.sent_to(RESIDENT) == []
    assert vk.sent_to(NEIGHBOUR) == ["Опрос"]


async def test_901_with_peer_ids_is_reported_per_recipient_not_raised(vk: FakeVK, api: API) -> None:
    vk.fail("messages.send", 901, peer_id=NEIGHBOUR)

    items = await api.messages.send(peer_ids=[RESIDENT, NEIGHBOUR], message="Опрос", random_id=0)

    assert [item.peer_id for item in items] == [RESIDENT, NEIGHBOUR]
    assert items[0].error is None and items[0].message_id is not None
    assert items[1].error is not None and items[1].error.code == 901
    assert not items[1].message_id
    assert vk.sent_to(RESIDENT) == ["Опрос"]
    assert vk.sent_to(NEIGHBOUR) == []


async def test_errors_inside_handlers_reach_error_handler_and_polling_survives(
    vk: FakeVK, bot: Bot
) -> None:
    caught: list[VKAPIError] = []
    answers: list[Any] = []

    @bot.error_handler.register_error_handler(VKAPIError[9])
    async def on_flood(error: VKAPIError) -> None:
        caught.append(error)

    @bot.on.private_message()
    async def reply(message: Message) -> None:
        answers.append(await message.answer("ok"))

    async with running(bot):
        await vk.wait_until_polling()
        vk.fail("messages.send", 9)
        vk.push_message(RESIDENT, "first")
        await vk.wait_for(lambda _: caught)
        # answer() goes through peer_ids, so 901 comes back in the item instead of raising.
        vk.fail("messages.send", 901, peer_id=RESIDENT)
        vk.push_message(RESIDENT, "second")
        await vk.wait_for(lambda _: answers)
        vk.push_message(RESIDENT, "third")
        await vk.wait_for_sent(RESIDENT)

    assert [type(e) for e in caught] == [VKAPIError[9]]
    assert answers[0].error.code == 901
    assert len(answers) == 2 and answers[1].error is None
    assert vk.sent_to(RESIDENT) == ["ok"]
    assert [r.error_code for r in vk.calls("messages.send")] == [9, None, None]


async def test_non_json_http_error_is_retried_once_by_the_rescheduler(vk: FakeVK, api: API) -> None:
    # Default BlockingRequestRescheduler sleeps 5 s x attempt; zero it for the test.
    api.request_rescheduler = BlockingRequestRescheduler(delay=0)
    vk.fail_http("messages.send", status=502)

    message_id = await api.messages.send(peer_id=RESIDENT, message="Повтор", random_id=0)

    assert [r.http_status for r in vk.calls("messages.send")] == [502, 200]
    assert vk.sent_to(RESIDENT) == ["Повтор"] and isinstance(message_id, int)

    vk.fail_http("messages.send", status=502, times=2)
    # Only one reschedule: the retry's own bad answer surfaces as VKAPIError[1].
    with pytest.raises(VKAPIError[1]):
        await api.messages.send(peer_id=RESIDENT, message="Снова", random_id=0)
    assert len(vk.calls("messages.send")) == 4


async def test_latency_wrong_token_and_unknown_method(vk: FakeVK, api: API) -> None:
    vk.set_latency("users.get", 0.3)
    started = time.monotonic()
    users = await api.users.get(user_ids=[RESIDENT])
    assert time.monotonic() - started >= 0.3
    assert users[0].id == RESIDENT

    vk.expected_token = "the-right-token"
    with pytest.raises(APIAuthError):  # VKAPIError[5] is registered as APIAuthError
        await api.users.get(user_ids=[RESIDENT])
    vk.expected_token = None
    with pytest.raises(VKAPIError[3]):
        await api.request("messages.noSuchMethod", {})


async def test_typed_responses_parse(vk: FakeVK, api: API) -> None:
    vk.set_user(RESIDENT, "Анна", "Петрова")
    chat = 2_000_000_001
    vk.add_chat_member(chat, RESIDENT, is_admin=True)
    vk.add_chat_member(chat, NEIGHBOUR)
    event = vk.message_new(RESIDENT, "в чат", peer_id=chat)
    cmid = event["object"]["message"]["conversation_message_id"]

    users = await api.users.get(user_ids=[RESIDENT])
    members = await api.messages.get_conversation_members(peer_id=chat)
    found = await api.messages.get_by_conversation_message_id(
        peer_id=chat, conversation_message_ids=[cmid]
    )

    assert (users[0].first_name, users[0].last_name) == ("Анна", "Петрова")
    assert [(m.member_id, bool(m.is_admin)) for m in members.items] == [
        (RESIDENT, True),
        (NEIGHBOUR, False),
    ]
    assert found.items[0].text == "в чат"
    assert found.items[0].id == 0  # community bots see id 0 for chat messages


# --------------------------------------------------------------------------- 5. standalone


async def test_standalone_process_with_control_round_trip(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.vk",
        "--port",
        "0",
        "--group-id",
        str(GROUP_ID),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    http = AiohttpClient()
    try:
        assert proc.stdout is not None and proc.stderr is not None
        api_url = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        if not api_url:
            pytest.fail(f"fake exited early: {(await proc.stderr.read()).decode()}")
        assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/method/")
        control = api_url.removesuffix("/method/") + "/_control"
        api = API("test-group-token", http_client=http)
        api.API_URL = api_url
        polling = BotPolling(api, group_id=GROUP_ID)

        async with aiohttp.ClientSession() as session:
            server = await polling.get_server()
            held = asyncio.create_task(polling.get_event(server))
            async with session.get(f"{control}/wait_polling", params={"within": "10"}) as resp:
                parked = await resp.json()
            assert parked["parked"] and parked["ts"] == int(server["ts"])

            async with session.post(
                f"{control}/message_new",
                json={
                    "from_id": RESIDENT,
                    "text": "Когда отключат воду?",
                    "attachments": [
                        {"type": "photo", "data_b64": base64.b64encode(b"JPEG").decode()}
                    ],
                },
            ) as resp:
                pushed = await resp.json()
            batch = await asyncio.wait_for(held, 10)
            assert batch["updates"] == [pushed]
            photo_url = pushed["object"]["message"]["attachments"][0]["photo"]["sizes"][0]["url"]
            async with session.get(photo_url) as resp:
                assert await resp.read() == b"JPEG"

            await api.messages.send(peer_id=RESIDENT, message="Завтра с 9:00", random_id=0)
            async with session.post(
                f"{control}/fault", json={"method": "messages.send", "code": 9}
            ) as resp:
                assert resp.status == 200
            with pytest.raises(VKAPIError[9]):
                await api.messages.send(peer_id=RESIDENT, message="повтор", random_id=0)

            async with session.get(f"{control}/sent/{RESIDENT}") as resp:
                assert (await resp.json())["texts"] == ["Завтра с 9:00"]
            async with session.get(
                f"{control}/requests", params={"method": "messages.send"}
            ) as resp:
                recorded = (await resp.json())["requests"]
            assert [r["error_code"] for r in recorded] == [None, 9]
            assert recorded[0]["params"]["message"] == "Завтра с 9:00"

            async with session.post(f"{control}/reset") as resp:
                assert resp.status == 200
            async with session.get(f"{control}/requests") as resp:
                assert (await resp.json())["requests"] == []
    finally:
        await http.close()
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == 0  # SIGTERM is handled as a clean shutdown
