"""Flood limits: the limit per sliding window, one notice per flood, independent senders,
recovery, out-of-order times and bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.flood import FloodGuard, FloodVerdict
from bot.core.safety_texts import FLOOD_CALLBACK_NOTICE, FLOOD_NOTICE
from tests.common import FixedClock

ALLOW, NOTIFY, DROP = FloodVerdict.ALLOW, FloodVerdict.NOTIFY, FloodVerdict.DROP
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def guard(
    limit: int = 10, window: timedelta = MINUTE, clock: FixedClock | None = None
) -> FloodGuard:
    return FloodGuard(limit, window, clock or FixedClock(START))


def seconds(value: float) -> datetime:
    return START + timedelta(seconds=value)


def test_tenth_allowed_eleventh_notifies_then_drops() -> None:
    flood = guard()
    verdicts = [flood.check("tg:1", seconds(i)) for i in range(15)]
    assert verdicts == [ALLOW] * 10 + [NOTIFY] + [DROP] * 4


def test_one_sender_flooding_does_not_affect_another() -> None:
    flood = guard()
    for i in range(20):
        flood.check("tg:flooder", seconds(i))
        assert flood.check("vk:calm", seconds(i * 7)) is ALLOW
    assert flood.check("tg:flooder", seconds(20)) is DROP
    assert flood.check("vk:calm", seconds(140)) is ALLOW


def test_sender_recovers_after_the_window_and_a_new_flood_notifies_again() -> None:
    flood = guard(limit=3)
    first = [flood.check("k", seconds(i)) for i in range(5)]
    assert first == [ALLOW, ALLOW, ALLOW, NOTIFY, DROP]
    # Every message counts towards the rate: the dropped ones at 3 s and 4 s too.
    assert flood.check("k", seconds(61.5)) is DROP
    assert flood.check("k", seconds(200)) is ALLOW
    second = [flood.check("k", seconds(201 + i)) for i in range(4)]
    assert second == [ALLOW, ALLOW, NOTIFY, DROP]


def test_steady_writer_under_the_limit_is_never_limited() -> None:
    flood = guard(limit=10)
    assert all(flood.check("k", seconds(i * 6.5)) is ALLOW for i in range(200))


def test_burst_exactly_at_the_window_boundary() -> None:
    flood = guard(limit=10)
    assert [flood.check("k", START) for _ in range(10)] == [ALLOW] * 10
    # One window later the burst has left the half-open window.
    assert [flood.check("k", START + MINUTE) for _ in range(10)] == [ALLOW] * 10
    assert flood.check("k", START + MINUTE) is NOTIFY
    just_inside = guard(limit=10)
    for _ in range(10):
        just_inside.check("k", START)
    assert just_inside.check("k", START + MINUTE - timedelta(microseconds=1)) is NOTIFY


def test_out_of_order_times_do_not_crash_and_keep_the_limit() -> None:
    flood = guard(limit=3)
    times = [seconds(t) for t in (30, 10, 50, 20, 40, 35, 5, 59, 31)]
    verdicts = [flood.check("k", at) for at in times]
    assert verdicts.count(ALLOW) <= 3
    assert NOTIFY in verdicts


def test_late_message_cannot_slip_past_forgotten_times() -> None:
    flood = guard(limit=2, window=timedelta(seconds=6))
    assert [flood.check("k", seconds(t)) for t in (1, 2, 8)] == [ALLOW, ALLOW, ALLOW]
    # 1, 2 and 3 would share one window.
    assert flood.check("k", seconds(3)) is NOTIFY


def test_message_older_than_a_window_before_the_newest_is_only_recorded() -> None:
    flood = guard(limit=3)
    assert flood.check("k", seconds(600)) is ALLOW
    assert flood.check("k", seconds(10)) is DROP
    assert flood.check("k", seconds(601)) is ALLOW


def test_redelivered_backlog_is_judged_by_send_time() -> None:
    clock = FixedClock(START + timedelta(hours=1))
    flood = guard(limit=10, clock=clock)
    # Twenty messages written a minute apart an hour ago arrive at once after a restart.
    assert all(flood.check("k", START + i * MINUTE) is ALLOW for i in range(20))


def test_idle_senders_are_forgotten() -> None:
    clock = FixedClock(START)
    flood = guard(clock=clock)
    for i in range(100_000):
        clock.now = START + timedelta(milliseconds=10 * i)
        flood.check(f"tg:{i}", clock.now)
        assert len(flood) <= 12_001
    # Senders idle for two windows are gone.
    assert len(flood) <= 2 * 60 * 100 + 1


def test_memory_is_bounded_even_when_everyone_is_active() -> None:
    flood = FloodGuard(10, MINUTE, FixedClock(START), max_senders=1000)
    for i in range(100_000):
        flood.check(f"vk:{i}", START)
    assert len(flood) == 1000
    # The most recent senders are the ones kept.
    assert flood.check("vk:99999", START) is ALLOW


def test_callback_buttons_have_their_own_bucket() -> None:
    messages = guard(limit=10)
    callbacks = guard(limit=30)
    for i in range(30):
        assert callbacks.check("tg:1", seconds(i)) is ALLOW
    assert callbacks.check("tg:1", seconds(30)) is NOTIFY
    assert messages.check("tg:1", seconds(30)) is ALLOW


@pytest.mark.parametrize(
    ("limit", "window", "message"),
    [
        (0, MINUTE, "limit"),
        (10, timedelta(0), "window"),
        (10, -MINUTE, "window"),
    ],
)
def test_invalid_settings_are_rejected(limit: int, window: timedelta, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FloodGuard(limit, window, FixedClock(START))


def test_the_notice_promises_only_what_happens() -> None:
    """Flooded messages are recorded but never answered or forwarded later."""
    assert FLOOD_NOTICE == (
        "Сообщений приходит слишком много и быстро. Я их сохраняю, но пока не отвечаю на них "
        "и не передаю сотрудникам. Сделайте, пожалуйста, паузу и через минуту-другую "
        "напишите вопрос ещё раз одним сообщением."
    )
    assert FLOOD_CALLBACK_NOTICE


# Times and windows on the same small scale, so that windows overlap in many ways.
OFFSETS = st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=60)


@settings(max_examples=400, deadline=None)
@given(
    offsets=OFFSETS,
    limit=st.integers(min_value=1, max_value=6),
    window_s=st.integers(min_value=1, max_value=80),
    ordered=st.booleans(),
)
def test_property_limit_per_window_and_one_notice_per_episode(
    offsets: list[int], limit: int, window_s: int, ordered: bool
) -> None:
    window = timedelta(seconds=window_s / 10)
    flood = FloodGuard(limit, window, FixedClock(START))
    times = [START + timedelta(seconds=o / 10) for o in (sorted(offsets) if ordered else offsets)]
    verdicts = [flood.check("k", at) for at in times]

    allowed = sorted(at for at, v in zip(times, verdicts, strict=True) if v is ALLOW)
    for i, first in enumerate(allowed):
        in_window = [at for at in allowed[i:] if at < first + window]
        assert len(in_window) <= limit

    since_allow = 0
    for verdict in verdicts:
        if verdict is ALLOW:
            since_allow = 0
        elif verdict is NOTIFY:
            since_allow += 1
            assert since_allow == 1, "a second notice without the rate dropping in between"

    if ordered:
        # In time order the first `limit` messages are always served.
        assert verdicts[:limit] == [ALLOW] * min(limit, len(verdicts))
