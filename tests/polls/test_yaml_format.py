from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.storage.records import Audience
from polls import PollFileError, PollSpec, load_poll_file

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
EXAMPLE = Path(__file__).resolve().parents[2] / "polls" / "examples" / "mobile-network.yaml"

MINIMAL = """\
question: Где поставить новую детскую площадку?
options: [У школы, В парке, У реки]
closes_at: 2026-12-10T18:00
"""


def load(tmp_path: Path, text: str) -> PollSpec:
    path = tmp_path / "poll.yaml"
    path.write_text(text, encoding="utf-8")
    return load_poll_file(path, tz=MOSCOW, now=NOW)


def test_the_documented_example_is_valid() -> None:
    spec = load_poll_file(EXAMPLE, tz=MOSCOW, now=NOW)
    assert spec.question == "Довольны ли вы качеством мобильной связи в округе?"
    assert spec.options == ("Да", "Скорее да", "Скорее нет", "Нет")
    assert spec.other and spec.anonymous and spec.revote and not spec.multiple
    assert spec.audience is Audience.ALL
    assert spec.opens_at == NOW
    assert spec.closes_at == NOW + timedelta(days=10)


def test_the_example_never_expires() -> None:
    years_later = NOW + timedelta(days=3650)
    spec = load_poll_file(EXAMPLE, tz=MOSCOW, now=years_later)
    assert spec.closes_at == years_later + timedelta(days=10)


@pytest.mark.parametrize(
    ("closes_in", "length"),
    [("10d", timedelta(days=10)), ("36h", timedelta(hours=36)), ("2 недели", timedelta(weeks=2))],
)
def test_closes_in_counts_from_the_opening(
    tmp_path: Path, closes_in: str, length: timedelta
) -> None:
    spec = load(
        tmp_path,
        MINIMAL.replace("closes_at: 2026-12-10T18:00", f"closes_in: {closes_in}")
        + "opens_at: 1 декабря 2026 09:00\n",
    )
    assert spec.opens_at == datetime(2026, 12, 1, 9, 0, tzinfo=MOSCOW)
    assert spec.closes_at == spec.opens_at + length


@pytest.mark.parametrize(
    "written", ["10 декабря 2026 18:00", "10.12.2026 18:00", "10 дек. 2026 г. в 18:00"]
)
def test_russian_dates_in_the_file(tmp_path: Path, written: str) -> None:
    spec = load(tmp_path, MINIMAL.replace("2026-12-10T18:00", written))
    assert spec.closes_at == datetime(2026, 12, 10, 18, 0, tzinfo=MOSCOW)


def test_defaults_and_timezone(tmp_path: Path) -> None:
    spec = load(tmp_path, MINIMAL)
    assert spec.opens_at == NOW
    assert spec.closes_at == datetime(2026, 12, 10, 18, 0, tzinfo=MOSCOW)
    assert (spec.multiple, spec.other, spec.anonymous, spec.revote) == (
        False,
        False,
        True,
        True,
    )
    assert spec.audience is Audience.ALL


def test_explicit_offsets_and_flags(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        MINIMAL.replace("2026-12-10T18:00", "'2026-12-10T18:00+05:00'")
        + "multiple: true\nother: true\nanonymous: false\nrevote: false\naudience: vk\n"
        + "opens_at: 2026-12-01 09:00:00\n",
    )
    assert spec.closes_at == datetime(2026, 12, 10, 18, 0, tzinfo=timezone(timedelta(hours=5)))
    assert spec.opens_at == datetime(2026, 12, 1, 9, 0, tzinfo=MOSCOW)
    assert spec.multiple and spec.other and not spec.anonymous and not spec.revote
    assert spec.audience is Audience.VK


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (MINIMAL + "colour: red\n", "unknown key(s) 'colour'"),
        (
            MINIMAL.replace("question: Где поставить новую детскую площадку?", "question: '  '"),
            "question is empty",
        ),
        (
            MINIMAL.replace("[У школы, В парке, У реки]", "[У школы]"),
            "expected 2 to 10 options, got 1",
        ),
        (
            MINIMAL.replace(
                "[У школы, В парке, У реки]", "[" + ", ".join(f"В{i}" for i in range(11)) + "]"
            ),
            "expected 2 to 10 options, got 11",
        ),
        (MINIMAL.replace("У реки", "у  школы"), "option 3 «у школы» duplicates an earlier one"),
        (MINIMAL.replace("У реки", "yes"), "option 3 must be text; put it in quotes"),
        (MINIMAL + "opens_at: 2026-12-11T09:00\n", "closes_at must be later than opens_at"),
        (MINIMAL.replace("2026-12-10T18:00", "2026-11-01T18:00"), "closes_at is in the past"),
        (MINIMAL.replace("2026-12-10T18:00", "2026-12-10"), "'closes_at' must be a date and time"),
        (MINIMAL.replace("2026-12-10T18:00", "завтра"), "'closes_at' must be a date and time"),
        (MINIMAL.replace("closes_at: 2026-12-10T18:00\n", ""), "missing 'closes_at'"),
        (MINIMAL + "closes_in: 10d\n", "give 'closes_at' or 'closes_in', not both"),
        (
            MINIMAL.replace("closes_at: 2026-12-10T18:00", "closes_in: скоро"),
            "'closes_in' must be a duration like 10d",
        ),
        (MINIMAL + "multiple: да\n", "'multiple' must be true or false"),
        (MINIMAL + "audience: ok\n", "'audience' must be one of all, telegram, vk"),
        (MINIMAL.replace("[У школы, В парке, У реки]", "У школы"), "'options' must be a list"),
        ("- just\n- a list\n", "expected a mapping of poll settings"),
        ("question: [unclosed\n", "invalid YAML at line"),
    ],
)
def test_invalid_files_name_the_file_and_the_reason(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(PollFileError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "poll.yaml") + ": ")
    assert reason in message
    assert "\n" not in message


def test_every_problem_is_listed(tmp_path: Path) -> None:
    with pytest.raises(PollFileError) as caught:
        load(tmp_path, "question: ''\noptions: [Да]\nclosed_at: 2026-12-10T18:00\n")
    message = str(caught.value)
    for reason in (
        "unknown key(s) 'closed_at'",
        "missing 'closes_at'",
        "question is empty",
        "expected 2 to 10 options",
    ):
        assert reason in message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PollFileError, match="cannot read"):
        load_poll_file(tmp_path / "missing.yaml", tz=MOSCOW, now=NOW)
