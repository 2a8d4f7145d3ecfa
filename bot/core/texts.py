"""Texts residents read in the FAQ dialog, in one place."""

from __future__ import annotations

MENU_ASK_STAFF = "Задать вопрос сотруднику"
MENU_STATUS = "Мои обращения"
MENU_HELP = "Помощь"
START_WORDS = frozenset({"начать", "start", "старт"})

GREETING = (
    "Здравствуйте! Это бот администрации округа.\n\n"
    "Я отвечаю на частые вопросы жителей: отопление и вода, вывоз мусора, дороги, "
    "документы и МФЦ, детские сады, приём граждан. Просто напишите вопрос своими словами.\n\n"
    "Если готового ответа нет, передам вопрос сотрудникам пресс-службы, "
    "и они ответят здесь же.\n\n"
    "При угрозе жизни, пожаре или запахе газа звоните 112."
)

HELP = (
    "Как пользоваться ботом:\n"
    "• напишите вопрос обычными словами, например «когда включат отопление»;\n"
    "• если я не уверен, предложу похожие вопросы — выберите нужный;\n"
    "• кнопка «Задать вопрос сотруднику» передаст вопрос в пресс-службу.\n\n"
    "Команды: /start — начало, /status — мои обращения, /cancel — отозвать обращение, "
    "/help — эта справка.\n\n"
    "При угрозе жизни, пожаре или запахе газа звоните 112."
)

HELPFUL_BUTTON = "Помогло"
NOT_HELPFUL_BUTTON = "Не помогло"
ASK_STAFF_BUTTON = "Нет, задать вопрос сотруднику"

SUGGEST = "Возможно, вы имели в виду:"
THANKS_FOR_FEEDBACK = "Спасибо за оценку!"
NOT_HELPFUL = "Жаль, что ответ не помог. Передать ваш вопрос сотруднику?"
ESCALATED = (
    "Готового ответа на этот вопрос у меня нет. Передам его сотрудникам пресс-службы, "
    "они ответят здесь."
)
GREETING_REPLY = "Здравствуйте! Напишите, пожалуйста, ваш вопрос."
THANKS_REPLY = "Пожалуйста! Обращайтесь, если появятся вопросы."
REPHRASE = (
    "Не совсем понял вас. Сформулируйте, пожалуйста, вопрос словами или задайте его сотруднику."
)
STALE_BUTTON = "Эта кнопка уже не действует. Напишите вопрос ещё раз, пожалуйста."
MEDIA_ONLY = "Получил вложение. Напишите, пожалуйста, словами, чем я могу помочь."


def formal_notice(formal_url: str, reception_url: str) -> str:
    """Being honest about what the bot is: not a formal appeal under 59-ФЗ."""
    where = f"через Госуслуги: {formal_url}"
    if reception_url:
        where += f" или через интернет-приёмную администрации: {reception_url}"
    return (
        "Сообщение в этом чате — не официальное обращение по закону № 59-ФЗ. "
        f"Официальное обращение можно подать {where}"
    )


ASK_FOR_QUESTION = "Напишите ваш вопрос одним сообщением, и я передам его сотруднику."


def appeal_opened(number: str, deadline: str, seen_at: str | None) -> str:
    text = (
        f"Ваш вопрос передан сотрудникам пресс-службы. Номер обращения: № {number}.\n"
        f"Ответ придёт сюда до {deadline}."
    )
    if seen_at:
        text += f"\nСейчас нерабочее время: сотрудники увидят сообщение {seen_at}."
    return text


def appeal_joined(number: str) -> str:
    return f"Добавил это к обращению № {number}."


def staff_answer(number: str, text: str) -> str:
    header = f"Ответ по обращению № {number}"
    return f"{header}:\n\n{text}" if text else f"{header}."


NO_APPEALS = "У вас нет открытых обращений. Задайте вопрос — я постараюсь помочь."
STATUS_HEADER = "Ваши открытые обращения:"
STATUS_NAMES = {
    "open": "ждёт ответа",
    "in_progress": "в работе",
    "answered": "дан ответ",
}


def status_line(number: str, status: str, deadline: str) -> str:
    return f"№ {number} — {STATUS_NAMES.get(status, status)}, срок ответа до {deadline}"


def appeal_cancelled(number: str) -> str:
    return f"Обращение № {number} отозвано. Если вопрос останется, напишите снова."


NOTHING_TO_CANCEL = "Открытых обращений нет, отзывать нечего."


def appeal_closed(number: str) -> str:
    return f"Обращение № {number} закрыто. Оцените, пожалуйста, ответ от 1 до 5:"


THANKS_FOR_RATING = "Спасибо за оценку! Она поможет нам работать лучше."
BANNED_REPLY = "Ваше сообщение получено."
