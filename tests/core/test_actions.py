from __future__ import annotations

import pytest

from bot.core.actions import AskStaffAction, FeedbackAction, PickAction, parse_action


@pytest.mark.parametrize(
    "action",
    [
        FeedbackAction(12, helpful=True),
        FeedbackAction(9_999_999_999, helpful=False),
        PickAction(7, 2),
        AskStaffAction(3),
    ],
)
def test_round_trip_within_telegram_limit(action: object) -> None:
    encoded = action.encode()  # type: ignore[attr-defined]
    assert len(encoded.encode()) <= 64
    assert parse_action(encoded) == action


@pytest.mark.parametrize(
    "payload",
    ["", "fb", "fb:1", "fb:1:2", "fb:x:1", "pk:1", "pk:-1:0", "ask:", "vote:1:2", "ask:1:2", "💥"],
)
def test_forged_payloads_are_rejected(payload: str) -> None:
    assert parse_action(payload) is None
