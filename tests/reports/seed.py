"""A small, fully known history of one week (Mon 2026-06-08 .. Sun 2026-06-14, Moscow) for
the report tests. Every expected figure in the tests is computed by hand from this file."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.workcalendar import OfficeHours, WorkCalendar
from bot.storage.database import Database
from bot.storage.models import (
    AppealRow,
    BallotChoiceRow,
    BallotRow,
    ExchangeRow,
    PollOptionRow,
    PollRow,
    ResidentRow,
)

MSK = ZoneInfo("Europe/Moscow")
CALENDAR = WorkCalendar(MSK, OfficeHours.parse("09:00-18:00"))
NOW = datetime(2026, 6, 16, 12, 0, tzinfo=MSK)
PHONE = "+7 916 123-45-67"
EXTERNAL_IDS = ("100500", "200600", "300700")
DISPLAY_NAMES = ("Иван Петров", "Мария Сидорова", "Олег Кузнецов")
STAFF_ANSWER_1 = "Отопление включат 15 октября.\nСправки по телефону 2-34-56."
STAFF_ANSWER_2 = "Отопление включат 15 октября."


def msk(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


async def seed(database: Database) -> dict[str, int]:
    """Fill the database; returns the ids of the rows tests refer to."""
    ids: dict[str, int] = {}
    async with database.unit_of_work() as uow:
        session = uow.session
        residents = [
            ResidentRow(
                platform=platform,
                external_id=external_id,
                display_name=name,
                first_seen=msk(5, 1, 9),
                last_seen=msk(6, 14, 9),
            )
            for platform, external_id, name in zip(
                ("telegram", "vk", "telegram"), EXTERNAL_IDS, DISPLAY_NAMES, strict=True
            )
        ]
        session.add_all(residents)
        await session.flush()
        r1, r2, r3 = (resident.id for resident in residents)

        def appeal(sequence: int, resident: int, **values: Any) -> AppealRow:
            row = AppealRow(year=2026, sequence=sequence, resident_id=resident, **values)
            row.last_activity_at = values["opened_at"]
            session.add(row)
            return row

        a6 = appeal(1, r1, status="in_progress", category=None, opened_at=msk(5, 20, 10),
                    deadline_at=msk(5, 21, 10))  # fmt: skip
        a0 = appeal(2, r3, status="closed", category="ЖКХ", opened_at=msk(6, 1, 10),
                    deadline_at=msk(6, 2, 10), first_response_at=msk(6, 1, 11),
                    closed_at=msk(6, 10, 12), rating=1)  # fmt: skip
        a1 = appeal(3, r1, status="closed", category="ЖКХ", opened_at=msk(6, 8, 10),
                    deadline_at=msk(6, 9, 10), first_response_at=msk(6, 8, 13),
                    answered_at=msk(6, 8, 13), closed_at=msk(6, 9, 10), rating=5)  # fmt: skip
        a2 = appeal(4, r2, status="answered", category="ЖКХ", opened_at=msk(6, 9, 11),
                    deadline_at=msk(6, 10, 11), first_response_at=msk(6, 10, 15),
                    answered_at=msk(6, 10, 15))  # fmt: skip
        # Thursday 16:00 before Russia Day (Friday 12 June) and a weekend.
        a3 = appeal(5, r3, status="closed", category=None, opened_at=msk(6, 11, 16),
                    deadline_at=msk(6, 15, 16), first_response_at=msk(6, 15, 10),
                    answered_at=msk(6, 15, 10), closed_at=msk(6, 15, 12), rating=3)  # fmt: skip
        # An emergency report (a live wire down) on Russia Day.
        a4 = appeal(6, r1, status="open", category="Благоустройство", opened_at=msk(6, 12, 12),
                    deadline_at=msk(6, 15, 18), urgent=True)  # fmt: skip
        a5 = appeal(7, r2, status="cancelled", category="Благоустройство",
                    opened_at=msk(6, 13, 10), deadline_at=msk(6, 16, 10),
                    closed_at=msk(6, 13, 11))  # fmt: skip
        await session.flush()
        ids.update(a0=a0.id, a1=a1.id, a2=a2.id, a3=a3.id, a4=a4.id, a5=a5.id, a6=a6.id)

        platform_of = {r1: "telegram", r2: "vk", r3: "telegram"}

        def exchange(resident: int, at: datetime, text: str | None, **values: Any) -> ExchangeRow:
            values.setdefault("direction", "in")
            values.setdefault("kind", "text")
            row = ExchangeRow(
                resident_id=resident,
                platform=platform_of[resident],
                text=text,
                text_length=len(text or ""),
                chat_id=str(resident),
                created_at=at,
                **values,
            )
            session.add(row)
            return row

        e1 = exchange(r1, msk(6, 8, 10), f"Когда включат отопление? Мой телефон {PHONE}",
                      outcome="escalate", appeal_id=a1.id)  # fmt: skip
        exchange(r2, msk(6, 9, 11), "когда дадут отопление в домах", outcome="escalate",
                 appeal_id=a2.id)  # fmt: skip
        exchange(r3, msk(6, 11, 16), "Почему нет отопления, когда включат?",
                 outcome="escalate", appeal_id=a3.id)  # fmt: skip
        exchange(r1, msk(6, 8, 13), f"Ответ по обращению № 2026-0003:\n\n{STAFF_ANSWER_1}",
                 direction="out", kind="staff", appeal_id=a1.id)  # fmt: skip
        exchange(r2, msk(6, 10, 15), f"Ответ по обращению № 2026-0004:\n\n{STAFF_ANSWER_2}",
                 direction="out", kind="staff", appeal_id=a2.id)  # fmt: skip
        exchange(r1, msk(6, 10, 9), "Как записать ребёнка в детский сад?", outcome="suggest")
        exchange(r2, msk(6, 10, 10), "запись в детский сад как оформить", outcome="suggest")
        e6 = exchange(r3, msk(6, 10, 12), "Где получить справку о составе семьи",
                      outcome="suggest")  # fmt: skip
        await session.flush()
        exchange(r3, msk(6, 10, 12, 1), f"pk:{e6.id}:0", kind="callback", outcome="picked",
                 faq_entry_id="family-certificate", feedback="helpful")  # fmt: skip
        exchange(r1, msk(6, 12, 12), "Сколько стоит проезд в автобусе", outcome="answer",
                 faq_entry_id="bus-fares", feedback="not_helpful")  # fmt: skip
        exchange(r2, msk(6, 12, 13), "Когда вывезут мусор?", outcome="answer",
                 faq_entry_id="garbage", feedback="helpful")  # fmt: skip
        exchange(r3, msk(6, 13, 9), "мусор не вывозят", outcome="answer", faq_entry_id="garbage")
        exchange(r1, msk(6, 14, 9), "Привет", outcome="small_talk")
        exchange(r1, msk(6, 14, 10), f"ask:{e1.id}", kind="callback", outcome="escalate")
        exchange(r2, msk(6, 15, 10), "Когда отопление", outcome="escalate")  # next week

        poll = PollRow(question="Какой сквер благоустроить первым?", status="closed",
                       opens_at=msk(6, 1, 9), closes_at=msk(6, 10, 18), created_at=msk(6, 1, 9),
                       closed_at=msk(6, 10, 18))  # fmt: skip
        later = PollRow(question="Будущий опрос", status="scheduled", opens_at=msk(7, 1, 9),
                        closes_at=msk(7, 10, 18), created_at=msk(6, 1, 9))  # fmt: skip
        session.add_all([poll, later])
        await session.flush()
        options = [
            PollOptionRow(poll_id=poll.id, position=index, text=text)
            for index, text in enumerate(("Сквер у школы", "Парк Победы", "Набережная"))
        ]
        session.add_all(options)
        await session.flush()
        for resident, option in ((r1, 0), (r2, 0), (r3, 1)):
            ballot = BallotRow(poll_id=poll.id, resident_id=resident, cast_at=msk(6, 2, 9),
                               updated_at=msk(6, 2, 9))  # fmt: skip
            session.add(ballot)
            await session.flush()
            session.add(BallotChoiceRow(ballot_id=ballot.id, option_id=options[option].id))
        await uow.commit()
    return ids
