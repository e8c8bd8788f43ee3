"""Write the rows of a write-only sheet as XML text, the bytes openpyxl itself would write.

openpyxl turns every value into a cell object and every cell into lxml calls: about 25 µs a cell,
more than half of a run's CPU on real chats (hundreds of thousands of cells). The big tables
(findings, conversations, transcripts) have plain cells: inline text, numbers, a style id. Here
such a row is formatted as text and written straight to the sheet's temporary file, escaped as
lxml escapes (&amp; &lt; &gt; &#13;, every non-ASCII character as a decimal character reference).
Any other cell (rich text, a formula-looking or error-code string, a comment, a hyperlink, a
date...) is handed to openpyxl's own cell writer on the same stream, so the file is byte for byte
what `ws.append` writes (tests/test_fastrows.py compares the two).

This hooks openpyxl's WorksheetWriter (3.1), a private API, as report/links.py does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import LXML
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_MAX_TEXT = 32_767  # openpyxl cuts longer text silently
_ILLEGAL = ILLEGAL_CHARACTERS_RE.search


def _text(value: str) -> str:
    """Text content as lxml writes it to a file opened without an encoding."""
    text = value.translate(_ESCAPES)
    if not text.isascii():
        text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    return text


class _Writer(WorksheetWriter):
    """openpyxl's sheet writer on a Python file, so that raw rows can go between its own writes."""

    fh: Any = None
    stream: Any = None

    def get_stream(self):  # type: ignore[no-untyped-def]
        """openpyxl's generator (same protocol), writing through a file object this class keeps."""
        with open(self.out, "wb") as fh, xmlfile(fh) as xf:
            self.fh, self.stream = fh, xf
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        el = yield
                        if el is True:
                            yield xf
                        elif el is None:
                            continue
                        else:
                            xf.write(el)
                except GeneratorExit:
                    pass


class FastRows:
    """Append rows to one write-only sheet faster than `ws.append`, with the same bytes.

    `attach` before the sheet's first row (after its column widths, frozen panes and print
    settings); the first row (the header) goes through `ws.append`, every later one through `append`.
    """

    def __init__(self, ws: Any) -> None:
        """Take over `ws`'s writer (it must not have written anything yet)."""
        self.ws = ws
        self.enabled = bool(LXML) and ws._writer is None
        if self.enabled:
            ws._writer = _Writer(ws)
            ws._writer.write_top()
        self._styles = ws.parent._cell_styles
        self._letters: list[str] = []
        self._heights: dict[float, str] = {}
        self._flushed = False

    def _letter(self, col: int) -> str:
        while len(self._letters) < col:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters[col - 1]

    def _row_attrs(self, height: float | None) -> str:
        if height is None:
            return ""
        known = self._heights.get(height)
        if known is None:
            dims = self.ws.row_dimensions
            probe = 1_048_577  # a row index no sheet has: the dimension object gives the attributes
            dims[probe].height = height
            attrs = dict(dims[probe])
            del dims[probe]
            attrs.pop("r", None)
            known = "".join(f' {k}="{_text(str(v))}"' for k, v in attrs.items())
            self._heights[height] = known
        return known

    def append(self, values: Sequence[Any], row: int, height: float | None = None) -> None:
        """Write `values` (plain values or cells, None for an empty cell) as sheet row `row`."""
        ws = self.ws
        if not self.enabled:
            if height is not None:
                ws.row_dimensions[row].height = height
                ws.append(values)
                del ws.row_dimensions[row]
            else:
                ws.append(values)
            return
        if not self._flushed:
            ws._writer.stream.flush()  # the header row, still in lxml's buffer
            self._flushed = True
        out = [f'<row r="{row}"{self._row_attrs(height)}>']
        for col, item in enumerate(values, 1):
            if item is None:
                continue
            cell = self._plain(out, item, col, row)
            if cell is not None:
                self._slow(out, cell, col, row)
        out.append("</row>")
        ws._writer.fh.write("".join(out).encode("ascii"))

    def _plain(self, out: list[str], item: Any, col: int, row: int) -> Any:
        """Append the XML of a plain cell to `out` and return None; else return what needs openpyxl."""
        style = ""
        value = item
        if isinstance(item, Cell):
            if item.hyperlink is not None or item._comment is not None:
                return item
            value = item._value
            styled = item.has_style
            if styled:
                style = f' s="{self._styles.add(item._style)}"'
            if value is None:
                if styled:
                    out.append(f'<c r="{self._letter(col)}{row}"{style} t="n"></c>')
                return None
            kind = type(value)
            if not (item.data_type == "s" and kind is str) and not (item.data_type == "n" and kind in (int, float)):
                return item
        else:
            kind = type(value)
            if kind is str:
                value = value[:_MAX_TEXT]
                if _ILLEGAL(value) or (len(value) > 1 and value[0] == "=") or value in ERROR_CODES:
                    return item  # openpyxl raises, or writes a formula or an error value
            elif kind is not int and kind is not float:
                return item
        ref = f"{self._letter(col)}{row}"
        if kind is str:
            if not value:
                out.append(f'<c r="{ref}"{style} t="inlineStr"></c>')
            else:
                space = ' xml:space="preserve"' if value != value.strip() else ""
                out.append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>')
        else:
            out.append(f'<c r="{ref}"{style} t="n"><v>{safe_string(value)}</v></c>')
        return None

    def _slow(self, out: list[str], value: Any, col: int, row: int) -> None:
        """Write one cell with openpyxl's own code (what `ws.append` does for it)."""
        ws = self.ws
        # a plain value is bound as openpyxl binds it
        cell = value if isinstance(value, Cell) else next(ws._values_to_row([value], row))
        cell.column, cell.row = col, row
        if cell.hyperlink is not None:
            cell.hyperlink.ref = cell.coordinate
        if cell._comment is not None:
            ws._comments.append(CommentRecord.from_cell(cell))
        writer = ws._writer
        writer.fh.write("".join(out).encode("ascii"))
        out.clear()
        if cell._value is None and not cell.has_style and not cell._comment:
            return
        write_cell(writer.stream, ws, cell, cell.has_style)
        writer.stream.flush()
