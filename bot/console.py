"""Console channel: chat with the same core in a terminal, without any messenger token.

It is a trial of the real thing: the same dialog, database and knowledge base, the menu and
buttons shown, polls and announcements delivered as they would arrive in a messenger. With
input piped in, each line is echoed so that the output reads as a dialog.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import threading
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.core.dialog import DialogService
from bot.core.messages import Attachment, Button, Incoming, Platform, Reply, ResidentKey
from bot.core.ports import Clock, utc_now

CONSOLE_RESIDENT = ResidentKey(Platform.CONSOLE, "local")
CONSOLE_CHAT = "console"
# Broadcast messages a second to the console: one resident, so never a real limit.
CONSOLE_BROADCAST_RATE = 100.0

INTRO = (
    "Консоль бота «Вместе». Вы пишете как житель, бот отвечает так же, как в Telegram и VK: "
    "та же база знаний и та же база данных.\n"
    "Кнопку под ответом выбирают её номером, кнопку меню — её текстом. "
    "Выход — Ctrl+D (или Ctrl+C)."
)
MENU_LABEL = "Меню"
PROMPT = "> "

_TAG = re.compile(r"<[^>]+>")

Job = Callable[[], Awaitable[None]]


class ConsoleMessenger:
    """Prints replies; buttons become numbered choices the person can type."""

    platform = Platform.CONSOLE

    def __init__(self, output: TextIO) -> None:
        self._output = output
        self._counter = 0
        self.choices: dict[str, Button] = {}

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        self._counter += 1
        lines = [_plain(reply.text) if reply.html else reply.text]
        buttons = [button for row in reply.buttons for button in row]
        if buttons:
            self.choices = {str(number): button for number, button in enumerate(buttons, 1)}
            lines += [f"  [{number}] {button.text}" for number, button in self.choices.items()]
        lines += [
            f"  📎 {attachment.file_name or attachment.kind}" for attachment in reply.attachments
        ]
        if reply.menu:
            labels = " ".join(f"[{label}]" for row in reply.menu for label in row)
            lines.append(f"  {MENU_LABEL}: {labels}")
        self._output.write("\n".join(lines) + "\n\n")
        self._output.flush()
        return [str(self._counter)]

    async def download(self, attachment: Attachment) -> bytes:
        raise NotImplementedError("the console has no media of its own")


class Deliveries:
    """Runs the jobs that send polls and broadcasts, one pass at a time: after each turn, so
    a transcript keeps its order, and on a timer, for what is queued while nobody types."""

    def __init__(self, *jobs: Job) -> None:
        self._jobs = jobs
        self._lock = asyncio.Lock()

    async def __call__(self) -> None:
        async with self._lock:
            for job in self._jobs:
                await job()


async def run_console(
    dialog: DialogService,
    messenger: ConsoleMessenger,
    source: TextIO,
    output: TextIO,
    clock: Clock = utc_now,
    *,
    before_turn: Job | None = None,
    after_turn: Job | None = None,
) -> None:
    """Read lines until end of input; a number picks a button from the last reply.
    `before_turn` runs before each message is handled (the knowledge-base reload), and
    `after_turn` after it (deliveries)."""
    interactive = source.isatty()

    async def say(text: str = "", callback_data: str | None = None) -> None:
        if before_turn is not None:
            await before_turn()
        await dialog.handle(
            Incoming(
                resident=CONSOLE_RESIDENT,
                chat_id=CONSOLE_CHAT,
                received_at=clock(),
                text=text,
                display_name="Консоль",
                callback_data=callback_data,
            )
        )
        if after_turn is not None:
            await after_turn()

    output.write(INTRO + "\n\n")
    await say("/start")
    lines = _read_lines(source)
    while True:
        if interactive:
            output.write(PROMPT)
            output.flush()
        line = await lines.get()
        if not line:
            return
        text = line.strip()
        if not text:
            continue
        if not interactive:
            # A terminal shows what was typed; piped input would otherwise vanish.
            output.write(f"{PROMPT}{text}\n")
        choice = messenger.choices.get(text)
        if choice is not None:
            messenger.choices = {}
            await say(callback_data=choice.action.encode())
        else:
            await say(text)


def _read_lines(source: TextIO) -> asyncio.Queue[str]:
    """Lines of `source` as they come, then "" at its end. A daemon thread reads them: a
    worker of the loop's executor would hold the process on Ctrl+C until Enter is pressed."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        # The loop is gone when input arrives after the console stopped.
        with contextlib.suppress(RuntimeError):
            for line in iter(source.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, "")

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return queue


def _plain(text: str) -> str:
    """Telegram-style HTML as a terminal shows it: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))
