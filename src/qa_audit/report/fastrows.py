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

from collections.abc import Generator, Sequence
from copy import copy
from typing import Any

from openpyxl import LXML
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

_MAX_TEXT = 32_767  # openpyxl cuts longer text silently
_ILLEGAL = ILLEGAL_CHARACTERS_RE.search


def _text(value: str) -> str:
    """Text content as lxml escapes it (non-ASCII characters: when the row is encoded, see `_ascii`)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _ascii(xml: str) -> bytes:
    """The row as lxml writes it to a file opened without an encoding: non-ASCII as &#NNN; references."""
    return xml.encode("ascii", "xmlcharrefreplace")


_SHORT = 64  # texts up to this long repeat (ids, names, rule titles): their cell XML is kept ...
_KNOWN = 8192  # ... this many at most, all forgotten at once beyond


def _inline_tail(item: str) -> str:
    """The XML of a plain text cell after `<c r="A1`, or "" when openpyxl must write it (empty, illegal, formula...)."""
    text = item[:_MAX_TEXT]
    if text and not (_ILLEGAL(text) or (len(text) > 1 and text[0] == "=") or text in ERROR_CODES):
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'" t="inlineStr"><is><t{space}>{_text(text)}</t></is></c>'
    return ""


class Styled:
    """A plain value (text, number, None) with the style array of a cell: what `WriteOnlyCell` holds, lighter.

    Made by CellMaker.styled for the tables FastRows writes; `cell` turns it into the openpyxl cell.
    """

    __slots__ = ("style", "value")

    def __init__(self, value: Any, style: Any) -> None:
        """`style`: an openpyxl StyleArray, shared by every cell of that style (never changed)."""
        self.value, self.style = value, style

    def cell(self, ws: Any) -> Cell:
        """The WriteOnlyCell openpyxl would have been given."""
        cell = WriteOnlyCell(ws, value=self.value)
        cell._style = copy(self.style)
        return cell


class _Writer(WorksheetWriter):
    """openpyxl's sheet writer on a Python file, so that raw rows can go between its own writes."""

    fh: Any = None
    stream: Any = None

    def get_stream(self) -> Generator[Any, Any, None]:
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
        self._letters = ["", *(get_column_letter(i) for i in range(1, 65))]
        self._heights: dict[float, str] = {}
        self._flushed = False
        self._ids: dict[int, tuple[Any, int]] = {}  # id(style array) -> (array, style id)
        self._known: dict[str, str] = {}  # short text -> its cell's XML after the reference ("" for openpyxl's)

    def _letter(self, col: int) -> str:
        while len(self._letters) <= col:
            self._letters.append(get_column_letter(len(self._letters)))
        return self._letters[col]

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
            values = [v.cell(ws) if type(v) is Styled else v for v in values]
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
        self._letter(len(values))
        letters = self._letters
        known = self._known
        for col, item in enumerate(values, 1):
            if item is None:
                continue
            kind = type(item)
            if kind is str:  # the common cells first, inline: text and numbers without a style
                tail = known.get(item) if len(item) <= _SHORT else None
                if tail is None:
                    tail = _inline_tail(item)
                    if len(item) <= _SHORT:
                        if len(known) >= _KNOWN:
                            known.clear()
                        known[item] = tail
                if tail:
                    out.append(f'<c r="{letters[col]}{row}{tail}')
                    continue
            elif kind is int or kind is float:
                out.append(f'<c r="{letters[col]}{row}" t="n"><v>{safe_string(item)}</v></c>')
                continue
            elif kind is Styled:
                if self._styled(out, item, letters[col], row):
                    continue
                item = item.cell(ws)
            cell = self._plain(out, item, col, row)
            if cell is not None:
                self._slow(out, cell, col, row)
        out.append("</row>")
        ws._writer.fh.write(_ascii("".join(out)))

    def write_raw(self, xml: bytes) -> None:
        """Write a row already in its final bytes (report/sheetrows.py, filled in by SplitSheet.append_rendered)."""
        if not self._flushed:
            self.ws._writer.stream.flush()  # the header row, still in lxml's buffer
            self._flushed = True
        self.ws._writer.fh.write(xml)

    def _styled(self, out: list[str], item: Styled, letter: str, row: int) -> bool:
        """Append the XML of a Styled text, number or empty cell to `out`; False when it needs openpyxl."""
        value, kind = item.value, type(item.value)
        if kind is str:
            if not value or _ILLEGAL(value) or len(value) > _MAX_TEXT or value[0] == "=" or value in ERROR_CODES:
                return False
        elif value is not None and kind is not int and kind is not float:
            return False
        known = self._ids.get(id(item.style))
        if known is None:
            if item.style is None or not any(item.style):  # no style: openpyxl writes a plain value
                return False
            known = self._ids[id(item.style)] = (item.style, self._styles.add(item.style))
        sid = known[1]
        if kind is str:
            space = ' xml:space="preserve"' if value != value.strip() else ""
            out.append(f'<c r="{letter}{row}" s="{sid}" t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>')
        elif value is None:
            out.append(f'<c r="{letter}{row}" s="{sid}" t="n"></c>')
        else:
            out.append(f'<c r="{letter}{row}" s="{sid}" t="n"><v>{safe_string(value)}</v></c>')
        return True

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
        writer.fh.write(_ascii("".join(out)))
        out.clear()
        if cell._value is None and not cell.has_style and not cell._comment:
            return
        write_cell(writer.stream, ws, cell, cell.has_style)
        writer.stream.flush()
