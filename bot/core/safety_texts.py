"""Texts residents read when the bot reacts to danger or to a flood of messages."""

from __future__ import annotations

# What to do first and which service answers fastest, by the kind `detect_emergency` names;
# 112 reaches every service, so the kinds without a line here get 112 alone.
_KIND_ADVICE = {
    "gas": (
        "При запахе газа не включайте и не выключайте свет и электроприборы, не зажигайте "
        "огонь, откройте окна и выйдите на улицу. Оттуда звоните 112 или 104 — аварийная "
        "газовая служба."
    ),
    "fire": "Пожарная охрана: 101. Уходите от огня и дыма, не пользуйтесь лифтом.",
    "explosion": "Пожарная охрана: 101. Отойдите подальше от места взрыва.",
    "injury": "Скорая помощь: 103.",
    "violence": "Полиция: 102.",
    "power_line": (
        "Не подходите к оборванному проводу ближе чем на 8 метров и не подпускайте других."
    ),
}


def emergency_reply(edds_phone: str | None, kind: str | None = None) -> str:
    """The first answer to a message that reports immediate danger of the given kind."""
    lines = [
        "⚠️ Если есть угроза жизни, здоровью или имуществу, прямо сейчас звоните 112 — "
        "это единый номер экстренных служб, звонок бесплатный, с мобильного можно "
        "позвонить даже без денег на счёте.",
    ]
    if kind in _KIND_ADVICE:
        lines.append(_KIND_ADVICE[kind])
    if edds_phone and edds_phone.strip():
        lines.append(f"Единая дежурно-диспетчерская служба (ЕДДС) округа: {edds_phone.strip()}.")
    lines.append(
        "Не ждите ответа в этом чате: бот не вызывает экстренные службы. "
        "Ваше сообщение мы тоже передаём дежурным сотрудникам администрации."
    )
    return "\n\n".join(lines)


FLOOD_NOTICE = (
    "Сообщений приходит слишком много и быстро. Я их сохраняю, но пока не отвечаю на них и "
    "не передаю сотрудникам. Сделайте, пожалуйста, паузу и через минуту-другую напишите "
    "вопрос ещё раз одним сообщением."
)
FLOOD_CALLBACK_NOTICE = "Слишком частые нажатия. Подождите немного и попробуйте ещё раз."
