"""Russian texts of the reports, the /stats message and the FAQ drafts."""

from __future__ import annotations

MASK_PHONE = "[телефон]"
MASK_EMAIL = "[email]"
MASK_ADDRESS = "[адрес]"
MASK_NAME = "[имя]"
MASK_CARD = "[карта]"
MASK_ACCOUNT = "[аккаунт]"
MASKS = (MASK_PHONE, MASK_EMAIL, MASK_ADDRESS, MASK_NAME, MASK_CARD, MASK_ACCOUNT)

NO_CATEGORY = "Без категории"
PLATFORM_NAMES = {"telegram": "Telegram", "vk": "ВКонтакте", "console": "консоль"}
OUTCOME_NAMES = {
    "answer": "ответил FAQ",
    "suggest": "предложены варианты",
    "escalate": "передано сотрудникам",
}
APPEAL_STATUS_NAMES = {
    "open": "новое",
    "in_progress": "в работе",
    "answered": "дан ответ",
    "closed": "закрыто",
    "cancelled": "отозвано",
}
POLL_STATUS_NAMES = {
    "draft": "черновик",
    "scheduled": "запланирован",
    "published": "опубликован",
    "closed": "завершён",
    "cancelled": "отменён",
}

PERIOD_WORDS_TODAY = frozenset({"today", "сегодня", "день"})
PERIOD_WORDS_WEEK = frozenset({"week", "неделя", "неделю"})
PERIOD_WORDS_MONTH = frozenset({"month", "месяц"})
PERIOD_HELP = (
    "Период: пусто (сегодня), «week» (7 дней), «month» (30 дней), одна дата "
    "или две, например «2026-11-01 2026-11-30» или «1 ноября 2026 — 30 ноября 2026»."
)
PERIOD_BAD_DATE = (
    "Не понял дату «{value}»: напишите её как 2026-11-01, 01.11.2026 или 1 ноября 2026. "
    + PERIOD_HELP
)
PERIOD_TOO_MANY = "Слишком много значений. " + PERIOD_HELP
PERIOD_REVERSED = "Начало периода ({since}) позже конца ({until})."
PERIOD_FUTURE = "Период начинается в будущем ({since})."

STATS_TITLE = "<b>Статистика за {period}</b>"
STATS_QUESTIONS = (
    "Вопросов: {total} — ответил FAQ: {answered}, варианты: {suggested}, сотрудникам: {escalated}"
)
STATS_PICKED = "Выбрано из вариантов: {picked}; «Не помогло»: {not_helpful}"
STATS_APPEALS = "Обращений: открыто {opened}, закрыто {closed}"
STATS_FIRST_RESPONSE = "Первый ответ (рабочие часы): медиана {median}, 90% — {p90}"
STATS_DEADLINE = "В срок: {share} ({within} из {decided})"
STATS_OVERDUE = "Просрочено сейчас: {count}"
STATS_RATING = "Средняя оценка: {average} ({count} оц.)"
STATS_CATEGORIES = "Темы: {items}"
STATS_PLATFORMS = "Платформы: {items}"
STATS_PLATFORM_ITEM = "{name} — {questions} вопр., {appeals} обр."
NO_VALUE = "—"
HOURS = "{value} ч"

CHART_TITLE = "Вопросы по дням"
CHART_Y = "Вопросов"
CHART_EMPTY = "Нет вопросов за период"
CHART_URGENT = "экстренное обращение"
POLL_CHART_X = "Голосов"
# Month names for chart axes and dates in words, without relying on the system's locale.
MONTHS_SHORT = ("янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")

