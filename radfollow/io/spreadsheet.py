"""CSV that a spreadsheet opens as data, never as formulas (CSV injection).

Tracker exports carry values that a sender controls (patient ids, accessions,
procedure and finding text). A cell that starts with ``=``, ``+``, ``-``, ``@``,
a TAB or a CR is run as a formula by Excel, LibreOffice and Google Sheets.
Following OWASP's CSV Injection guidance
(https://owasp.org/www-community/attacks/CSV_Injection), such a text cell is
prefixed with a single quote, and every cell is quoted (embedded double quotes
doubled), so a separator or quote inside a value cannot start a new cell.

Only text is neutralised. Numbers (``int``/``float`` values, booleans aside)
are written as numbers, so a legitimate negative number stays numeric; a
number that arrives as text (``"-3"``) is text and is prefixed like any other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str | int | float:
    """A cell value safe to open: numbers as they are; ``None`` as ""; other values
    as text, with a leading ``'`` when the text starts like a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], *, header: bool = True
) -> str:
    """``rows`` as CSV text (a header row unless ``header`` is False, CRLF line ends,
    every cell quoted), cells made safe by :func:`safe_cell`; a column missing from
    a row is empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    if header:
        writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def to_xlsx(rows: Iterable[Mapping[str, object]], columns: Sequence[str], *, sheet: str) -> bytes:
    """``rows`` as an Excel workbook (one sheet named ``sheet``, a bold header row).
    Text cells are written as text (openpyxl data type "s"), so no cell is ever a
    formula; numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for name in columns:
            value = row.get(name)
            cell = WriteOnlyCell(ws)
            if value is None:
                pass
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell.value = value
            else:
                cell.value = str(value)
                cell.data_type = "s"  # text even when it starts with "="
            cells.append(cell)
        ws.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
