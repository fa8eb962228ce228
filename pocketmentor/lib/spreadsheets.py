"""CSV answers that spreadsheets open safely: UTF-8 with its mark, no cell taken for a formula.

A file is written as a spreadsheet in the reader's language opens it: in Norwegian with
semicolons between columns and decimal commas; times are local, with their offset from UTC.
CSV streams: rows are read as they are sent, in pieces of about `CSV_CHUNK` bytes, so a
file of any length takes the memory of one piece. An Excel file is written to a file, sheet
row by sheet row (openpyxl's write-only mode), never whole in memory.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import IO

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import formats

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK = 64 * 1024  # characters sent at a time: fewer, larger writes to the socket


def safe_cell(value):
    """Prefix an apostrophe to text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value, decimal: str):
    if isinstance(value, float):
        return str(value).replace(".", decimal)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat(sep=" ", timespec="minutes")  # 2026-12-03 23:38+01:00
    return safe_cell(value)


def csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """Stream `rows` as a CSV download named `filename`.csv, at any size."""
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    # Where the decimal mark is a comma, spreadsheets split CSV columns at semicolons.
    writer = csv.writer(_Echo(), delimiter=";" if decimal == "," else ",")

    def cells(row: list) -> list:
        # Whole numbers and text that cannot be taken for a formula, most cells, as they are.
        return [
            v
            if (kind := type(v)) is int or (kind is str and not v.startswith(FORMULA_START))
            else _csv_cell(v, decimal)
            for v in row
        ]

    def lines():
        # A byte order mark (spreadsheets then read the file as UTF-8) and the first row at
        # once, so the download starts while the rest is read.
        rows_left = iter(rows)
        first = next(rows_left, None)
        yield "\ufeff" + (writer.writerow(cells(first)) if first else "")
        piece, size = [], 0
        for row in rows_left:
            line = writer.writerow(cells(row))
            piece.append(line)
            size += len(line)
            if size >= CSV_CHUNK:
                yield "".join(piece)
                piece, size = [], 0
        if piece:
            yield "".join(piece)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_write(rows: Iterable[list], file: IO[bytes], title: str) -> int:
    """Write `rows` as one sheet named `title` into `file`; the number of rows written."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    count = 0
    for row in rows:
        # Excel keeps no time zone: local times, as the column's heading says.
        sheet.append(
            [v.replace(tzinfo=None) if isinstance(v, dt.datetime) else safe_cell(v) for v in row]
        )
        count += 1
    book.save(file)
    return count


def xlsx_response(rows: Iterable[list], filename: str, title: str) -> HttpResponse:
    """`rows` as one sheet named `title`, a download named `filename`.xlsx (small tables)."""
    buffer = io.BytesIO()
    xlsx_write(rows, buffer, title)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
