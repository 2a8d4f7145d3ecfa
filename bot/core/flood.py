"""Flood limits: a sliding window of message times per sender.

A sender within the limit is served (ALLOW). The first message over the limit gets one polite
notice (NOTIFY); further ones are only recorded (DROP) until the rate drops, and the next flood
notifies again. Every message counts towards the rate, dropped ones too: the rate is how fast
the resident writes, not how fast the bot answers.

Times are the messages' own (`at`), so updates re-delivered after a restart are judged by when
they were sent, not by when they arrive. A window is half-open: with 10 per minute, the 11th
message exactly one minute after the first is allowed again.

Guarantee: however the times are ordered, no window of length `window` holds more than `limit`
allowed messages of one sender. Keeping it needs the allowed times of the last two windows
before the newest message; a message older than one window before the newest cannot be checked
against what is forgotten, so it is treated as a late duplicate and only recorded.

Memory: senders idle (by `clock`) for two windows are forgotten, and at most `max_senders` are
kept, the least recently active forgotten first; forgetting a sender only resets its limit.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.ports import Clock

DEFAULT_MAX_SENDERS = 100_000


class FloodVerdict(StrEnum):
    ALLOW = "allow"
    NOTIFY = "notify"  # the first message over the limit: send the notice once
    DROP = "drop"  # record only


@dataclass(slots=True)
class _Sender:
    newest: datetime
    seen: datetime  # by the guard's clock, for idling out
    times: list[datetime] = field(default_factory=list)  # every message, sorted, newest `limit`
    allowed: list[datetime] = field(default_factory=list)  # allowed messages, sorted
    flooding: bool = False


class FloodGuard:
    def __init__(
        self,
        limit: int,
        window: timedelta,
        clock: Clock,
        max_senders: int = DEFAULT_MAX_SENDERS,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        if max_senders < 1:
            raise ValueError("max_senders must be at least 1")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._max_senders = max_senders
        self._senders: OrderedDict[str, _Sender] = OrderedDict()

    def __len__(self) -> int:
        """Senders currently remembered."""
        return len(self._senders)

    def check(self, key: str, at: datetime) -> FloodVerdict:
        now = self._clock()
        self._forget_idle(now)
        sender = self._senders.pop(key, None)
        if sender is None:
            sender = _Sender(newest=at, seen=now)
        self._senders[key] = sender
        sender.seen = now
        if len(self._senders) > self._max_senders:
            self._senders.popitem(last=False)

        if at <= sender.newest - self._window:
            return FloodVerdict.DROP
        sender.newest = max(sender.newest, at)
        verdict = self._judge(sender, at)
        self._remember(sender, at, verdict)
        return verdict

    def _judge(self, sender: _Sender, at: datetime) -> FloodVerdict:
        recent = bisect_right(sender.times, at) - bisect_right(sender.times, at - self._window)
        if recent < self._limit and not self._crowded(sender.allowed, at):
            sender.flooding = False
            return FloodVerdict.ALLOW
        if sender.flooding:
            return FloodVerdict.DROP
        sender.flooding = True
        return FloodVerdict.NOTIFY

    def _crowded(self, allowed: list[datetime], at: datetime) -> bool:
        """Whether some window containing `at` already holds `limit` allowed messages.

        Points fit in one half-open window exactly when their spread is under its length, so
        it is enough to look at each run of `limit` consecutive allowed times near `at`.
        """
        lo = bisect_right(allowed, at - self._window)
        hi = bisect_left(allowed, at + self._window)
        near = allowed[lo:hi]
        for first in range(len(near) - self._limit + 1):
            last = first + self._limit - 1
            if max(near[last], at) - min(near[first], at) < self._window:
                return True
        return False

    def _remember(self, sender: _Sender, at: datetime, verdict: FloodVerdict) -> None:
        insort(sender.times, at)
        # Only the newest `limit` times can decide whether the rate is over the limit.
        del sender.times[: -self._limit]
        if verdict is FloodVerdict.ALLOW:
            insort(sender.allowed, at)
        horizon = sender.newest - 2 * self._window
        del sender.allowed[: bisect_right(sender.allowed, horizon)]

    def _forget_idle(self, now: datetime) -> None:
        idle_since = now - 2 * self._window
        while self._senders:
            oldest = next(iter(self._senders.values()))
            if oldest.seen > idle_since:
                break
            self._senders.popitem(last=False)
