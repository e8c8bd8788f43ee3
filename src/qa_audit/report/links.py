"""Internal hyperlinks for write-only sheets, spooled to disk instead of held in memory.

openpyxl keeps one Hyperlink object per linked cell until the sheet is closed and then builds
the whole <hyperlinks> tree at once: about 1.5 KiB per link, 300+ MiB for 200k findings. Here
each link is one line in a temporary file, streamed into the sheet's XML at the point where
openpyxl would write its own list. This hooks openpyxl's WorksheetWriter (3.1), a private API;
tests/test_report.py opens the links back to prove it still works.
"""

from __future__ import annotations

import tempfile
from typing import Any

from openpyxl.xml.functions import Element

EXCEL_MAX_LINKS = 65_530  # hyperlinks per worksheet in Excel's specifications (older builds)


class LinkSpool:
    """Collect (cell, location) links of one write-only sheet and write them with its tail."""

    def __init__(self, ws: Any, limit: int = EXCEL_MAX_LINKS) -> None:
        """Attach to `ws`, which must already have written a row (so its writer exists)."""
        self.limit = limit
        self.count = 0
        self.dropped = 0
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed by _write
        self.writer = ws._writer
        self.writer.write_hyperlinks = self._write  # replaces openpyxl's in-memory list

    def full(self) -> bool:
        """True when Excel's per-sheet link limit is reached."""
        return self.count >= self.limit

    def add(self, ref: str, location: str) -> bool:
        """Link cell `ref` (e.g. 'A5') to `location` ("'Sheet'!A1"); False once the sheet is full."""
        if self.full():
            self.dropped += 1
            return False
        self.file.write(f"{ref}\t{location}\n")
        self.count += 1
        return True

    def _write(self) -> None:
        try:
            if not self.count:
                return
            xf = self.writer.xf.send(True)
            fh = getattr(self.writer, "fh", None)  # report/fastrows.py's writer: its file takes raw XML
            with xf.element("hyperlinks"):
                self.file.seek(0)
                if fh is None:
                    for line in self.file:
                        ref, location = line.rstrip("\n").split("\t", 1)
                        xf.write(Element("hyperlink", {"ref": ref, "location": location}))
                else:
                    xf.flush()
                    self._write_raw(fh)
            self.writer.xf.send(None)  # hand control back to openpyxl's stream
        finally:
            self.file.close()

    def _write_raw(self, fh: Any) -> None:
        """The <hyperlink> elements as lxml writes them (a Python call per link instead of lxml's dozen)."""
        known: dict[str, str] = {}  # location up to the cell -> escaped: few sheets, many cells
        batch: list[str] = []
        for line in self.file:
            ref, location = line.rstrip("\n").split("\t", 1)
            where, bang, cell = location.rpartition("!")
            escaped = known.get(where)
            if escaped is None:
                escaped = known[where] = _attr(where)
            batch.append(f'<hyperlink ref="{_attr(ref)}" location="{escaped}{bang}{_attr(cell)}"/>')
            if len(batch) >= 4096:
                fh.write("".join(batch).encode("ascii", "xmlcharrefreplace"))
                batch.clear()
        fh.write("".join(batch).encode("ascii", "xmlcharrefreplace"))

    def close(self) -> None:
        """Drop the spool without writing (the workbook is being abandoned)."""
        self.file.close()


_ATTR = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)


def _attr(value: str) -> str:
    """An attribute value escaped as lxml escapes it (non-ASCII characters: when encoded, xmlcharrefreplace)."""
    return value.translate(_ATTR)
