"""What the dialog needs to keep residents safe and staff unflooded."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.flood import FloodGuard


@dataclass(frozen=True)
class Safety:
    messages: FloodGuard
    callbacks: FloodGuard
    edds_phone: str
    on_duty: tuple[str, ...]
