"""Texts of announcements, subscriptions and broadcast reports (residents and staff)."""

from __future__ import annotations

# --- residents: the one-time question and subscriptions

NOTIFY_QUESTION = (
    "Присылать вам новости администрации и оповещения (отключения, ремонт дорог)? "
    "Темы можно выбрать потом командой /subscribe."
)
YES_BUTTON = "Да"
NO_BUTTON = "Нет"
NOTIFY_YES = (
    "Готово, вы подписаны на все темы: {topics}. "
    "Выбрать темы — /subscribe, отписаться от всего — /unsubscribe."
)
NOTIFY_NO = (
    "Хорошо, новостей не будет. Экстренные оповещения всё же придут; отключить и их — "
    "/unsubscribe. Подписаться на темы — /subscribe."
)
SUBSCRIBE_HEADER = "Темы рассылки: нажмите на тему, чтобы включить или выключить её."
SUBSCRIBED_TO = "Вы подписаны на: {topics}."
SUBSCRIBED_TO_NOTHING = "Вы не подписаны ни на одну тему; экстренные оповещения придут."
OPTED_OUT_NOTE = (
    "Сейчас вы отписаны от всего, даже от экстренных оповещений; любая тема включит их снова."
)
TOPIC_ON = "✅ {topic}"
TOPIC_OFF = "▫️ {topic}"
UNSUBSCRIBED = (
    "Вы отписаны от всех рассылок, включая экстренные оповещения. Вернуться — /subscribe."
)

# --- residents: how an announcement looks

EMERGENCY_HEADER = "🚨 Экстренное оповещение"
TOPIC_HEADER = "📢 {topic}"
FOOTER = "Настроить рассылку: /subscribe"

# --- staff: /announce

CHOOSE_TOPIC = "Новое объявление. Выберите тему:"
EMERGENCY_BUTTON = "🚨 Экстренное оповещение"
EMERGENCY_NAME = "экстренное оповещение"
ANNOUNCEMENT_NAME = "объявление «{topic}»"
CANCEL_BUTTON = "Отмена"
ASK_TEXT = "Тема: {topic}. Пришлите текст объявления одним сообщением; можно фото с подписью."
PICK_TOPIC_FIRST = "Выберите тему кнопкой выше или нажмите «Отмена»."
ONLY_ONE_PHOTO = "К объявлению можно приложить только одно фото. Пришлите текст ещё раз."
NEED_TEXT = "Пришлите текст объявления."
TEXT_TOO_LONG = "Текст длиннее {limit} знаков; сократите его, пожалуйста."
PREVIEW = (
    "Выше — объявление так, как его увидят жители.\nТема: {topic}. Получателей сейчас: {count}."
)
SEND_BUTTON = "Отправить сейчас"
LATER_BUTTON = "Запланировать"
CONFIRM_BUTTON = "Подтвердить"
ASK_WHEN = "Когда отправить? Пришлите дату и время, например {example}."
BAD_WHEN = "Не понял дату и время. Пример: {example}."
PAST_WHEN = "Это время уже прошло; пришлите время в будущем."
CONFIRM_LATER = "Отправить {when}? Получателей сейчас: {count}; список соберётся в момент отправки."
QUEUED = "Объявление отправляется: рассылка № {id}. Ход и итог рассылки появятся здесь."
SCHEDULED = "Объявление запланировано на {when}: рассылка № {id}. Ход и итог появятся здесь."
CANCELLED = "Объявление отменено."
STALE_DRAFT = "Этого черновика уже нет; начните заново с /announce."

# --- staff: broadcast reports

KIND_NAMES = {
    "announcement": "объявление",
    "poll": "опрос",
    "poll_results": "итоги опроса",
    "notify_question": "вопрос о подписке",
}
STARTED = "📣 Рассылка № {id} ({what}) началась: получателей {total}."
PROGRESS = (
    "📣 Рассылка № {id}: {percent}% — {done} из {total} "
    "(доставлено {sent}, не доставлено {failed}, заблокировали бота {blocked})."
)
FINISHED = (
    "✅ Рассылка № {id} ({what}) завершена. Получателей {total}: доставлено {sent}, "
    "не доставлено {failed}, заблокировали бота {blocked}."
)


def number(value: int) -> str:
    """Thousands separated the Russian way: 10 000."""
    return f"{value:,}".replace(",", " ")
