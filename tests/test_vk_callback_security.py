"""The VK Callback API as an attacker meets it: the real endpoint over real HTTP. Without the
secret nothing is accepted (and the transport does not start without one), and no body,
however large, deep or malformed, gets more than a 400."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.core.actions import VoteAction
from bot.settings import Settings, SettingsError, load_settings
from bot.storage.models import AppealRow, BallotRow, ExchangeRow
from bot.storage.records import Audience
from handlers.vk.callback_api import MAX_BODY_BYTES, MAX_DEPTH
from polls import PollSpec
from tests.test_startup import run_bot
from tests.vk_harness import GROUP_ID, RunningVkBot, running_vk_bot

SECRET = "s3cret-callback-key"
INCIDENT = "на улице Ленина 5 третий день нет воды, примите меры!"
FORGERS = range(8001, 8041)
# Tuesday 2026-12-01 12:00 in Moscow.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Endpoint:
    bot: RunningVkBot
    http: aiohttp.ClientSession

    async def post(self, body: bytes | dict[str, Any], **headers: str) -> tuple[int, str]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
        async with self.http.post(self.bot.callback_url, data=data, headers=headers) as response:
            return response.status, await response.text()

    async def count(self, column: Any) -> int:
        async with self.bot.core.database.unit_of_work() as uow:
            return int(await uow.session.scalar(select(func.count(column))) or 0)


@asynccontextmanager
async def endpoint(settings: Settings) -> AsyncIterator[Endpoint]:
    options = {
        "vk_transport": "callback",
        "vk_callback_port": 0,
        "vk_confirmation_code": SecretStr("c0nf1rm"),
        "vk_secret": SecretStr(SECRET),
    }
    async with running_vk_bot(settings, **options) as bot, aiohttp.ClientSession() as http:
        yield Endpoint(bot, http)


def test_callback_transport_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VK_GROUP_TOKEN", "vk-token")
    monkeypatch.setenv("VK_GROUP_ID", "1")
    monkeypatch.setenv("VK_TRANSPORT", "callback")
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None)
    assert "VK_SECRET" in str(raised.value) and "\n" not in str(raised.value)
    monkeypatch.setenv("VK_SECRET", SECRET)
    assert load_settings(_env_file=None).vk_transport == "callback"


def test_bot_refuses_to_start_the_callback_transport_without_a_secret(tmp_path: Path) -> None:
    env = {"VK_GROUP_TOKEN": "vk-token", "VK_GROUP_ID": "1", "VK_TRANSPORT": "callback"}
    result = run_bot([], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "VK_SECRET" in lines[0], result.stderr


async def test_forged_events_without_the_secret_record_nothing(settings: Settings) -> None:
    async with endpoint(settings) as site:
        core = site.bot.core
        spec = PollSpec(
            question="Где поставить новую детскую площадку?",
            options=("Парк Победы", "Улица Мира"),
            opens_at=NOW - timedelta(hours=1),
            closes_at=datetime.now(UTC) + timedelta(days=30),
            audience=Audience.ALL,
        )
        poll_id = await core.polls.create(spec, NOW - timedelta(hours=1))
        await core.polls.request_publish(poll_id, NOW - timedelta(hours=1))
        await core.poll_publisher.tick()
        vote = {"a": VoteAction(poll_id, 1).encode()}
        vk = site.bot.vk
        for user in FORGERS:
            for secret in (None, "", "wrong", SECRET.upper(), 12345, [SECRET]):
                press = vk.message_event(user, vote)
                question = vk.message_new(user, INCIDENT)
                for event in (press, question):
                    forged = event if secret is None else {**event, "secret": secret}
                    assert (await site.post(forged))[0] == 403
        await site.bot.settle()
        assert await site.bot.inbox() == []
        assert await site.count(BallotRow.id) == 0
        assert await site.count(AppealRow.id) == 0
        assert await site.count(ExchangeRow.id) == 0

        # The same vote with the secret counts: the refusals above were the secret's doing.
        genuine = {**vk.message_event(FORGERS[0], vote), "secret": SECRET}
        assert await site.post(genuine) == (200, "ok")
        await site.bot.settle()
        assert await site.count(BallotRow.id) == 1


def nested(depth: int) -> bytes:
    return b'{"type": "message_new", "object": ' + b"[" * depth + b"]" * depth + b"}"


async def test_large_deep_and_malformed_bodies_get_400(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with endpoint(settings) as site:
        event = site.bot.vk.message_new(8100, "/help")
        signed = {**event, "secret": SECRET}
        padded = {**signed, "object": {**event["object"], "pad": "я" * MAX_BODY_BYTES}}
        bad_bodies = [
            b"",
            b"not json",
            b"{",
            b'{"secret": "' + SECRET.encode() + b'", "type": "message_new"',
            b"\xff\xfe\x00garbage",
            b"[]",
            b"42",
            b'"text"',
            b"null",
            nested(MAX_DEPTH + 1),
            nested(100_000),
            b"[" * 1_000_000,
            b'{"a": ' + b"1" * 100_000 + b"}",
            json.dumps(padded).encode(),
            b"\x00" * (MAX_BODY_BYTES + 1),
        ]
        for body in bad_bodies:
            status, _ = await site.post(body)
            assert status == 400, body[:40]
        for body in (b"{}", b'{"secret": "\\ud800"}', b'{"secret": null, "type": "confirmation"}'):
            assert (await site.post(body))[0] == 403
        # Brackets inside strings are text, not nesting.
        deep_text = {**signed, "object": {**event["object"], "note": "[" * 10_000}}
        assert await site.post(deep_text) == (200, "ok")
        # The endpoint still works for VK.
        assert await site.post({**event, "secret": SECRET, "event_id": "genuine"}) == (200, "ok")
        await site.bot.settle()
        assert len(await site.bot.inbox()) == 2
        assert all("secret" not in row.payload for row in await site.bot.inbox())
        assert await site.post({"type": "confirmation", "group_id": GROUP_ID}) == (200, "c0nf1rm")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
