"""What report/sheetrows.py leaves open in a rendered row, for the writer to fill in (see there)."""

from __future__ import annotations

from typing import Any

from qa_audit.report.excel_style import BAD_FILL, BANNER_FILL, BANNER_FONT, LINK_FONT, REVIEW_FILL, WRAP

ROW, LINK_STYLE = "\x00", "\x03"
# the style recipes of the three big tables: CellMaker.styled's keywords, and quotePrefix
RECIPES: tuple[tuple[dict[str, Any], bool], ...] = (
    ({"alignment": WRAP}, False),
    ({"font": LINK_FONT}, False),
    ({"font": BANNER_FONT, "fill": BANNER_FILL}, False),
    ({"fill": BAD_FILL}, False),
    ({"fill": REVIEW_FILL}, False),
    ({"fill": BAD_FILL, "alignment": WRAP}, False),
    ({"fill": REVIEW_FILL, "alignment": WRAP}, False),
    ({"fill": BAD_FILL, "alignment": WRAP}, True),  # marked text that looks like a formula
    ({"fill": REVIEW_FILL, "alignment": WRAP}, True),
)
WRAPPED_K, LINK_K, BANNER_K = 0, 1, 2
FILL_K = {id(BAD_FILL): 3, id(REVIEW_FILL): 4}
STYLE = tuple(f"\x01{chr(65 + k)}" for k in range(len(RECIPES)))
SLOT = ("\x020", "\x021")
LINKED = 100  # a row's key LINKED + i: link slot i (the link style, when the writer links it)

Row = tuple[bytes, tuple[int, ...], tuple[tuple[bytes, bytes], ...]]  # template, keys, (plain, linked) per slot
