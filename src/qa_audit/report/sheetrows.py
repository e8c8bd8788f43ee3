"""The XML of a conversation's workbook rows, made where the conversation is audited.

The writer is one process; the audits run on every worker. The conversations, findings and
transcript rows of one conversation are rendered here, in the auditing process, as the bytes
report/fastrows.py would write for them, with three things left open because they are
workbook-wide and only the writer knows them:

- the row number: the byte ROW (``\\x00``) wherever it goes (``<row r=`` and every cell's ``r``);
- style ids: STYLE[k] (``\\x01`` and one letter) for the style recipe RECIPES[k]; the writer
  registers each recipe in the workbook when it first meets it, in the order fastrows would;
- hyperlinked cells: SLOT[i] (``\\x02`` and a digit) stands for a cell that is written plain, or
  in the link font (LINK_STYLE ``\\x03`` for its style id) when the writer can still link it.

A conversation with anything unusual in its cells (text a spreadsheet could take for a formula or
an error code, characters XML cannot carry, text over Excel's cell limit) is not rendered:
`render` returns None and the writer builds its rows from the dicts as before (the same bytes).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from openpyxl import LXML, Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

from qa_audit.report.excel_columns import CONVERSATION_SHEET_COLUMNS, FINDING_SHEET_COLUMNS, WRAPPED, with_zone
from qa_audit.report.excel_style import BAD_FILL, REVIEW_FILL, WRAP, lines_height, wrapped_height, wrapped_lines
from qa_audit.report.fastrows import _ascii, _text
from qa_audit.report.labels import ROLE, VALUE_LABELS
from qa_audit.report.safe import EXCEL_MAX_CELL, FORMULA_START, ILLEGAL_CHARS
from qa_audit.report.sheetmarks import BANNER_K, FILL_K, LINK_STYLE, LINKED, ROW, SLOT, STYLE, WRAPPED_K, Row
from qa_audit.report.transcript import (
    MARK_FONT,
    TRANSCRIPT_COLUMNS,
    TurnRow,
    _note,
    banner_text,
    findings_by_turn,
    marked_text,
)


@dataclass(frozen=True)
class SheetRows:
    """The rendered rows of one conversation (see the module docstring for what is left open)."""

    conversation: Row  # slots: 0 = column A (links to the transcript), 1 = findings (to the first finding)
    transcript: tuple[Row, ...]  # banner first; empty when the conversation has no finding
    findings: tuple[Row, ...]  # slots: 0 = column A (back to the conversation), 1 = turn (to the transcript)
    finding_turns: tuple[int, ...]  # per finding: its transcript row (0: the banner), -1: none
    finding_rules: tuple[str, ...]  # per finding: its rule id
    agent: str  # how the agents sheet names the conversation's agent


class Unusual(Exception):
    """A cell that fastrows would hand to openpyxl: the conversation is written the old way."""


_ILLEGAL = ILLEGAL_CHARACTERS_RE.search
_BAD = ILLEGAL_CHARS.search
_LETTERS = ["", *(get_column_letter(i) for i in range(1, 40))]


def _safe(value: Any) -> Any:
    """CellMaker.value for the values it passes unchanged; Unusual for the rest."""
    kind = type(value)
    if kind is str:
        if len(value) <= EXCEL_MAX_CELL and not (value.startswith(FORMULA_START) or _BAD(value)):
            return value
        raise Unusual
    if value is None or kind is int or kind is float:
        return value
    if kind is bool:
        return "是" if value else "否"
    raise Unusual


def _cell(col: int, value: Any, style: str = "") -> str:
    """One cell as fastrows writes a raw value (`style` ""), or a Styled one (`style`: its marker)."""
    ref = f'<c r="{_LETTERS[col]}{ROW}"{style}'
    kind = type(value)
    if kind is str:
        if not value:
            return f'{ref} t="inlineStr"></c>'
        if _ILLEGAL(value) or len(value) > EXCEL_MAX_CELL or value in ERROR_CODES or value[0] == "=":
            raise Unusual
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'{ref} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'
    if kind is int or kind is float:
        return f'{ref} t="n"><v>{safe_string(value)}</v></c>'
    if value is None:
        return f'{ref} t="n"></c>' if style else ""
    raise Unusual


_SHORT = 64  # texts up to this long repeat (ids, names, labels, times, rule titles): their cell XML is kept ...
_KNOWN_MAX = 16_384  # ... this many at most, all forgotten at once beyond (memory stays flat)
_COLUMN_MAX = 2_048  # per column of a table (ids, names, times: most never come back)
_known: dict[tuple[Any, ...], str] = {}


def _c(col: int, value: Any, style: str = "", safe: bool = True) -> str:
    """`_cell(col, _safe(value) if safe else value, style)`, kept for short texts and numbers."""
    kind = type(value)
    if kind is str and len(value) > _SHORT:
        return _cell(col, _safe(value) if safe else value, style)
    key = (col, style, safe, kind, value)
    xml = _known.get(key)
    if xml is None:
        xml = _cell(col, _safe(value) if safe else value, style)
        if len(_known) >= _KNOWN_MAX:
            _known.clear()
        _known[key] = xml
    return xml


@lru_cache(maxsize=256)
def _row_attrs(height: float | None) -> str:
    """FastRows._row_attrs: the attributes openpyxl writes for a row of this height."""
    if height is None:
        return ""
    dims = _dims()
    dims[1_048_577].height = height
    attrs = dict(dims[1_048_577])
    del dims[1_048_577]
    attrs.pop("r", None)
    return "".join(f' {k}="{_text(str(v))}"' for k, v in attrs.items())


@lru_cache(maxsize=1)
def _dims() -> Any:
    return Workbook().active.row_dimensions


def _row(cells: list[str], keys: list[int], height: float | None) -> Row:
    """A transcript row (no link slots) as bytes, non-ASCII as character references (as lxml writes it)."""
    xml = f'<row r="{ROW}"{_row_attrs(height)}>{"".join(cells)}</row>'
    return xml.encode("ascii", "xmlcharrefreplace"), tuple(dict.fromkeys(keys)), ()


_LINKED = f' s="{LINK_STYLE}"'  # the style of a cell in the link font
_SLOT_BYTES = [m.encode() for m in SLOT]
_pairs: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}
Plan = tuple[int, str, "dict | None", "float | None", "int | None", dict]


def _pair(col: int, value: Any) -> tuple[bytes, bytes]:
    """(plain, linked) bytes of a cell that may carry a hyperlink (linked: in the link font)."""
    key = (col, type(value), value)
    pair = _pairs.get(key)
    if pair is None:
        plain, linked = _c(col, value), _c(col, value, _LINKED)
        pair = (plain.encode("ascii", "xmlcharrefreplace"), linked.encode("ascii", "xmlcharrefreplace"))
        if len(_pairs) >= _KNOWN_MAX:
            _pairs.clear()
        _pairs[key] = pair
    return pair


class Renderer:
    """Render the workbook rows of conversations for one time zone's column set."""

    def __init__(self, titles: Mapping[str, str], zone_name: str) -> None:
        """`titles`: rule id -> title (the 扣分规则 cell names rules by title)."""
        self.titles = titles
        # link slots: 0 = column A (to the transcript; back to the conversation), 1 = findings count / turn
        self.conv_plan = self._plan(with_zone(CONVERSATION_SHEET_COLUMNS, zone_name), {"findings": 1})
        self.find_plan = self._plan(with_zone(FINDING_SHEET_COLUMNS, zone_name), {"turn_no": 1})
        self.conv_plan[0] = (*self.conv_plan[0][:4], 0, {})
        self.find_plan[0] = (*self.find_plan[0][:4], 0, {})
        widths = {c.key: c.width for c in TRANSCRIPT_COLUMNS}
        self.text_width, self.note_width = widths["text"], widths["notes"]
        self._lead: dict[tuple[int, str, str], str] = {}  # first_cells by (turn index, role, time)

    @staticmethod
    def _plan(columns: Sequence[Any], slots: Mapping[str, int]) -> list[Plan]:
        """(column, key, value labels, width when wrapped, link slot, memo of its short cells) per column."""
        return [
            (i, c.key, VALUE_LABELS.get(c.key), c.width if c.key in WRAPPED else None, slots.get(c.key), {})
            for i, c in enumerate(columns, 1)
        ]

    def render(
        self, row: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], turns: Sequence[TurnRow]
    ) -> SheetRows | None:
        """The rows ScorecardWriter.add would write for this conversation; None when a cell is unusual."""
        if not LXML:
            return None
        try:
            transcript, where = self._transcript(row, findings, turns) if findings and turns else ((), {})
            shown = {**row, "lost_rules": self._lost_text(row["lost"])} if row.get("lost") else row
            conv = self._table_row(self.conv_plan, shown)
            rows = tuple(self._table_row(self.find_plan, f) for f in findings)
        except Unusual:
            return None
        return SheetRows(
            conv,
            transcript,
            rows,
            tuple(where.get(f["turn_index"], -1) for f in findings) if transcript else (-1,) * len(findings),
            tuple(f["rule_id"] for f in findings),
            str(row.get("agent_id") or "（未知）"),
        )

    def _lost_text(self, lost: Sequence[tuple[str, float, bool]]) -> str:
        return "；".join(
            f"{self.titles.get(rid) or rid} −{points:g}" + ("（一票否决）" if veto else "")
            for rid, points, veto in lost
        )

    @staticmethod
    def _table_row(plan: Sequence[Plan], row: Mapping[str, Any]) -> Row:
        """ScorecardWriter._cells then FastRows.append; the plan's slot columns left open for a link."""
        cells: list[bytes] = []  # each encoded as the row is (character by character: the same bytes)
        keys: list[int] = []
        lines = 1
        alts: list[tuple[bytes, bytes]] = [(b"", b""), (b"", b"")]
        get = row.get
        for col, key, labels, width, slot, memo in plan:
            value: Any = get(key)
            if value is None:
                if slot is None:
                    continue  # no cell
            elif labels is not None:
                value = labels.get(value, value)
            if slot is not None:  # never wrapped: ids and numbers
                alts[slot] = _pair(col, value)
                cells.append(_SLOT_BYTES[slot])
                keys.append(LINKED + slot)
                continue
            kind = type(value)
            # a short text is its own memo key; a number goes with its type (1, 1.0 and True differ)
            short = kind is not str or len(value) <= _SHORT
            mkey = value if kind is str else (kind, value)
            if width is not None and value:  # wrapped: memo of (xml, lines); falsy values below, never here
                known = memo.get(mkey) if short else None
                if known is None:
                    known = (_ascii(_cell(col, _safe(value), STYLE[WRAPPED_K])), wrapped_lines(str(value), width))
                    if short:
                        if len(memo) >= _COLUMN_MAX:
                            memo.clear()
                        memo[mkey] = known
                cells.append(known[0])
                keys.append(WRAPPED_K)
                if known[1] > lines:
                    lines = known[1]
                continue
            xml = memo.get(mkey) if short else None
            if xml is None:
                xml = _ascii(_cell(col, _safe(value)))
                if short:
                    if len(memo) >= _COLUMN_MAX:
                        memo.clear()
                    memo[mkey] = xml
            cells.append(xml)
        head = f'<row r="{ROW}"{_row_attrs(lines_height(lines))}>'.encode()
        return b"".join((head, *cells, b"</row>")), tuple(dict.fromkeys(keys)), tuple(alts)

    def _transcript(
        self, row: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], turns: Sequence[TurnRow]
    ) -> tuple[tuple[Row, ...], dict[Any, int]]:
        """TranscriptSheet.add: the banner and one row per turn; the transcript row of each turn index."""
        by_turn = findings_by_turn(findings)
        cid = row["conversation_id"]
        banner = banner_text(row, len(findings))
        b = STYLE[BANNER_K]
        out = [_row([_c(1, cid, b), _c(5, banner, b)], [BANNER_K], None)]
        where: dict[Any, int] = {None: 0}
        first = _c(1, cid)
        text_width = self.text_width
        for index, role, text, time in turns:
            hits = by_turn.get(index, ())
            where[index] = len(out)
            if not hits:  # the common row: columns B-D remembered by (turn index, role, time)
                known = self._lead.get((index, role, time))
                if known is None:
                    known = first_cells(index, role, time)
                    if len(self._lead) >= _COLUMN_MAX:
                        self._lead.clear()
                    self._lead[index, role, time] = known
                height = wrapped_height(((text, text_width),))
                if height:
                    tail = _c(5, text, _WRAPPED)
                    xml = f'<row r="{ROW}"{_row_attrs(height)}>{first}{known}{tail}</row>'
                    out.append((xml.encode("ascii", "xmlcharrefreplace"), _WRAPPED_KEYS, ()))
                else:
                    xml = f'<row r="{ROW}">{first}{known}{_c(5, text)}</row>'
                    out.append((xml.encode("ascii", "xmlcharrefreplace"), (), ()))
                continue
            lead = [cid, index + 1, ROLE.get(role, role), time or None]
            note = "\n".join(_note(f) for f in hits)
            fill = BAD_FILL if any(f.get("tier") != "review" for f in hits) else REVIEW_FILL
            k = FILL_K[id(fill)]
            cells = [_c(c, v, STYLE[k]) for c, v in enumerate(lead, 1)]
            rich = marked_text(text, [tuple(f["span"]) for f in hits if f.get("span")])
            if rich is not None:
                quoted = k + 4 if text.startswith(FORMULA_START) else k + 2
                cells.append(rich_cell(rich, fill, quoted == k + 4).replace("\x01", STYLE[quoted]))
                text_k = quoted
            else:
                cells.append(_c(5, text, STYLE[k + 2]))
                text_k = k + 2
            cells.append(_c(6, note, STYLE[k + 2]))
            height = wrapped_height([(text, self.text_width), (note, self.note_width)])
            out.append(_row(cells, [k, text_k, k + 2], height))
        return tuple(out), where


