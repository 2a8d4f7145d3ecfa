"""Polls, their options and residents' ballots. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Platform, ResidentKey
from bot.storage.models import BallotChoiceRow, BallotRow, PollOptionRow, PollRow, ResidentRow
from bot.storage.records import (
    LIVE_POLL_STATUSES,
    Audience,
    Ballot,
    Poll,
    PollOption,
    PollStatus,
    PollTally,
    PublicVote,
)

_LIVE = [status.value for status in LIVE_POLL_STATUSES]


def _poll(row: PollRow, options: Iterable[PollOptionRow]) -> Poll:
    return Poll(
        id=row.id,
        question=row.question,
        options=tuple(
            PollOption(option.id, option.position, option.text)
            for option in sorted(options, key=lambda option: option.position)
        ),
        multiple=row.multiple,
        other=row.other,
        anonymous=row.anonymous,
        revote=row.revote,
        audience=Audience(row.audience),
        status=PollStatus(row.status),
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        created_at=row.created_at,
        publish_requested_at=row.publish_requested_at,
        published_at=row.published_at,
        closed_at=row.closed_at,
    )


class PollRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        *,
        question: str,
        options: Sequence[str],
        multiple: bool,
        other: bool,
        anonymous: bool,
        revote: bool,
        audience: Audience,
        opens_at: datetime,
        closes_at: datetime,
        now: datetime,
    ) -> Poll:
        row = PollRow(
            question=question,
            multiple=multiple,
            other=other,
            anonymous=anonymous,
            revote=revote,
            audience=audience.value,
            status=PollStatus.DRAFT.value,
            opens_at=opens_at,
            closes_at=closes_at,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        option_rows = [
            PollOptionRow(poll_id=row.id, position=position, text=text)
            for position, text in enumerate(options, start=1)
        ]
        self._session.add_all(option_rows)
        await self._session.flush()
        return _poll(row, option_rows)

    async def get(self, poll_id: int) -> Poll | None:
        row = await self._session.get(PollRow, poll_id, populate_existing=True)
        return (await self._with_options([row]))[0] if row else None

    async def request_publish(self, poll_id: int, now: datetime) -> bool:
        """Draft → scheduled; False when the poll was not a draft."""
        return await self._transition(
            poll_id,
            [PollStatus.DRAFT.value],
            status=PollStatus.SCHEDULED.value,
            publish_requested_at=now,
        )

    async def mark_published(self, poll_id: int, now: datetime) -> bool:
        return await self._transition(
            poll_id,
            [PollStatus.SCHEDULED.value],
            status=PollStatus.PUBLISHED.value,
            published_at=now,
        )

    async def close(self, poll_id: int, now: datetime) -> bool:
        """True only for the call that closed it, however many schedulers race."""
        return await self._transition(
            poll_id,
            [PollStatus.DRAFT.value, *_LIVE],
            status=PollStatus.CLOSED.value,
            closed_at=now,
        )

    async def mark_results_published(self, poll_id: int, now: datetime) -> bool:
        """True only for the call that first sent a closed poll's results to its voters."""
        result = await self._session.execute(
            update(PollRow)
            .where(
                PollRow.id == poll_id,
                PollRow.status == PollStatus.CLOSED.value,
                PollRow.results_published_at.is_(None),
            )
            .values(results_published_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def latest(self, limit: int) -> list[Poll]:
        """The newest polls first, whatever their status."""
        rows = list(
            await self._session.scalars(select(PollRow).order_by(PollRow.id.desc()).limit(limit))
        )
        return await self._with_options(rows)

    async def pending_publication(self, now: datetime) -> list[Poll]:
        return await self._select(
            PollRow.status == PollStatus.SCHEDULED.value,
            PollRow.opens_at <= now,
            PollRow.closes_at > now,
        )

    async def due_to_close(self, now: datetime) -> list[Poll]:
        return await self._select(PollRow.status.in_(_LIVE), PollRow.closes_at <= now)

    async def open_for(self, platform: Platform, now: datetime) -> list[Poll]:
        return await self._select(
            PollRow.status.in_(_LIVE),
            PollRow.opens_at <= now,
            PollRow.closes_at > now,
            PollRow.audience.in_([Audience.ALL.value, platform.value]),
        )

    async def claim_ballot(self, poll_id: int, resident_id: int, now: datetime) -> int | None:
        """Make sure the resident's one ballot exists; its id when this call created it.

        The unique key decides between concurrent first votes: on PostgreSQL the loser waits
        for the winner's commit and then inserts nothing."""
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(BallotRow)
            .values(poll_id=poll_id, resident_id=resident_id, cast_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=[BallotRow.poll_id, BallotRow.resident_id])
            .returning(BallotRow.id)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def ballot(self, poll_id: int, resident_id: int, *, lock: bool = False) -> Ballot | None:
        """The resident's ballot; with `lock`, held until commit so that concurrent votes of
        one resident apply one after another (SQLite already serialises writers)."""
        query = select(BallotRow).where(
            BallotRow.poll_id == poll_id, BallotRow.resident_id == resident_id
        )
        if lock:
            query = query.with_for_update()
        row = await self._session.scalar(query.execution_options(populate_existing=True))
        if row is None:
            return None
        positions = await self._session.scalars(
            select(PollOptionRow.position)
            .join(BallotChoiceRow, BallotChoiceRow.option_id == PollOptionRow.id)
            .where(BallotChoiceRow.ballot_id == row.id)
            .order_by(PollOptionRow.position)
        )
        return Ballot(
            id=row.id,
            poll_id=row.poll_id,
            resident_id=row.resident_id,
            positions=tuple(positions),
            other_text=row.other_text,
            cast_at=row.cast_at,
            updated_at=row.updated_at,
        )

    async def set_choice(
        self,
        ballot_id: int,
        poll: Poll,
        before: Sequence[int],
        positions: Sequence[int],
        other_text: str | None,
        now: datetime,
    ) -> None:
        """Replace the ballot's options `before` with `positions`, touching only the
        difference."""
        ids = {option.position: option.id for option in poll.options}
        removed = [ids[position] for position in before if position not in positions]
        added = [ids[position] for position in positions if position not in before]
        if removed:
            await self._session.execute(
                delete(BallotChoiceRow).where(
                    BallotChoiceRow.ballot_id == ballot_id, BallotChoiceRow.option_id.in_(removed)
                )
            )
        self._session.add_all(
            BallotChoiceRow(ballot_id=ballot_id, option_id=option_id) for option_id in added
        )
        await self._session.execute(
            update(BallotRow)
            .where(BallotRow.id == ballot_id)
            .values(other_text=other_text, updated_at=now)
        )
        await self._session.flush()

    async def tally(self, poll_id: int) -> PollTally:
        has_choice = exists().where(BallotChoiceRow.ballot_id == BallotRow.id)
        voters = await self._session.scalar(
            select(func.count(BallotRow.id)).where(
                BallotRow.poll_id == poll_id, has_choice | BallotRow.other_text.is_not(None)
            )
        )
        counts = await self._session.execute(
            select(PollOptionRow.position, func.count(BallotChoiceRow.id))
            .join(BallotChoiceRow, BallotChoiceRow.option_id == PollOptionRow.id)
            .where(PollOptionRow.poll_id == poll_id)
            .group_by(PollOptionRow.position)
        )
        others = await self._session.scalars(
            select(BallotRow.other_text)
            .where(BallotRow.poll_id == poll_id, BallotRow.other_text.is_not(None))
            .order_by(BallotRow.updated_at, BallotRow.id)
        )
        return PollTally(
            voters=int(voters or 0),
            votes={int(position): int(count) for position, count in counts.all()},
            other_answers=tuple(text for text in others if text is not None),
        )

    async def voters(self, poll_id: int) -> list[int]:
        """Resident ids with an answer (an option or their own text) in the poll."""
        has_choice = exists().where(BallotChoiceRow.ballot_id == BallotRow.id)
        return list(
            await self._session.scalars(
                select(BallotRow.resident_id)
                .where(BallotRow.poll_id == poll_id, has_choice | BallotRow.other_text.is_not(None))
                .order_by(BallotRow.resident_id)
            )
        )

    async def public_votes(self, poll_id: int) -> list[PublicVote]:
        """Who answered what; the service asks only for polls announced as public."""
        rows = (
            await self._session.execute(
                select(BallotRow, ResidentRow)
                .join(ResidentRow, ResidentRow.id == BallotRow.resident_id)
                .where(BallotRow.poll_id == poll_id)
                .order_by(BallotRow.cast_at, BallotRow.id)
            )
        ).all()
        choices: dict[int, list[int]] = {}
        for ballot_id, position in (
            await self._session.execute(
                select(BallotChoiceRow.ballot_id, PollOptionRow.position)
                .join(PollOptionRow, PollOptionRow.id == BallotChoiceRow.option_id)
                .where(PollOptionRow.poll_id == poll_id)
                .order_by(PollOptionRow.position)
            )
        ).all():
            choices.setdefault(ballot_id, []).append(position)
        votes = []
        for ballot, resident in rows:
            positions = tuple(choices.get(ballot.id, ()))
            if positions or ballot.other_text is not None:
                votes.append(
                    PublicVote(
                        display_name=resident.display_name,
                        key=ResidentKey(Platform(resident.platform), resident.external_id),
                        positions=positions,
                        other_text=ballot.other_text,
                    )
                )
        return votes

    async def counts(self, poll_id: int) -> tuple[int, int]:
        """Ballot rows and choice rows of a poll, for consistency checks."""
        ballots = await self._session.scalar(
            select(func.count(BallotRow.id)).where(BallotRow.poll_id == poll_id)
        )
        choices = await self._session.scalar(
            select(func.count(BallotChoiceRow.id))
            .join(BallotRow, BallotRow.id == BallotChoiceRow.ballot_id)
            .where(BallotRow.poll_id == poll_id)
        )
        return int(ballots or 0), int(choices or 0)

    async def _transition(self, poll_id: int, from_statuses: list[str], **values: object) -> bool:
        result = await self._session.execute(
            update(PollRow)
            .where(PollRow.id == poll_id, PollRow.status.in_(from_statuses))
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def _select(self, *conditions: ColumnElement[bool]) -> list[Poll]:
        rows = list(
            await self._session.scalars(
                select(PollRow).where(*conditions).order_by(PollRow.opens_at, PollRow.id)
            )
        )
        return await self._with_options(rows)

    async def _with_options(self, rows: Sequence[PollRow]) -> list[Poll]:
        if not rows:
            return []
        options: dict[int, list[PollOptionRow]] = {row.id: [] for row in rows}
        for option in await self._session.scalars(
            select(PollOptionRow).where(PollOptionRow.poll_id.in_(options))
        ):
            options[option.poll_id].append(option)
        return [_poll(row, options[row.id]) for row in rows]