REPORT_TITLE = "Отчёт чат-бота за {period}"
REPORT_GENERATED = "Сформирован {moment}"
SECTION_SUMMARY = "Коротко"
SUMMARY_HINT = "Сравнение с предыдущим периодом той же длины ({previous})."
SUMMARY_HEADER = ("Показатель", "За период", "Предыдущий период", "Изменение")
SUMMARY = {
    "questions": "Вопросов жителей",
    "answered_share": "Ответил FAQ сам, %",
    "appeals_opened": "Обращений к сотрудникам",
    "appeals_urgent": "Экстренных обращений",
    "median": "Первый ответ сотрудника (медиана), раб. ч",
    "deadline_share": "Ответов в срок, %",
    "rating": "Средняя оценка ответа (1–5)",
    "not_helpful": "Отметок «Не помогло»",
}
POINTS = " п. п."
HOURS_UNIT = " ч"
URGENT_BANNER = "Экстренные обращения за период: {count}."
URGENT_ITEM = "№ {number}, {moment}, {status}"
NO_ACTIVITY = "За период не было ни одного вопроса."
SECTION_STATS = "Ключевые показатели"
SECTION_CLUSTERS = "Вопросы без ответа: кандидаты в FAQ"
SECTION_FAQ = "Ответы FAQ: что переписать"
SECTION_APPEALS = "Обращения"
SECTION_POLLS = "Опросы"
CLUSTERS_HINT = (
    "Похожие вопросы, на которые FAQ не ответил (передано сотрудникам, не выбран ни один "
    "вариант или «Не помогло»), сгруппированы; крупные группы — первые кандидаты в базу знаний."
)
FAQ_HINT = (
    "Статьи базы знаний по числу ответов; высокая доля «Не помогло» — повод переписать ответ."
)
NOTHING = "Нет данных за период."
POLLS_UNAVAILABLE = "Таблицы опросов недоступны в этой базе данных."

FIGURE_HEADER = ("Показатель", "Значение")
FIGURES = {
    "questions": "Вопросов",
    "answered": "Ответил FAQ",
    "suggested": "Предложены варианты",
    "escalated": "Передано сотрудникам",
    "picked": "Выбрано из вариантов",
    "small_talk": "Приветствия и благодарности",
    "not_helpful": "Отметок «Не помогло»",
    "appeals_opened": "Обращений открыто",
    "appeals_urgent": "Из них экстренных",
    "appeals_closed": "Обращений закрыто",
    "median": "Медиана первого ответа, раб. ч",
    "p90": "90-й процентиль первого ответа, раб. ч",
    "deadline_share": "Доля ответов в срок, %",
    "overdue": "Просрочено сейчас",
    "rating": "Средняя оценка (1–5)",
    "ratings": "Оценок",
}
CATEGORY_HEADER = ("Тема обращений", "Обращений")
PLATFORM_HEADER = ("Платформа", "Вопросов", "Обращений")
DAILY_HEADER = ("День", "Ответил FAQ", "Варианты", "Сотрудникам", "Всего", "Экстренные")
DAILY_HINT = "В таблице только дни, когда были вопросы или экстренные обращения."
CLUSTER_HEADER = ("№", "Вопросов", "Тема", "Примеры вопросов", "Ответы сотрудников")
FAQ_HEADER = (
    "Статья (первый вопрос)",
    "Ответов",
    "«Помогло»",
    "«Не помогло»",
    "Доля «Не помогло», %",
)
APPEAL_HEADER = (
    "Номер",
    "Экстренное",
    "Тема",
    "Платформа",
    "Статус",
    "Открыто",
    "Первый ответ, раб. ч",
    "Закрыто",
    "До закрытия, раб. ч",
    "Срок",
    "Оценка",
)
URGENT_MARK = "экстренное"
DEADLINE_NAMES = {"met": "в срок", "missed": "просрочено", "pending": "ждёт ответа"}
POLL_HEADER = ("Вариант", "Голосов", "Доля, %")
POLL_META = "Статус: {status}; {opens} — {closes}; проголосовали: {voters}"
POLL_OTHER = "Свой вариант"
POLL_VOTERS = "Всего проголосовали"
SHEET_SUMMARY = "Сводка"
SHEET_STATS = "Показатели"
SHEET_DAILY = "По дням"
SHEET_CLUSTERS = "Без ответа"
SHEET_FAQ = "FAQ"
SHEET_APPEALS = "Обращения"
SHEET_POLLS = "Опросы"
POLL_SHEET_HEADER = ("Опрос", "Статус", "Начало", "Конец", "Вариант", "Голосов", "Доля, %")

DRAFTS_HEADER = (
    "# Черновики статей базы знаний из вопросов без ответа, на которые ответили сотрудники.\n"
    "# Проверьте формулировки и ответы, уберите лишнее и перенесите в базу знаний.\n"
)
DRAFTS_PERIOD = "# Период: {period}.\n"

INBOX_LINE = "Входящие в очереди: {pending} (старейшее ждёт {minutes} мин)."