_WRAPPED, _WRAPPED_KEYS = STYLE[WRAPPED_K], (WRAPPED_K,)


def first_cells(index: int, role: str, time: str) -> str:
    """Columns B-D of a transcript row without a finding: turn number, role, time (numbers and our labels)."""
    return _c(2, index + 1, safe=False) + _c(3, ROLE.get(role, role), safe=False) + _c(4, time or None, safe=False)


@lru_cache(maxsize=1)
def _sheet() -> Any:
    return Workbook(write_only=True).create_sheet()


def _rich(rich: Any, fill: Any, quote: bool) -> str:
    """A rich text cell in column E as openpyxl writes it, with ROW for its row and \\x01 for its style id."""
    ws = _sheet()
    cell = WriteOnlyCell(ws, value=rich)
    cell.fill, cell.alignment = fill, WRAP
    cell.quotePrefix = quote
    cell.column, cell.row = 5, 1
    sid = cell.style_id
    buf = io.BytesIO()
    with xmlfile(buf) as xf, xf.element("worksheet", xmlns=SHEET_MAIN_NS):
        xf.write("")
        xf.flush()
        start = buf.tell()
        write_cell(xf, ws, cell, cell.has_style)
        xf.flush()
        xml = buf.getvalue()[start:].decode("ascii")
    head = f'<c r="E1" s="{sid}"'
    if not xml.startswith(head):
        raise Unusual
    return f'<c r="E{ROW}"\x01' + xml[len(head) :]


