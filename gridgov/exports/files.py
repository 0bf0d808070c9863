"""Writing an export: CSV streamed in chunks, or an XLSX workbook row by row, values made safe
for a spreadsheet (text never runs as a formula)."""

import csv
import io
import itertools
import json
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
    # A record list comes as pages instead of rows, each a list of columns (the values of
    # one column over the page) made by records.page_maker: None, numbers, dates, and text
    # already passed through cell().
    pages: Iterable[list[Sequence]] | None = None

    def all_rows(self) -> Iterator[Sequence]:
        if self.pages is None:
            return iter(self.rows)
        return (row for page in self.pages for row in zip(*page, strict=True))


def cell(value):
    """A value fit for a spreadsheet: text that could start a formula gets a leading quote;
    numbers (negative ones too), booleans and None stay as they are."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_START:
        return "'" + value
    return value


# What a value starts with when cell() may change it (a space: it looks past spaces).
_GUARDED_STARTS = tuple("\n" + ch for ch in sorted(FORMULA_START | {" "}))


def safe_column(values: Sequence):
    """cell() over a column of text (and None), called only when a value could need it: a
    few substring searches over the column joined with newlines find whether one does."""
    text = "\n" + "\n".join(filter(None, values))
    if not any(start in text for start in _GUARDED_STARTS):
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


def _csv_rows(writer, rows: Iterable[Sequence]) -> Iterator[None]:
    as_is, check = _CSV_AS_IS, _CSV_TEXT_CHECK
    rows = iter(rows)
    while batch := list(itertools.islice(rows, CSV_BATCH_ROWS)):
        # csv_value() for each value, called only where it could change the value
        writer.writerows(
            [
                v if (t := type(v)) in as_is or (t is str and v[:1] not in check) else csv_value(v)
                for v in row
            ]
            for row in batch
        )
        yield


def csv_chunks(export: Export, chunk_chars: int = 64 * 1024) -> Iterator[bytes]:
    """The export as UTF-8 CSV with a byte-order mark (so Excel reads the Chinese text), in
    chunks of about chunk_chars characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([cell(name) for name in export.columns])
    if export.pages is None:
        steps = _csv_rows(writer, export.rows)
    else:
        # A page holds no booleans; the csv module writes None as '', a date in ISO form.
        steps = (writer.writerows(zip(*page, strict=True)) for page in export.pages)
    for _ in steps:
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


def _sampled(export: Export) -> tuple[list, Iterator[Sequence]]:
    """The first SAMPLE_ROWS rows (to fit the column widths to) and then every row."""
    rows = export.all_rows()
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    return sample, itertools.chain(sample, rows)


def _page_writers(sheet, page: list[Sequence], dates) -> list:
    """For each column of a page (Export.pages: text already made safe by cell()), the
    write method its kinds of value need, or the general _write."""
    out = []
    for values in page:
        kinds = set(map(type, values)) - {type(None)}
        if kinds <= {str}:
            out.append(sheet.write_string)
        elif kinds <= {int, float}:
            out.append(sheet.write_number)
        else:
            out.append(lambda row, col, value: _write(sheet, row, col, value, dates))
    return out


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
    pages = None if export.pages is None else iter(export.pages)
    if pages is None:
        sample, rows = _sampled(export)
    else:  # the pages that hold the sample are kept to be written after it
        first: list = []
        while sum(len(p[0]) for p in first) < SAMPLE_ROWS and (page := next(pages, None)):
            first.append(page)
        sample = [row for page in first for row in zip(*page, strict=True)][:SAMPLE_ROWS]
        pages = itertools.chain(first, pages)
    # In constant_memory mode the widths must be set before the first row is written.
    for col, width in enumerate(widths(export.columns, sample)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    bold = workbook.add_format({"bold": True})
    dates = workbook.add_format({"num_format": DATE_FORMAT})
    for col, name in enumerate(export.columns):
        sheet.write_string(0, col, cell(name), bold)
    last = 0
    if pages is None:
        for last, values in enumerate(rows, start=1):
            for col, value in enumerate(values):
                _write(sheet, last, col, value, dates)
    else:
        for page in pages:
            writers = _page_writers(sheet, page, dates)
            for values in zip(*page, strict=True):
                last += 1
                for col, value in enumerate(values):
                    if value is not None:
                        writers[col](last, col, value)
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
