from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from polls import PollService, render_chart
from polls.export import to_csv, to_xlsx
from tests.polls.conftest import NOW, live_poll, telegram, vk

MOSCOW = ZoneInfo("Europe/Moscow")


async def voted_poll(service: PollService, **changes: object) -> int:
    poll_id = await live_poll(service, other=True, **changes)
    for number, position in enumerate([1, 1, 2, 4, 1]):
        await service.vote(telegram(number), f"Житель {number}", poll_id, position, None, NOW)
    await service.vote(vk(1), "Пётр", poll_id, None, "Плохо ловит в подъезде", NOW)
    return poll_id


async def test_chart_is_a_png(service: PollService) -> None:
    results = await service.results(await voted_poll(service))
    png = render_chart(results)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 10_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1280, 720)


async def test_csv_and_xlsx_match_the_counts(service: PollService) -> None:
    poll_id = await voted_poll(service)
    results = await service.results(poll_id)
    expected = [("Да", 3), ("Скорее да", 1), ("Скорее нет", 0), ("Нет", 1), ("Свой вариант", 1)]

    data = to_csv(results, await service.public_votes(poll_id), MOSCOW)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert ["Всего ответили", "6"] in rows
    start = rows.index(["Вариант", "Голосов", "Доля, %"]) + 1
    table = rows[start : start + len(expected)]
    assert [(row[0], int(row[1])) for row in table] == expected
    assert table[0][2] == "50,0"
    assert ["Плохо ловит в подъезде"] in rows

    workbook = load_workbook(io.BytesIO(to_xlsx(results, [], MOSCOW)))
    sheet = workbook["Итоги"]
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    start = values.index(("Вариант", "Голосов", "Доля, %")) + 1
    table_xlsx = values[start : start + len(expected)]
    assert [(row[0], row[1]) for row in table_xlsx] == expected
    assert table_xlsx[0][2] == 50.0
    assert ("Всего ответили", 6, None) in values
    assert [row[0] for row in workbook["Свои варианты"].iter_rows(values_only=True)] == [
        "Свои варианты",
        "Плохо ловит в подъезде",
    ]


async def test_anonymous_export_has_no_resident_ids(service: PollService) -> None:
    poll_id = await voted_poll(service)
    results = await service.results(poll_id)
    assert await service.public_votes(poll_id) == []
    exported = to_csv(results, [], MOSCOW).decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(to_xlsx(results, [], MOSCOW)))
    cells = " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
    )
    assert workbook.sheetnames == ["Итоги", "Свои варианты"]
    for identity in ["1000", "1001", "5001", "Житель", "Пётр", "telegram", "vk"]:
        assert identity not in exported
        assert identity not in cells


async def test_public_poll_export_lists_voters(service: PollService) -> None:
    poll_id = await voted_poll(service, anonymous=False)
    results = await service.results(poll_id)
    votes = await service.public_votes(poll_id)
    assert len(votes) == 6
    workbook = load_workbook(io.BytesIO(to_xlsx(results, votes, MOSCOW)))
    rows = list(workbook["Голоса"].iter_rows(values_only=True))
    assert rows[0] == ("Имя", "Площадка", "Аккаунт", "Ответ")
    assert ("Пётр", "vk", "5001", "свой вариант «Плохо ловит в подъезде»") in rows
    assert ("Житель 0", "telegram", "1000", "Да") in rows
