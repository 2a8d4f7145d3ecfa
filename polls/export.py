"""Poll results for staff as CSV (for Excel in a Russian locale) or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.storage.records import PublicVote
from polls import texts
from polls.model import PollResults

# Russian Excel expects `;` between fields and a decimal comma; the BOM tells it UTF-8.
CSV_DELIMITER = ";"
CSV_ENCODING = "utf-8-sig"
EXPORT_SUFFIXES = (".csv", ".xlsx")


def summary_rows(results: PollResults, tz: tzinfo) -> list[tuple[str, str | int]]:
    poll = results.poll
    return [
        (texts.EXPORT_QUESTION, poll.question),
        (texts.EXPORT_STATUS, texts.STATUS_NAMES[poll.status.value]),
        (texts.EXPORT_OPENS, _moment(poll.opens_at, tz)),
        (texts.EXPORT_CLOSES, _moment(poll.closes_at, tz)),
        (texts.EXPORT_VOTERS, results.total_voters),
    ]


def option_rows(results: PollResults) -> list[tuple[str, int, float]]:
    """Option, votes and share of voters in percent (one decimal)."""
    rows = [(option.text, option.votes) for option in results.options]
    if results.poll.other:
        rows.append((texts.OTHER, len(results.other_answers)))
    return [(text, votes, round(results.percent(votes), 1)) for text, votes in rows]


def vote_rows(results: PollResults, votes: Sequence[PublicVote]) -> list[tuple[str, str, str, str]]:
    """Who answered what; nothing at all for an anonymous poll, whatever the caller passes."""
    if results.poll.anonymous:
        return []
    names = {option.position: option.text for option in results.poll.options}
    rows = []
    for vote in votes:
        answer = [names[position] for position in vote.positions]
        if vote.other_text is not None:
            answer.append(texts.YOUR_OTHER.format(text=vote.other_text))
        rows.append(
            (
                vote.display_name or "",
                vote.key.platform.value,
                vote.key.external_id,
                "; ".join(answer),
            )
        )
    return rows


def to_csv(results: PollResults, votes: Sequence[PublicVote], tz: tzinfo) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerows(summary_rows(results, tz))
    writer.writerow([])
    writer.writerow([texts.EXPORT_OPTION, texts.EXPORT_VOTES, texts.EXPORT_SHARE])
    for text, count, share in option_rows(results):
        writer.writerow([text, count, f"{share:.1f}".replace(".", ",")])
    writer.writerow([texts.EXPORT_SHARE_NOTE])
    if results.other_answers:
        writer.writerow([])
        writer.writerow([texts.EXPORT_OTHER_ANSWERS])
        writer.writerows([answer] for answer in results.other_answers)
    public = vote_rows(results, votes)
    if public:
        writer.writerow([])
        writer.writerow([texts.EXPORT_VOTES_SHEET])
        writer.writerow(_vote_header())
        writer.writerows(public)
    return buffer.getvalue().encode(CSV_ENCODING)


def to_xlsx(results: PollResults, votes: Sequence[PublicVote], tz: tzinfo) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = texts.EXPORT_RESULTS_SHEET
    bold = Font(bold=True)
    for label, value in summary_rows(results, tz):
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = bold
    sheet.append([])
    sheet.append([texts.EXPORT_OPTION, texts.EXPORT_VOTES, texts.EXPORT_SHARE])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for text, count, share in option_rows(results):
        sheet.append([text, count, share])
        sheet.cell(sheet.max_row, 3).number_format = "0.0"
    sheet.append([texts.EXPORT_SHARE_NOTE])
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 12
    if results.other_answers:
        others = workbook.create_sheet(texts.EXPORT_OTHER_ANSWERS)
        others.append([texts.EXPORT_OTHER_ANSWERS])
        others["A1"].font = bold
        for answer in results.other_answers:
            others.append([answer])
        others.column_dimensions["A"].width = 100
    public = vote_rows(results, votes)
    if public:
        voters = workbook.create_sheet(texts.EXPORT_VOTES_SHEET)
        voters.append(list(_vote_header()))
        for row in public:
            voters.append(list(row))
        for column, width in zip("ABCD", (30, 12, 20, 60), strict=True):
            voters.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_export(path: Path, results: PollResults, votes: Sequence[PublicVote], tz: tzinfo) -> None:
    """The format follows the file name: .csv or .xlsx."""
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise ValueError(f"{path}: expected a .csv or .xlsx file name")
    data = to_csv(results, votes, tz) if suffix == ".csv" else to_xlsx(results, votes, tz)
    path.write_bytes(data)


def _vote_header() -> tuple[str, str, str, str]:
    return (texts.EXPORT_NAME, texts.EXPORT_PLATFORM, texts.EXPORT_ACCOUNT, texts.EXPORT_ANSWER)


def _moment(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")
