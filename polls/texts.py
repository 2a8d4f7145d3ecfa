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

# The subscription topic of polls, when it is among ANNOUNCEMENT_TOPICS.
POLLS_TOPIC = "Опросы"
RESULTS_FOR_VOTERS = "Спасибо, что участвовали в опросе «Решаем вместе»! Итоги:"

# Staff chat: the guided /poll_new, the list, closing and results.
YES_WORDS = frozenset({"да", "д", "yes", "y", "+"})
NO_WORDS = frozenset({"нет", "н", "no", "n", "-"})
CANCEL_WORDS = frozenset({"отмена", "/cancel", "cancel"})
AUDIENCE_WORDS = {
    "все": "all",
    "всем": "all",
    "обе": "all",
    "all": "all",
    "telegram": "telegram",
    "телеграм": "telegram",
    "тг": "telegram",
    "vk": "vk",
    "вк": "vk",
    "вконтакте": "vk",
}
AUDIENCE_NAMES = {"all": "Telegram и ВКонтакте", "telegram": "Telegram", "vk": "ВКонтакте"}
YES = "да"
NO = "нет"

NEW_QUESTION = (
    "Новый опрос «Решаем вместе». Напишите вопрос (до {limit} символов).\n"
    "Отменить создание можно словом «отмена»."
)
NEW_OPTIONS = "Теперь варианты ответа: каждый с новой строки, от {low} до {high}."
NEW_MULTIPLE = "Можно выбрать несколько вариантов? Ответьте «да» или «нет»."
NEW_OTHER = "Разрешить жителям предложить свой вариант? (да/нет)"
NEW_ANONYMOUS = (
    "Опрос анонимный? «да» — сотрудники видят только число голосов, «нет» — видят, кто как ответил."
)
NEW_REVOTE = "Разрешить менять ответ после голосования? (да/нет)"
NEW_CLOSES = "Когда завершить голосование? Дата и время, например {example}."
NEW_AUDIENCE = "Где проводить опрос? Ответьте «все», «telegram» или «vk»."
NEW_CANCELLED = "Создание опроса отменено."
BAD_YES_NO = "Ответьте «да» или «нет»."
BAD_QUESTION_EMPTY = "Вопрос пустой. Напишите его текстом."
BAD_QUESTION_LONG = "Вопрос длиннее {limit} символов. Сократите его, пожалуйста."
BAD_OPTIONS_COUNT = "Нужно от {low} до {high} вариантов, каждый с новой строки; сейчас их {count}."
BAD_OPTION_LONG = "Вариант {position} длиннее {limit} символов."
BAD_OPTION_DUPLICATE = "Вариант {position} «{text}» повторяет предыдущий."
BAD_TIME = "Не понял дату и время. Напишите, например, {example}."
BAD_TIME_PAST = "Это время уже прошло. Укажите момент в будущем."
BAD_AUDIENCE = "Ответьте «все», «telegram» или «vk»."
TIME_EXAMPLE_FORMAT = "%d.%m.%Y 18:00"
PREVIEW = "Черновик опроса № {poll_id}. Так его увидят жители:"
PREVIEW_SETTINGS = (
    "Площадки: {audience}. Несколько вариантов: {multiple}. Свой вариант: {other}. "
    "Анонимный: {anonymous}. Можно менять ответ: {revote}."
)
PREVIEW_HINT = "Нажмите «Опубликовать», чтобы разослать опрос жителям."
PUBLISH_BUTTON = "📣 Опубликовать"
PUBLISHED = "Опрос № {poll_id} отправлен в рассылку ({audience})."
PUBLISH_LATER = "Опрос № {poll_id} будет разослан {when}."
NOT_A_DRAFT = "Опрос № {poll_id} уже опубликован или завершён."
PUBLISH_EXPIRED = "Опрос № {poll_id} нельзя опубликовать: время голосования истекло."
UNKNOWN_POLL = "Опрос № {poll_id} не найден."
NO_POLLS = "Опросов пока нет. Создать опрос: /poll_new"
ADMIN_HEADER = "Опросы, новые первыми:"
ADMIN_POLL = "№ {poll_id} · {status} · до {closes} · {audience}\n{question}\nОтветили: {voters}"
ADMIN_OPTION = "   {position}. {text} — {votes}"
ADMIN_OTHER = "   Свои варианты — {votes}"
CLOSE_USAGE = "Укажите номер опроса, например: /poll_close 12"
ALREADY_CLOSED = "Опрос № {poll_id} уже завершён."
RESULTS_CARD = "📊 Итоги опроса № {poll_id}, завершён {when}"
OTHER_ANSWERS = "Свои варианты:"
OTHER_ANSWER_LINE = "— {text}"
MORE_OTHER_ANSWERS = "…и ещё {count}"
PUBLISH_RESULTS_BUTTON = "📣 Разослать итоги проголосовавшим"
RESULTS_SENT = "Итоги опроса № {poll_id} разосланы проголосовавшим: {count}."
RESULTS_ALREADY_SENT = "Итоги опроса № {poll_id} уже разосланы."
RESULTS_NO_VOTERS = "В опросе № {poll_id} никто не ответил: рассылать итоги некому."
RESULTS_NOT_CLOSED = "Опрос № {poll_id} ещё идёт: итоги рассылаются после завершения."

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
