"""The one CSV writer: every CSV file the product writes goes through it.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula
by spreadsheet programs (CSV injection: `=HYPERLINK(...)` in a ticket id or an agent's
own name). Such text cells get a leading apostrophe, which spreadsheets show as text.
Numbers stay numbers: int, float and Decimal values, and text that is exactly a number
("-12.5"), are written as they are.

Streaming-friendly: `csv_lines` yields one encoded line at a time, for a
`StreamingHttpResponse`; `csv_text` and `csv_response` are built on it.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value):
    """A value as it may safely go into a cell (None is an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        text = str(value)
        if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
            return "'" + text
        return text
    return value


class _Line:
    """A file-like object whose write() hands back what it was given (Django's streaming
    CSV recipe): csv.writer then produces one line per call, nothing buffered."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable | None, rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV lines (header first, when given) of `rows`, each cell made safe."""
    writer = csv.writer(_Line())
    if header is not None:
        yield writer.writerow([csv_cell(value) for value in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_text(header: Iterable | None, rows: Iterable[Iterable]) -> str:
    return "".join(csv_lines(header, rows))


def csv_response(
    filename: str, header: Iterable | None, rows: Iterable[Iterable], *, stream: bool = False
) -> HttpResponse | StreamingHttpResponse:
    """A CSV download; with `stream=True` the rows are written as they are produced."""
    if stream:
        response = StreamingHttpResponse(
            csv_lines(header, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
