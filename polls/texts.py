"""Texts of the polls feature that residents and staff read, in one place."""

from __future__ import annotations

HEADER = "📊 Решаем вместе"
HEADER_CLOSED = "📊 Решаем вместе — опрос завершён"
PICK_ONE = "Выберите один вариант."
PICK_MANY = "Можно выбрать несколько вариантов; повторное нажатие снимает выбор."
CAN_ADD_OTHER = "Можно предложить свой вариант."
NO_REVOTE = "Изменить ответ после голосования нельзя."
ANONYMOUS = "Опрос анонимный: сотрудники видят только число голосов."
PUBLIC = "Опрос открытый: сотрудники увидят, кто как ответил."
CLOSES_AT = "Голосование до {when}."
OPENS_AT = "Голосование начнётся {when}."
YOUR_CHOICE = "Ваш ответ: {choice}"
YOUR_OTHER = "свой вариант «{text}»"
NO_CHOICE = "Ваш ответ: пока ничего не выбрано."
RESULTS = "Результаты (ответили: {voters}):"
RESULT_LINE = "{text} — {votes} ({percent}%)"
CHOSEN_MARK = "✅ "
OTHER_BUTTON = "✍️ Свой вариант"
OTHER = "Свой вариант"
NO_OPEN_POLLS = "Сейчас открытых опросов нет. Мы сообщим, когда появится новый."
ASK_OTHER = "Напишите ваш вариант ответа одним сообщением."

VOTE_ACCEPTED = "Спасибо, ваш голос учтён!"
VOTE_CHANGED = "Ваш ответ изменён."
VOTE_UNCHANGED = "Ваш голос уже учтён."
REFUSED_UNKNOWN_POLL = "Такого опроса нет."
REFUSED_NOT_OPEN = "Голосование ещё не началось."
REFUSED_CLOSED = "Голосование завершено, ответы больше не принимаются."
REFUSED_NO_SUCH_OPTION = "Такого варианта ответа нет. Откройте опрос заново: /polls"
REFUSED_REVOTE = "Вы уже проголосовали, а изменить ответ в этом опросе нельзя."
REFUSED_AUDIENCE = "Этот опрос проводится на другой площадке."
REFUSED_NO_OTHER = "В этом опросе нельзя предложить свой вариант."
REFUSED_EMPTY_OTHER = "Напишите ваш вариант текстом."
REFUSED_LONG_OTHER = "Слишком длинный ответ: уложитесь, пожалуйста, в {limit} символов."

MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
DATE_TIME = "{day} {month} {year} в {time}"

CHART_VOTERS = "Ответили: {voters}"
CHART_VOTERS_MULTIPLE = "Ответили: {voters}; можно было выбрать несколько вариантов"
CHART_NO_VOTES = "Голосов пока нет"

EXPORT_QUESTION = "Вопрос"
EXPORT_STATUS = "Статус"
EXPORT_OPENS = "Начало"
EXPORT_CLOSES = "Окончание"
EXPORT_VOTERS = "Всего ответили"
EXPORT_OPTION = "Вариант"
EXPORT_VOTES = "Голосов"
EXPORT_SHARE = "Доля, %"
EXPORT_OTHER_ANSWERS = "Свои варианты"
EXPORT_RESULTS_SHEET = "Итоги"
EXPORT_VOTES_SHEET = "Голоса"
EXPORT_NAME = "Имя"
EXPORT_PLATFORM = "Площадка"
EXPORT_ACCOUNT = "Аккаунт"
EXPORT_ANSWER = "Ответ"
EXPORT_SHARE_NOTE = (
    "Доля — от числа ответивших; в опросе с несколькими вариантами сумма больше 100%."
)
STATUS_NAMES = {
    "draft": "черновик",
    "scheduled": "ожидает рассылки",
    "published": "опубликован",
    "closed": "завершён",
}
