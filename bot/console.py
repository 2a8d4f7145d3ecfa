"""Console channel: chat with the same core in a terminal, without any messenger token."""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot.core.dialog import DialogService
from bot.core.messages import Attachment, Button, Incoming, Platform, Reply, ResidentKey
from bot.core.ports import Clock, utc_now

CONSOLE_RESIDENT = ResidentKey(Platform.CONSOLE, "local")
CONSOLE_CHAT = "console"


class ConsoleMessenger:
    """Prints replies; buttons become numbered choices the person can type."""

    platform = Platform.CONSOLE

    def __init__(self, output: TextIO) -> None:
        self._output = output
        self._counter = 0
        self.choices: dict[str, Button] = {}

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        self._counter += 1
        lines = [reply.text]
        buttons = [button for row in reply.buttons for button in row]
        if buttons:
            self.choices = {str(number): button for number, button in enumerate(buttons, 1)}
            lines += [f"  [{number}] {button.text}" for number, button in self.choices.items()]
        lines += [
            f"  📎 {attachment.file_name or attachment.kind}" for attachment in reply.attachments
        ]
        self._output.write("\n".join(lines) + "\n\n")
        self._output.flush()
        return [str(self._counter)]

    async def download(self, attachment: Attachment) -> bytes:
        raise NotImplementedError("the console has no media of its own")


async def run_console(
    dialog: DialogService,
    messenger: ConsoleMessenger,
    source: TextIO,
    output: TextIO,
    clock: Clock = utc_now,
) -> None:
    """Read lines until end of input; a number picks a button from the last reply."""
    interactive = source.isatty()

    async def say(text: str = "", callback_data: str | None = None) -> None:
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

    await say("/start")
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            output.write("> ")
            output.flush()
        line = await loop.run_in_executor(None, source.readline)
        if not line:
            return
        text = line.strip()
        if not text:
            continue
        choice = messenger.choices.get(text)
        if choice is not None:
            messenger.choices = {}
            await say(callback_data=choice.action.encode())
        else:
            await say(text)
