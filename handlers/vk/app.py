"""The VK channel, assembled from the core the composition root built."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr
from vkbottle import AiohttpClient

from bot.app import Core
from bot.core.intake import Intake
from bot.core.messages import Platform
from bot.settings import SettingsError
from bot.storage.records import InboxRecord
from handlers.vk.api import create_api
from handlers.vk.callback_api import VkCallbackServer
from handlers.vk.messenger import VkMessenger
from handlers.vk.residents import VkResidents
from handlers.vk.staff import VkStaff, VkStaffDirectory
from handlers.vk.transport import LONG_POLL_WAIT, VkLongPoll
from handlers.vk.users import VkNames


class VkChannel:
    name = "vk"

    def __init__(self, core: Core, *, poll_wait: int | None = None) -> None:
        settings = core.settings
        token = settings.vk_group_token
        assert token is not None
        if settings.vk_group_id is None:
            raise SettingsError("Invalid setting VK_GROUP_ID: required with VK_GROUP_TOKEN")
        self.http = AiohttpClient()
        self.api = create_api(
            settings.vk_api_url, token.get_secret_value(), settings.vk_rate_limit, self.http
        )
        messenger = VkMessenger(self.api)
        core.messengers.register(messenger)
        self.intake = Intake(core.database, "vk", concurrency=settings.handler_concurrency)
        names = VkNames(self.api)
        self.residents = VkResidents(core.dialog, self.api, names)
        self.staff: VkStaff | None = None
        chat = core.staff_chat
        if chat is not None and chat.platform is Platform.VK:
            self.staff = VkStaff(
                core.staff_service(VkStaffDirectory(self.api)),
                messenger,
                self.api,
                names,
                peer_ids={int(chat.chat_id)},
                group_id=settings.vk_group_id,
            )
        self.transport: VkLongPoll | VkCallbackServer
        if settings.vk_transport == "callback":
            secret = _secret(settings.vk_secret)
            if not secret:
                raise SettingsError(
                    "Invalid setting VK_SECRET: required with VK_TRANSPORT=callback"
                )
            self.transport = VkCallbackServer(
                self.intake,
                group_id=settings.vk_group_id,
                host=settings.vk_callback_host,
                port=settings.vk_callback_port,
                path=settings.vk_callback_path,
                confirmation=_secret(settings.vk_confirmation_code),
                secret=secret,
            )
        else:
            self.transport = VkLongPoll(
                self.api,
                self.intake,
                settings.vk_group_id,
                wait=LONG_POLL_WAIT if poll_wait is None else poll_wait,
            )
        self._run: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Recover pending events, then receive new ones until stopped."""
        self._run = asyncio.current_task()
        self.intake.start(self._process)
        await self.intake.recover()
        await self.transport.run()

    async def _process(self, record: InboxRecord) -> None:
        """Events of the staff conversation go to staff; everything else is the residents'."""
        if self.staff is not None and self.staff.accepts(record.payload):
            await self.staff.process(record)
        else:
            await self.residents.process(record)

    async def stop(self, grace: float) -> None:
        """The transports run until cancelled and store each event together with its
        position, so cancelling them loses nothing; handlers in flight get `grace`."""
        if self._run is not None and not self._run.done():
            self._run.cancel()
            await asyncio.wait([self._run])
        await self.intake.close(grace)
        await self.http.close()


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
