"""Texts staff read in the staff chat. Resident-supplied values are escaped by the caller."""

from __future__ import annotations

import html

TAKE_BUTTON = "Взять в работу"
CLOSE_BUTTON = "Закрыть"
SPAM_BUTTON = "Спам / заблокировать"

PLATFORM_NAMES = {"telegram": "Telegram", "vk": "ВКонтакте", "console": "консоль"}

DELIVERED = "✅ Доставлено жителю."
UNREACHABLE = "❌ Не доставлено: житель заблокировал бота или запретил сообщения."
NOT_DELIVERED = "❌ Не доставлено: {reason}"
BANNED_RESIDENT = (
    "❌ Не отправлено: житель заблокирован. Снимите блокировку командой /unban, "
    "если ответ всё же нужен."
)
NO_APPEAL_FOR_REPLY = (
    "Не нашёл обращение для этого сообщения. Ответьте на сообщение бота об обращении."
)
NEED_TARGET = "Укажите номер обращения (например, /close 2026-0042) или ответьте на его сообщение."
UNKNOWN_APPEAL = "Обращение {number} не найдено."
NOT_ALLOWED = "Эта команда доступна только сотрудникам пресс-службы."
ADMINS_ONLY = "Эта команда доступна только администраторам чата сотрудников."
NO_OPEN_APPEALS = "Открытых обращений нет."
APPEALS_HEADER = "<b>Открытые обращения</b> (просроченные первыми):"
TAKEN = "Обращение № {number} взял в работу {staff}."
CLOSED = "Обращение № {number} закрыто ({staff})."
ALREADY_CLOSED = "Обращение № {number} уже закрыто."
REOPENED = "Обращение № {number} снова открыто ({staff})."
NOT_CLOSED = "Обращение № {number} не закрыто."
BANNED = "Житель заблокирован ({staff}); его сообщения больше не пересылаются."
UNBANNED = "Житель разблокирован ({staff})."
CANCELLED_BY_RESIDENT = "Житель отозвал обращение № {number}."
RATED = "Житель оценил ответ по обращению № {number}: {stars} из 5."
REMINDER = "⏰ Обращение № {number}: срок ответа истекает {deadline}."
OVERDUE = "🔥 Обращение № {number} просрочено: срок был {deadline}."
AUTOCLOSED = "Обращение № {number} закрыто автоматически: житель не отвечал {days} дн."
STATUS_NAMES = {
    "open": "новое",
    "in_progress": "в работе",
    "answered": "дан ответ",
    "closed": "закрыто",
    "cancelled": "отозвано",
}
FORGOTTEN_BY_RESIDENT = "Житель удалил свои данные; обращение № {number} закрыто."
FORGOTTEN_BY_STAFF = "Данные жителя удалены ({staff}); обращений затронуто: {count}."
FORGET_TARGET = (
    "Укажите номер обращения жителя (/forget 2026-0042) или его id (/forget telegram:123)."
)
URGENT = "🚨 СРОЧНО"


DANGER_NAMES = {
    "gas": "запах газа",
    "fire": "пожар или дым",
    "explosion": "взрыв",
    "drowning": "человек тонет",
    "power_line": "оборванные провода под напряжением",
    "injury": "пострадавший человек",
    "violence": "насилие или угроза",
    "child": "ребёнок в опасности",
    "suicide": "угроза самоубийства",
    "collapse": "обрушение",
    "flood": "прорыв горячей воды",
}


def urgent_alert(number: str, danger: str, on_duty: tuple[str, ...]) -> str:
    mentions = " ".join(html.escape(name) for name in on_duty)
    what = html.escape(DANGER_NAMES.get(danger, danger))
    text = f"{URGENT}: обращение № {number} — житель сообщает об опасности: {what}."
    return f"{text}\n{mentions}" if mentions else text
