"""Size limits of the readers: beyond each, the record or file is quarantined with the limit named.

Every limit can be changed with an environment variable (read when a file is opened), so an
unusual export can still be read on a machine with the memory for it. SECURITY.md lists them.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """One limit: its environment variable, default and what it bounds."""

    env: str
    default: int
    what: str

    def value(self) -> int:
        """The limit in force (the environment variable when it holds a positive integer)."""
        raw = os.environ.get(self.env, "")
        return int(raw) if raw.isdigit() and int(raw) > 0 else self.default

    def exceeded(self, found: int) -> str:
        """The quarantine reason for `found` over the limit."""
        return f"{self.what} {found} exceeds the limit of {self.value()} (超出大小限制; raise it with {self.env})"


MAX_FILE_BYTES = Limit("QA_AUDIT_MAX_FILE_BYTES", 32 << 20, "size of a .json file read whole (bytes; use JSONL)")
MAX_TURN_CHARS = Limit("QA_AUDIT_MAX_TURN_CHARS", 4 << 20, "length of one turn's text (characters; a cell)")
MAX_TURNS = Limit("QA_AUDIT_MAX_TURNS", 100_000, "turns in one conversation")
XLSX_MAX_BYTES = Limit("QA_AUDIT_MAX_XLSX_BYTES", 512 << 20, "uncompressed size of an .xlsx (bytes)")
XLSX_MAX_RATIO = Limit("QA_AUDIT_MAX_XLSX_RATIO", 200, "compression ratio of an .xlsx part")
XLSX_MAX_COLUMNS = Limit("QA_AUDIT_MAX_XLSX_COLUMNS", 256, "columns read per worksheet")
_RATIO_FROM = 1 << 20  # small parts may compress very well (empty styles): the ratio counts from 1 MB


def xlsx_problem(path: os.PathLike[str] | str) -> str | None:
    """Why an .xlsx must not be expanded (a zip bomb, an oversized shared string), or None.

    Looks only at the zip directory: nothing is inflated.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (OSError, zipfile.BadZipFile):
        return None  # the reader reports an unreadable file itself
    total = sum(i.file_size for i in infos)
    if total > XLSX_MAX_BYTES.value():
        return XLSX_MAX_BYTES.exceeded(total)
    for info in infos:
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > _RATIO_FROM and ratio > XLSX_MAX_RATIO.value():
            return f"{info.filename}: " + XLSX_MAX_RATIO.exceeded(ratio)
    return None