def rich_cell(rich: Any, fill: Any, quote: bool) -> str:
    """`_rich`, formatted here: the runs of marked_text's rich text as lxml writes them (a cell in µs, not 60).

    Plain runs and runs in MARK_FONT; the cell's head and the marked run's <rPr> come from `_rich`
    itself, once per fill. Anything else goes through `_rich`. Non-ASCII characters are left for the
    row's encoding to turn into references (`_row`), where `_rich` has them as references already.
    """
    head, mark = _rich_frame(id(fill), fill, quote)
    out = [head]
    for part in rich:
        if type(part) is str:
            text = part
            out.append("<r>")
        elif type(part) is TextBlock and part.font is MARK_FONT and type(part.text) is str:
            text = part.text
            out.append(mark)
        else:
            return _rich(rich, fill, quote)
        stripped = text.strip()  # openpyxl's rule for a run (not a plain cell's): whitespace around some text
        space = ' xml:space="preserve"' if stripped and text != stripped else ""
        out.append(f"<t{space}>{_text(text)}</t></r>")
    out.append("</is></c>")
    return "".join(out)


@lru_cache(maxsize=8)
def _rich_frame(_fill_id: int, fill: Any, quote: bool) -> tuple[str, str]:
    """(the cell up to its first run, a marked run up to its text), as `_rich` writes them."""
    probe = _rich(CellRichText([TextBlock(MARK_FONT, "a")]), fill, quote)
    head = probe[: probe.index("<r>")]
    return head, probe[len(head) : probe.index("<t>a</t>")]
