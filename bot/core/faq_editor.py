"""Answers that grow the FAQ: `/faq_add` turns a resident's question and the staff answer to it
into a knowledge-base entry; `/faq_reload` re-reads the knowledge base.

New entries go to the writable local file (`FAQ_LOCAL_PATH`). The file is written only after
the whole knowledge base with the new entry passed the loader's checks, and atomically (a
temporary file renamed over it), so the bot never sees half a file.
"""

from __future__ import annotations

import asyncio
import html
import os
from pathlib import Path
from typing import Any

import yaml

from bot.core import sanitize, staff_texts
from bot.core.messages import Reply
from bot.core.ports import Clock, utc_now
from bot.core.staff import StaffMessage, StaffResult, staff_key
from bot.storage.database import UnitOfWork
from bot.storage.records import ConversationState
from faq import FaqLibrary, KnowledgeBaseError, load_knowledge_base
from faq.check import warnings_for
from faq.kb import ID_PATTERN

FLOW = "faq_add"
QUESTION_KINDS = frozenset({"text", "media"})
MAX_QUESTIONS = 5
MAX_REPORTED_LINES = 15
CATEGORY_EXAMPLES = 5


class FaqEditor:
    def __init__(self, faq: FaqLibrary, local_path: Path, clock: Clock = utc_now) -> None:
        self._faq = faq
        self._local = Path(local_path)
        self._clock = clock

    async def add(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        """`/faq_add` as a reply to a staff answer: starts the flow (id, category, preview)."""
        if message.reply_to_message_id is None:
            return _say(staff_texts.FAQ_ADD_USAGE)
        link = await uow.appeals.find_link(message.chat_id, message.reply_to_message_id)
        if link is None or link.direction != "out":
            return _say(staff_texts.FAQ_ADD_NOT_ANSWER)
        answer = (message.reply_to_text or "").strip()
        if not answer:
            return _say(staff_texts.FAQ_ADD_NO_ANSWER)
        exchanges = await uow.exchanges.for_resident(link.resident_id)
        questions: list[str] = []
        for exchange in exchanges:
            text = (exchange.text or "").strip()
            if (
                exchange.appeal_id == link.appeal_id
                and exchange.direction == "in"
                and exchange.kind in QUESTION_KINDS
                and text
                and text not in questions
            ):
                questions.append(text)
        if not questions:
            return _say(staff_texts.FAQ_ADD_NO_QUESTION)
        data = {"questions": questions[:MAX_QUESTIONS], "answer": answer}
        await uow.states.set(staff_key(message), FLOW, data, self._clock())
        if argument:
            return await self.step(uow, message, ConversationState(FLOW, data, self._clock()))
        text = staff_texts.FAQ_ADD_ASK_ID.format(
            question=sanitize.quote_html("\n".join(data["questions"])), answer=html.escape(answer)
        )
        return StaffResult(Reply(text, html=True, quotes_resident=True))

    async def step(
        self, uow: UnitOfWork, message: StaffMessage, state: ConversationState
    ) -> StaffResult:
        """The staff member's next messages: the id, the category, then «да» or «нет»."""
        key = staff_key(message)
        text = (message.command[1] if message.command else message.text).strip()
        if text.casefold() in staff_texts.NO_WORDS:
            await uow.states.clear(key)
            return _say(staff_texts.FAQ_ADD_CANCELLED)
        data = dict(state.data)
        if "id" not in data:
            entry_id = text.lower()
            if not ID_PATTERN.match(entry_id):
                return _say(staff_texts.FAQ_ADD_BAD_ID)
            if self._faq.entry(entry_id) is not None:
                return _say(staff_texts.FAQ_ADD_TAKEN_ID.format(entry_id=entry_id))
            await uow.states.set(key, FLOW, {**data, "id": entry_id}, self._clock())
            categories = sorted({e.category for e in self._faq.entries if e.category})
            examples = ", ".join(categories[:CATEGORY_EXAMPLES]) or "ЖКХ"
            return _say(staff_texts.FAQ_ADD_ASK_CATEGORY.format(examples=html.escape(examples)))
        if "category" not in data:
            data["category"] = "" if text == "-" else text
            entry = _entry(data)
            errors, warnings = await asyncio.to_thread(self._write, entry, False)
            if errors:
                await uow.states.clear(key)
                return _say(staff_texts.FAQ_ADD_INVALID.format(errors=_lines(errors)))
            await uow.states.set(key, FLOW, data, self._clock())
            preview = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False)
            text = staff_texts.FAQ_ADD_PREVIEW.format(
                yaml=html.escape(preview), path=html.escape(str(self._local))
            )
            if warnings:
                text += "\n\n" + html.escape("\n".join(warnings))
            return _say(text, html_=True)
        if text.casefold() not in staff_texts.YES_WORDS:
            return _say(staff_texts.FAQ_ADD_CONFIRM)
        await uow.states.clear(key)
        entry = _entry(data)
        errors, _ = await asyncio.to_thread(self._write, entry, True)
        errors = errors or self._faq.reload()
        if errors:
            return _say(staff_texts.FAQ_ADD_INVALID.format(errors=_lines(errors)))
        return _say(
            staff_texts.FAQ_ADD_SAVED.format(
                entry_id=entry["id"], path=self._local, count=len(self._faq.entries)
            )
        )

    async def reload(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        """`/faq_reload`: re-read every file; a broken one is reported, the bot keeps going."""
        errors = self._faq.reload()
        if errors:
            return _say(
                staff_texts.FAQ_RELOAD_FAILED.format(
                    entries=len(self._faq.entries), errors=_lines(errors)
                )
            )
        return _say(
            staff_texts.FAQ_RELOADED.format(
                entries=len(self._faq.entries), files=len(self._faq.files)
            )
        )

    def _write(self, entry: dict[str, Any], commit: bool) -> tuple[list[str], list[str]]:
        """Check the knowledge base with `entry` added to the local file; with `commit`, put
        the file in place. Returns the errors and the checker's warnings about the entry."""
        existing: list[Any] = []
        if self._local.exists():
            try:
                loaded = yaml.safe_load(self._local.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
                return [f"{self._local}: {error}"], []
            if not isinstance(loaded, list | None):
                return [f"{self._local}: must be a list of entries"], []
            existing = loaded or []
        temporary = self._local.with_name(f".{self._local.name}.tmp")
        dumped = yaml.safe_dump([*existing, entry], allow_unicode=True, sort_keys=False)
        try:
            temporary.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(dumped, encoding="utf-8")
        except OSError as error:
            return [f"{self._local}: cannot write: {error.strerror or error}"], []
        paths = [path for path in self._faq.paths if path != self._local] + [temporary]
        try:
            kb = load_knowledge_base(paths)
        except KnowledgeBaseError as error:
            temporary.unlink(missing_ok=True)
            return [line.replace(str(temporary), str(self._local)) for line in error.errors], []
        warnings = [line for line in warnings_for(kb, self._faq.thresholds) if entry["id"] in line]
        if commit:
            os.replace(temporary, self._local)
        else:
            temporary.unlink(missing_ok=True)
        return [], warnings


def _entry(data: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": data["id"]}
    if data.get("category"):
        entry["category"] = data["category"]
    entry["questions"] = list(data["questions"])
    entry["answer"] = data["answer"]
    return entry


def _lines(errors: list[str]) -> str:
    shown = errors[:MAX_REPORTED_LINES]
    more = len(errors) - len(shown)
    return "\n".join(shown) + (f"\n… и ещё {more}" if more > 0 else "")


def _say(text: str, *, html_: bool = False) -> StaffResult:
    return StaffResult(Reply(text, html=html_))
