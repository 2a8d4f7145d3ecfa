"""`python -m bot console` as a newcomer tries it: a subprocess with piped stdin, judged by its
transcript."""

from __future__ import annotations

import asyncio
import codecs
import io
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import announce_file
from bot.console import INTRO
from bot.core import broadcast_texts
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.records import Audience
from polls import PollSpec
from polls import texts as poll_texts
from polls.service import PollService
from tests.conftest import PROJECT, SAMPLE_FAQ

WAIT = 60.0
KB_ENTRY = """- id: heating
  questions:
    - Когда дадут отопление?
  answer: {answer}
"""


class Console:
    """The running console: lines go in one by one, the transcript is read as it grows."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.transcript = ""
        self._read = 0
        # A chunk may end inside a Cyrillic letter's two bytes.
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def until(self, marker: str) -> str:
        """The transcript since the last call, up to and including `marker`."""
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(WAIT):
                while marker not in self.transcript[self._read :]:
                    chunk = await self.process.stdout.read(4096)
                    assert chunk, f"the console ended before {marker!r}:\n{self.transcript}"
                    self.transcript += self._decoder.decode(chunk)
        except TimeoutError:
            raise AssertionError(f"no {marker!r} in:\n{self.transcript}") from None
        end = self.transcript.index(marker, self._read) + len(marker)
        seen, self._read = self.transcript[self._read : end], end
        return seen

    async def quit(self) -> str:
        """End of input, as Ctrl+D gives; returns stderr."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        rest, stderr = await asyncio.wait_for(self.process.communicate(), WAIT)
        self.transcript += self._decoder.decode(rest, final=True)
        assert self.process.returncode == 0, stderr.decode()
        return stderr.decode()


@pytest.fixture
async def console_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PYTHONPATH": str(PROJECT),
        "DATABASE_URL": database_url,
        "FAQ_PATH": str(SAMPLE_FAQ),
        "FAQ_LOCAL_PATH": str(tmp_path / "faq-local.yaml"),
    }


async def start_console(env: dict[str, str], cwd: Path) -> AsyncIterator[Console]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "console",
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield Console(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
async def console(console_env: dict[str, str], tmp_path: Path) -> AsyncIterator[Console]:
    async for running in start_console(console_env, tmp_path):
        yield running


async def test_piped_dialog_reads_as_a_transcript(console: Console) -> None:
    opening = await console.until(broadcast_texts.NO_BUTTON)
    assert opening.startswith(INTRO)
    assert "Выход — Ctrl+D" in INTRO
    assert "Здравствуйте" in opening
    assert "  Меню: [Задать вопрос сотруднику] [Мои обращения] [Помощь]" in opening
    # The notifications question arrives after the greeting, as in a messenger.
    assert opening.index("Здравствуйте") < opening.index(broadcast_texts.NOTIFY_QUESTION)
    await console.type("Когда дадут отопление?")
    answer = await console.until("[2] Не помогло")
    assert answer.lstrip().startswith("> Когда дадут отопление?\n")
    await console.type("1")
    assert (await console.until("Спасибо за оценку")).lstrip().startswith("> 1\n")
    await console.type("Помощь")
    assert "> Помощь\nКак пользоваться ботом" in await console.until("/help")
    stderr = await console.quit()
    # Dictionaries and migrations are not news for someone trying the bot.
    assert "pymorphy" not in stderr and "alembic" not in stderr


async def test_the_knowledge_base_is_reloaded_on_change(
    console_env: dict[str, str], tmp_path: Path
) -> None:
    kb = tmp_path / "kb.yaml"
    kb.write_text(KB_ENTRY.format(answer="Отопление включат 15 октября."), encoding="utf-8")
    async for console in start_console({**console_env, "FAQ_PATH": str(kb)}, tmp_path):
        await console.until(broadcast_texts.NO_BUTTON)
        await console.type("Когда дадут отопление?")
        assert "Отопление включат 15 октября." in await console.until("Не помогло")
        kb.write_text(KB_ENTRY.format(answer="Отопление включат 1 октября."), encoding="utf-8")
        # Another moment than the first version's: the change is seen whatever the clock's grain.
        later = kb.stat().st_mtime + 10
        os.utime(kb, (later, later))
        await console.type("Когда дадут отопление?")
        assert "Отопление включат 1 октября." in await console.until("Не помогло")
        await console.quit()


async def test_announcements_and_polls_arrive_in_the_console(
    console: Console, database_url: str, tmp_path: Path
) -> None:
    await console.until(broadcast_texts.NO_BUTTON)
    await console.type("1")
    await console.until("/unsubscribe")

    announcement = tmp_path / "news.yaml"
    announcement.write_text(
        "topic: Новости\ntext: В субботу в парке — день района.\n", encoding="utf-8"
    )
    settings = Settings(database_url=database_url, _env_file=None)
    assert await announce_file(settings, announcement, io.StringIO()) == 0
    assert "В субботу в парке — день района." in await console.until("день района.")

    database = Database(database_url)
    try:
        polls = PollService(database)
        now = datetime.now(UTC)
        spec = PollSpec(
            question="Где поставить новую детскую площадку?",
            options=("Парк Победы", "Улица Мира"),
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=7),
            audience=Audience.ALL,
        )
        poll_id = await polls.create(spec, now)
        await polls.request_publish(poll_id, now)
    finally:
        await database.dispose()
    poll = await console.until("[2] 2. Улица Мира")
    assert "Где поставить новую детскую площадку?" in poll
    assert "  [1] 1. Парк Победы\n" in poll
    await console.type("1")
    # The vote shows in the poll's buttons, as the messengers' edited message does.
    assert "> 1\n" in await console.until(f"[1] {poll_texts.CHOSEN_MARK}1. Парк Победы")
    await console.quit()


async def test_ctrl_c_ends_the_console_at_once(console: Console) -> None:
    """Waiting for input, Ctrl+C (SIGINT) stops it cleanly, without a further line."""
    await console.until(broadcast_texts.NO_BUTTON)
    console.process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(console.process.communicate(), WAIT)
    assert console.process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
