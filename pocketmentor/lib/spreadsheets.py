"""CSV answers that spreadsheets open safely: UTF-8 with its mark, no cell taken for a formula.

A file is written as a spreadsheet in the reader's language opens it: in Norwegian with
semicolons between columns and decimal commas; times are local, with their offset from UTC.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import formats

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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

    def lines():
        yield "\ufeff"  # a byte order mark: spreadsheets then read the file as UTF-8
        for row in rows:
            yield writer.writerow([_csv_cell(v, decimal) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(rows: Iterable[list], filename: str, title: str) -> HttpResponse:
    """`rows` as one sheet named `title`, a download named `filename`.xlsx."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    for row in rows:
        # Excel keeps no time zone: local times, as the column's heading says.
        sheet.append(
            [v.replace(tzinfo=None) if isinstance(v, dt.datetime) else safe_cell(v) for v in row]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
