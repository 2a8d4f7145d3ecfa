"""Texts residents read when the bot reacts to danger or to a flood of messages."""

from __future__ import annotations


def emergency_reply(edds_phone: str | None) -> str:
    """The first answer to a message that reports immediate danger."""
    lines = [
        "⚠️ Если есть угроза жизни, здоровью или имуществу, прямо сейчас звоните 112 — "
        "это единый номер экстренных служб, звонок бесплатный, с мобильного можно "
        "позвонить даже без денег на счёте.",
    ]
    if edds_phone and edds_phone.strip():
        lines.append(f"Единая дежурно-диспетчерская служба (ЕДДС) округа: {edds_phone.strip()}.")
    lines.append(
        "Не ждите ответа в этом чате: бот не вызывает экстренные службы. "
        "Ваше сообщение мы тоже передаём дежурным сотрудникам администрации."
    )
    return "\n\n".join(lines)


FLOOD_NOTICE = (
    "Сообщений приходит очень много и быстро. Все они сохранены, ничего не потеряется. "
    "Пожалуйста, сделайте небольшую паузу: я продолжу отвечать и передавать вопросы "
    "сотрудникам, как только поток сообщений станет спокойнее."
)
FLOOD_CALLBACK_NOTICE = "Слишком частые нажатия. Подождите немного и попробуйте ещё раз."
