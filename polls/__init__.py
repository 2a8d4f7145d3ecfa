"""«Решаем вместе»: polls residents answer in Telegram and VK, prepared by staff in YAML files.

The core is platform-neutral: adapters call `PollService` and send `poll_message` replies.
"""

from polls.chart import render_chart
from polls.model import (
    Choice,
    OptionResult,
    PollError,
    PollResults,
    PollSpec,
    PollSpecError,
    Refusal,
    VoteOutcome,
    VoteStatus,
)
from polls.render import poll_message
from polls.service import PollService
from polls.yaml_format import PollFileError, load_poll_file, parse_poll

__all__ = [
    "Choice",
    "OptionResult",
    "PollError",
    "PollFileError",
    "PollResults",
    "PollService",
    "PollSpec",
    "PollSpecError",
    "Refusal",
    "VoteOutcome",
    "VoteStatus",
    "load_poll_file",
    "parse_poll",
    "poll_message",
    "render_chart",
]
