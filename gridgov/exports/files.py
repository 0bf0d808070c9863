"""Writing an export: CSV streamed in chunks, or an XLSX workbook row by row, values made safe
for a spreadsheet (text never runs as a formula)."""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

import xlsxwriter

# OWASP CSV injection: a spreadsheet may run text starting with these as a formula. The
# full-width signs are a cheap caution, as an input method may type them for the ASCII ones.
FORMULA_START = frozenset("=+-@\t\r＝＋－＠")


@dataclass
class Export:
    """What to write: a header, rows (lazy for record lists) and the file's names."""

    sheet: str
    columns: tuple[str, ...]
    rows: Iterable[list]
    filename: str  # ASCII only
    title: str  # the same file named in Chinese, with the area's name


def cell(value):
    """A value fit for a spreadsheet: text that could start a formula gets a leading quote;
    numbers (negative ones too), booleans and None stay as they are."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_START:
        return "'" + value
    return value


def csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return cell(value)


def csv_chunks(export: Export, chunk_chars: int = 64 * 1024) -> Iterator[bytes]:
    """The export as UTF-8 CSV with a byte-order mark (so Excel reads the Chinese text), in
    chunks of about chunk_chars characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([cell(name) for name in export.columns])
    for row in export.rows:
        writer.writerow([csv_value(value) for value in row])
        if buffer.tell() >= chunk_chars:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _write(sheet, row: int, col: int, value) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value) if isinstance(value, Decimal) else value)
    else:
        sheet.write_string(row, col, cell(str(value)))  # text is never read as a formula


def xlsx_file(export: Export) -> BinaryIO:
    """The export as an XLSX workbook in an anonymous temporary file (gone once closed), read
    from its start. In constant_memory mode each row goes to disk as soon as it is written."""
    handle = tempfile.TemporaryFile()
    try:
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
        sheet.freeze_panes(1, 0)
        bold = workbook.add_format({"bold": True})
        for col, name in enumerate(export.columns):
            sheet.write_string(0, col, cell(name), bold)
        for row, values in enumerate(export.rows, start=1):
            for col, value in enumerate(values):
                _write(sheet, row, col, value)
        workbook.close()
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle
