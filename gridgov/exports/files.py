"""Writing an export: CSV streamed in chunks, or an XLSX workbook row by row, values made safe
for a spreadsheet (text never runs as a formula)."""

import csv
import io
import itertools
import json
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

import xlsxwriter

# OWASP CSV injection: a spreadsheet may run text starting with these as a formula. The
# full-width signs are a cheap caution, as an input method may type them for the ASCII ones.
FORMULA_START = frozenset("=+-@\t\r＝＋－＠")
DATE_FORMAT = "yyyy-mm-dd"
# Column widths are measured on the first rows; a cell wider than the widest shows wrapped text.
SAMPLE_ROWS = 200
WIDEST = 40


@dataclass
class Export:
    """What to write: a header, rows (lazy for record lists) and the file's names."""

    sheet: str
    columns: tuple[str, ...]
    rows: Iterable[list]
    filename: str  # ASCII only
    title: str  # the same file named in Chinese, with the area's name
    document: dict | None = None  # a GeoJSON export: the document itself, no rows
    # The rows hold only None, numbers, dates and text already passed through cell() (as
    # records.page_maker makes them), so the CSV writer takes them as they are.
    safe: bool = False


def cell(value):
    """A value fit for a spreadsheet: text that could start a formula gets a leading quote;
    numbers (negative ones too), booleans and None stay as they are."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_START:
        return "'" + value
    return value


# Where in a column of texts joined with newlines a value could start a formula.
_RISKY = re.compile("(?:^|\n) *[" + re.escape("".join(sorted(FORMULA_START))) + "]")


def safe_column(values: Sequence):
    """cell() over a column of text (and None), called only when one search over the joined
    column finds a value that could need it."""
    if _RISKY.search("\n".join(filter(None, values))) is None:
        return values
    return [cell(v) for v in values]


def csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return cell(value)


# Values the csv module writes as csv_value() would (None as ''): no call needed for them.
_CSV_AS_IS = frozenset({int, float, Decimal, type(None)})
# A text starting with none of these is written as it is (a leading space needs cell()).
_CSV_TEXT_CHECK = FORMULA_START | {" "}
CSV_BATCH_ROWS = 256


def csv_chunks(export: Export, chunk_chars: int = 64 * 1024) -> Iterator[bytes]:
    """The export as UTF-8 CSV with a byte-order mark (so Excel reads the Chinese text), in
    chunks of about chunk_chars characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([cell(name) for name in export.columns])
    rows = iter(export.rows)
    as_is, check = _CSV_AS_IS, _CSV_TEXT_CHECK
    while batch := list(itertools.islice(rows, CSV_BATCH_ROWS)):
        if export.safe:  # str() of a date is its ISO form, None is written as ''
            writer.writerows(batch)
        else:  # csv_value() for each value, called only where it could change the value
            writer.writerows(
                [
                    v
                    if (t := type(v)) in as_is or (t is str and v[:1] not in check)
                    else csv_value(v)
                    for v in row
                ]
                for row in batch
            )
        if buffer.tell() >= chunk_chars:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def display_width(value) -> int:
    """How many character cells a value takes in a spreadsheet: a Chinese character two."""
    if value is None:
        return 0
    if isinstance(value, date):
        return len(DATE_FORMAT)
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def widths(columns: tuple[str, ...], sample: list[list]) -> list[int]:
    """A width per column: its header or its widest sampled value, within WIDEST."""
    out = []
    for col, name in enumerate(columns):
        widest = max((display_width(row[col]) for row in sample if col < len(row)), default=0)
        out.append(min(max(display_width(name), widest) + 2, WIDEST))
    return out


def _write(sheet, row: int, col: int, value, dates=None) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), dates)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value) if isinstance(value, Decimal) else value)
    else:
        sheet.write_string(row, col, cell(str(value)))  # text is never read as a formula


def json_bytes(export: Export) -> bytes:
    return json.dumps(export.document, ensure_ascii=False, separators=(",", ":")).encode()


def write_xlsx(export: Export, handle: BinaryIO) -> None:
    """The export as an XLSX workbook into an open binary file. In constant_memory mode each
    row goes to disk as soon as it is written."""
    workbook = xlsxwriter.Workbook(
        handle,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(export.sheet)
    rows = iter(export.rows)
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    # In constant_memory mode the widths must be set before the first row is written.
    for col, width in enumerate(widths(export.columns, sample)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    bold = workbook.add_format({"bold": True})
    dates = workbook.add_format({"num_format": DATE_FORMAT})
    for col, name in enumerate(export.columns):
        sheet.write_string(0, col, cell(name), bold)
    last = 0
    for last, values in enumerate(itertools.chain(sample, rows), start=1):
        for col, value in enumerate(values):
            _write(sheet, last, col, value, dates)
    sheet.autofilter(0, 0, last, len(export.columns) - 1)
    workbook.close()


def xlsx_file(export: Export) -> BinaryIO:
    """The export as an XLSX workbook in an anonymous temporary file (gone once closed), read
    from its start."""
    handle = tempfile.TemporaryFile()
    try:
        write_xlsx(export, handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def write_file(export: Export, fmt: str, handle: BinaryIO) -> None:
    """The export in its format into an open binary file (the export worker's path)."""
    if export.document is not None:
        handle.write(json_bytes(export))
    elif fmt == "csv":
        for chunk in csv_chunks(export):
            handle.write(chunk)
    else:
        write_xlsx(export, handle)
