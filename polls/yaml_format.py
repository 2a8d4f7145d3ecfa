"""Prepared polls in YAML files (the format is documented in polls/examples/)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from bot.core.dates import parse_duration, parse_moment
from bot.core.yaml_file import read_yaml
from bot.storage.records import Audience
from polls.model import PollSpec, PollSpecError

REQUIRED = ("question", "options")
FLAGS = {"multiple": False, "other": False, "anonymous": True, "revote": True}
KNOWN = {*REQUIRED, *FLAGS, "opens_at", "closes_at", "closes_in", "audience"}
TIME_EXAMPLE = "2026-12-10T18:00 or 10 декабря 2026 18:00"


class PollFileError(ValueError):
    """A poll file cannot be used; the message is one line: the file and every reason."""


def load_poll_file(path: Path, *, tz: tzinfo, now: datetime) -> PollSpec:
    data = read_yaml(path, PollFileError)
    return parse_poll(data, source=str(path), tz=tz, now=now)


def parse_poll(data: Any, *, source: str, tz: tzinfo, now: datetime) -> PollSpec:
    """A validated spec from loaded YAML; naive times are in `tz`, `opens_at` defaults to
    `now`."""
    if not isinstance(data, dict):
        raise PollFileError(f"{source}: expected a mapping of poll settings")
    reasons: list[str] = []
    unknown = sorted(str(key) for key in data if key not in KNOWN)
    if unknown:
        reasons.append(f"unknown key(s) {', '.join(repr(key) for key in unknown)}")
    reasons += [f"missing '{key}'" for key in REQUIRED if key not in data]
    if "closes_at" in data and "closes_in" in data:
        reasons.append("give 'closes_at' or 'closes_in', not both")
    elif "closes_at" not in data and "closes_in" not in data:
        reasons.append("missing 'closes_at' (or 'closes_in')")

    question = data.get("question", "")
    if not isinstance(question, str):
        reasons.append("'question' must be text")
        question = ""
    options = _options(data.get("options", []), reasons)
    flags = {}
    for key, default in FLAGS.items():
        value = data.get(key, default)
        if not isinstance(value, bool):
            reasons.append(f"'{key}' must be true or false")
            value = default
        flags[key] = value
    audience = data.get("audience", Audience.ALL.value)
    if audience not in {member.value for member in Audience}:
        reasons.append(f"'audience' must be one of {', '.join(member for member in Audience)}")
        audience = Audience.ALL.value
    opens_at = _time(data, "opens_at", tz, reasons) or now
    closes_at = _time(data, "closes_at", tz, reasons)
    if "closes_in" in data and "closes_at" not in data:
        length = parse_duration(str(data["closes_in"]))
        if length is None:
            reasons.append(
                f"'closes_in' must be a duration like 10d, 36h or 2w, got {data['closes_in']!r}"
            )
        else:
            closes_at = opens_at + length
    if closes_at is not None and closes_at <= now:
        reasons.append("closes_at is in the past")
    try:
        spec = PollSpec(
            question=question.strip(),
            options=options,
            closes_at=closes_at or opens_at,
            opens_at=opens_at,
            audience=Audience(audience),
            **flags,
        )
    except PollSpecError as error:
        reasons += [
            reason for reason in error.reasons if closes_at is not None or "closes_at" not in reason
        ]
    if reasons:
        raise PollFileError(f"{source}: {'; '.join(reasons)}")
    return spec


def _options(value: Any, reasons: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list):
        reasons.append("'options' must be a list")
        return ()
    options = []
    for position, option in enumerate(value, start=1):
        if isinstance(option, str):
            options.append(" ".join(option.split()))
        else:
            # YAML reads bare yes/no/on/off as booleans and digits as numbers.
            reasons.append(f"option {position} must be text; put it in quotes")
    return tuple(options)


def _time(data: dict[Any, Any], key: str, tz: tzinfo, reasons: list[str]) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    moment = parse_moment(value, tz) if isinstance(value, str) else None
    if moment is None:
        kind = "a date without a time" if isinstance(value, date) else repr(value)
        reasons.append(f"'{key}' must be a date and time like {TIME_EXAMPLE}, got {kind}")
    return moment
