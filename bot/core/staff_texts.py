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
APPEAL_LIMIT_REACHED = (
    "⚠️ Житель по обращению № {number} достиг суточного предела обращений ({limit}). "
    "До {resets_at} его новые вопросы сохраняются в этом обращении и сюда не пересылаются; "
    "ответьте на это сообщение, чтобы написать жителю."
)
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
ERASED_POST = "Обращение № {number}: данные жителя удалены по его просьбе (152-ФЗ)."
ERASED_POSTS_LEFT = (
    "Данные жителя удалены, но платформа не дала изменить прежние сообщения бота "
    "по обращениям № {numbers} (ВКонтакте — старше 24 часов): удалите их из чата вручную."
)
FORGET_TARGET = (
    "Укажите номер обращения жителя (/forget 2026-0042) или его id (/forget telegram:123)."
)
FORGET_ELSEWHERE = (
    "Данные этого жителя удаляют в чате, который ведёт его обращения "
    "(если обращений нет — в основном чате сотрудников)."
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


NAMELESS = "Без имени"
NO_TEXT = "<i>(без текста)</i>"
TOPIC_RECREATED = (
    "♻️ Тема жителя была удалена или недоступна — создал её заново.\n"
    "<b>Обращение № {number}</b> · {status}, срок ответа {deadline}\n"
    "От: {resident}\n\n{question}"
)
TOPIC_IDLE = "Открытых обращений жителя нет — тема закрыта до его следующего сообщения."
NO_APPEAL_IN_TOPIC = "У этого жителя нет обращений в этом чате — сообщение никуда не отправлено."
OTHER_CHAT_APPEAL = "Обращение № {number} ведёт другой чат сотрудников."

FAQ_ADD_USAGE = "Ответьте командой /faq_add на ответ сотрудника жителю."
FAQ_ADD_NOT_ANSWER = (
    "Это не ответ сотрудника жителю. Ответьте командой /faq_add на сообщение, "
    "которое было доставлено жителю."
)
FAQ_ADD_NO_QUESTION = "Текст вопроса жителя не сохранился — запись FAQ из него не сделать."
FAQ_ADD_NO_ANSWER = "В ответе нет текста — запись FAQ из него не сделать."
FAQ_ADD_ASK_ID = (
    "Новая запись FAQ.\n<b>Вопрос:</b> {question}\n<b>Ответ:</b> {answer}\n\n"
    "Пришлите id записи латиницей через дефис (например, <code>water-outage</code>) "
    "или «отмена»."
)
FAQ_ADD_BAD_ID = "id — латиница в нижнем регистре, цифры и одиночные дефисы (water-outage)."
FAQ_ADD_TAKEN_ID = "Запись с id {entry_id} уже есть. Пришлите другой id."
FAQ_ADD_ASK_CATEGORY = "Категория записи? Например: {examples}. «-» — без категории."
FAQ_ADD_PREVIEW = (
    "<b>Предпросмотр записи FAQ</b>\n<pre>{yaml}</pre>\n"
    "Сохранить в {path}? Ответьте «да» или «нет»."
)
FAQ_ADD_CONFIRM = "Ответьте «да», чтобы сохранить запись, или «нет», чтобы отменить."
FAQ_ADD_SAVED = (
    "✅ Запись {entry_id} сохранена в {path}; бот уже отвечает ею. Записей в FAQ: {count}."
)
FAQ_ADD_INVALID = "❌ Запись не сохранена, база знаний её не принимает:\n{errors}"
FAQ_ADD_CANCELLED = "Новая запись FAQ отменена."
FAQ_RELOADED = "База знаний перечитана: записей {entries}, файлов {files}."
FAQ_RELOAD_FAILED = (
    "❌ База знаний не перечитана, бот отвечает по прежней версии ({entries} зап.):\n{errors}"
)
YES_WORDS = frozenset({"да", "yes", "сохранить"})
NO_WORDS = frozenset({"нет", "no", "отмена", "отменить"})

SAVE_USAGE = "Ответьте командой /save ИМЯ на сообщение с текстом, который нужно сохранить."
SAVE_BAD_NAME = "Имя шаблона — одно слово из букв, цифр, дефиса или подчёркивания (до 32 знаков)."
SAVED_REPLY_CREATED = "Шаблон «{name}» сохранён. Отправить: /r {name} (ответом на обращение)."
SAVED_REPLY_UPDATED = "Шаблон «{name}» обновлён."
SAVED_REPLY_USAGE = "Укажите шаблон: /r ИМЯ — ответом на сообщение обращения или в теме жителя."
SAVED_REPLY_UNKNOWN = "Шаблона «{name}» нет. Список: /replies"
SAVED_REPLIES_EMPTY = "Шаблонов ответов пока нет. Сохранить: /save ИМЯ ответом на сообщение."
SAVED_REPLIES_HEADER = "<b>Шаблоны ответов</b> (/r ИМЯ):"
