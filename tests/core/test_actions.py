from __future__ import annotations

import pytest

from bot.core.actions import (
    MAX_ID,
    MAX_PAYLOAD_LENGTH,
    MAX_SMALL,
    AnnounceAction,
    AnnounceTopicAction,
    AnnounceVerb,
    AskStaffAction,
    FeedbackAction,
    PickAction,
    PollAdminAction,
    PollVerb,
    RateAction,
    StaffAction,
    StaffVerb,
    SubscribeAction,
    VoteAction,
    parse_action,
)


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


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("sa:take:42", StaffAction(StaffVerb.TAKE, 42)),
        ("sa:close:9223372036854775807", StaffAction(StaffVerb.CLOSE, 2**63 - 1)),
        ("pa:res:5", PollAdminAction(PollVerb.RESULTS, 5)),
        ("pv:3:2", VoteAction(3, 2)),
        ("rt:8:5", RateAction(8, 5)),
        ("sb:1:0", SubscribeAction(1, on=False)),
        ("an:0", AnnounceTopicAction(0)),
        ("ax:send", AnnounceAction(AnnounceVerb.SEND)),
        ("fb:007:1", FeedbackAction(7, helpful=True)),
        # Superscripts, other scripts' digits, signs, underscores and spaces: `int` or
        # `isdigit` take them, a button never carries them.
        ("sa:take:²", None),
        ("sa:take:٣", None),
        ("pa:pub:¹", None),
        ("fb:١٢:1", None),
        ("pv:+1:1", None),
        ("pv: 1:1", None),
        ("pv:1_000:1", None),
        ("pv:1:1\n", None),
        ("rt:1:٥", None),
        # Beyond the database's 64-bit ids, or small numbers beyond any keyboard.
        ("pv:99999999999999999999:1", None),
        ("sa:close:9223372036854775808", None),
        ("ask:" + "9" * 400, None),
        ("pv:1:10000", None),
        ("pk:1:99999", None),
        ("sb:10000:1", None),
        ("an:123456", None),
        ("rt:1:6", None),
        ("pv:1:0", None),
        ("cs:2", None),
        # Longer than any button can carry.
        ("ax:send" + ":" * 64, None),
        ("fb:1:1" + " " * 70, None),
        ("sa:take:" + "1" * 60, None),
        ("sa:take:-1", None),
        ("sa:open:1", None),
        ("ax:later:1", None),
    ],
)
def test_payload_parsing_is_strict_and_bounded(payload: str, expected: object) -> None:
    assert parse_action(payload) == expected


def test_every_payload_the_bot_makes_parses_back() -> None:
    largest = [
        StaffAction(StaffVerb.CLOSE, MAX_ID),
        VoteAction(MAX_ID, MAX_SMALL),
        PollAdminAction(PollVerb.PUBLISH, MAX_ID),
        RateAction(MAX_ID, 5),
        PickAction(MAX_ID, MAX_SMALL),
    ]
    for action in largest:
        encoded = action.encode()
        assert len(encoded.encode()) <= MAX_PAYLOAD_LENGTH
        assert parse_action(encoded) == action
