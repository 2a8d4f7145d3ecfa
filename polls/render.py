"""A poll as residents see it on any platform: text, current results and option buttons."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.core.actions import PollOtherAction, VoteAction
from bot.core.dates import MONTHS_GENITIVE
from bot.core.messages import Button, Reply
from bot.storage.records import Poll, PollStatus
from polls import texts
from polls.model import Choice, PollResults

# VK cuts button labels at 40 characters; the full option text is in the message above.
MAX_BUTTON_LABEL = 40
# VK shows at most six rows of inline buttons: longer polls get numbered buttons, five a row.
MAX_BUTTON_ROWS = 6
NUMBERS_PER_ROW = 5


def poll_message(
    poll: Poll,
    results: PollResults | None,
    choice: Choice | None,
    *,
    tz: tzinfo,
    now: datetime | None = None,
) -> Reply:
    """Results are shown once the resident has answered or the poll is over (counts only,
    which even anonymous polls allow); buttons only while votes are taken."""
    closed = poll.status is PollStatus.CLOSED or (now is not None and now >= poll.closes_at)
    lines = [texts.HEADER_CLOSED if closed else texts.HEADER, "", poll.question, ""]
    lines += [f"{option.position}. {option.text}" for option in poll.options]
    lines.append("")
    if not closed:
        lines.append(texts.PICK_MANY if poll.multiple else texts.PICK_ONE)
        if poll.other:
            lines.append(texts.CAN_ADD_OTHER)
        if not poll.revote:
            lines.append(texts.NO_REVOTE)
        if now is not None and now < poll.opens_at:
            lines.append(texts.OPENS_AT.format(when=format_moment(poll.opens_at, tz)))
        lines.append(texts.CLOSES_AT.format(when=format_moment(poll.closes_at, tz)))
    lines.append(texts.ANONYMOUS if poll.anonymous else texts.PUBLIC)
    if choice is not None:
        lines += ["", _describe(poll, choice)]
    if results is not None and (closed or choice is not None):
        lines += ["", *result_lines(results)]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if not closed:
        buttons = _buttons(poll, choice or Choice())
    return Reply("\n".join(lines).strip(), buttons=buttons)


def result_lines(results: PollResults) -> list[str]:
    lines = [texts.RESULTS.format(voters=results.total_voters)]
    rows = [(option.text, option.votes) for option in results.options]
    if results.poll.other:
        rows.append((texts.OTHER, len(results.other_answers)))
    for text, votes in rows:
        percent = round(results.percent(votes))
        lines.append(texts.RESULT_LINE.format(text=text, votes=votes, percent=percent))
    return lines


def format_moment(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return texts.DATE_TIME.format(
        day=local.day,
        month=MONTHS_GENITIVE[local.month - 1],
        year=local.year,
        time=local.strftime("%H:%M"),
    )


def _describe(poll: Poll, choice: Choice) -> str:
    if choice.empty:
        return texts.NO_CHOICE
    parts = [option.text for option in poll.options if option.position in choice.positions]
    if choice.other_text is not None:
        parts.append(texts.YOUR_OTHER.format(text=choice.other_text))
    return texts.YOUR_CHOICE.format(choice="; ".join(parts))


def _buttons(poll: Poll, choice: Choice) -> tuple[tuple[Button, ...], ...]:
    compact = len(poll.options) + poll.other > MAX_BUTTON_ROWS
    votes = []
    for option in poll.options:
        mark = texts.CHOSEN_MARK if option.position in choice.positions else ""
        text = f"{mark}{option.position}" if compact else f"{mark}{option.position}. {option.text}"
        votes.append(Button(_label(text), VoteAction(poll.id, option.position)))
    step = NUMBERS_PER_ROW if compact else 1
    rows = [tuple(votes[start : start + step]) for start in range(0, len(votes), step)]
    if poll.other:
        mark = texts.CHOSEN_MARK if choice.other_text is not None else ""
        rows.append((Button(f"{mark}{texts.OTHER_BUTTON}", PollOtherAction(poll.id)),))
    return tuple(rows)


def _label(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_LABEL else text[: MAX_BUTTON_LABEL - 1] + "…"
