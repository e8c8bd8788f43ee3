"""Make text safe for a spreadsheet cell, a CSV field or a file name (atomic writes: qa_audit.atomic)."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import unicodedata
from pathlib import Path

EXCEL_MAX_CELL = 32_767  # characters per cell
EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, header included
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot hold these; openpyxl raises IllegalCharacterError on them.
ILLEGAL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ILLEGAL = ILLEGAL_CHARS
_NAME_BAD = re.compile(r"[^\w\u4e00-\u9fff.-]+")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet could take `text` for a formula (= + - @, tab or CR first)."""
    return text.startswith(FORMULA_START)


def cell_text(text: str, limit: int = EXCEL_MAX_CELL) -> tuple[str, bool]:
    """Return `text` cleaned for an Excel cell and whether it had to be truncated.

    Characters XML cannot carry are replaced by U+FFFD; text over Excel's cell limit is cut
    and ends with a visible note giving the original length.
    """
    text = _ILLEGAL.sub("\ufffd", text)
    if len(text) <= limit:
        return text, False
    note = f"…[已截断 truncated: 原长 {len(text)} 字]"
    return text[: limit - len(note)] + note, True


def csv_text(text: str) -> str:
    """Return `text` for a CSV field: a leading ' defuses anything a spreadsheet would evaluate."""
    return "'" + text if looks_like_formula(text) else text


def safe_file_stem(name: str, max_len: int = 80, max_bytes: int = 120) -> str:
    """Return a file-name stem for `name` that cannot leave its directory or clash after cleaning.

    Path separators, dots at the start, control characters and Windows device names are removed;
    the stem is cut to `max_len` characters and `max_bytes` UTF-8 bytes (file systems allow 255
    bytes per name, and a temp name adds to it); when anything had to change, a short hash of
    the original is appended so that two different ids never map to the same file.
    """
    cleaned = unicodedata.normalize("NFKC", name)
    cleaned = _NAME_BAD.sub("_", cleaned).strip("._ ")[:max_len]
    while len(cleaned.encode("utf-8", "surrogatepass")) > max_bytes:
        cleaned = cleaned[: max(len(cleaned) - 1, len(cleaned) * 3 // 4)]
    if not cleaned or cleaned.lower().split(".")[0] in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    if cleaned != name:
        cleaned += "-" + hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return cleaned


def inside(directory: Path, candidate: Path) -> bool:
    """True when `candidate` resolves to a path inside `directory`."""
    try:
        candidate.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def as_os_error(exc: BaseException) -> BaseException:
    """Return `exc` as the OSError it stands for when lxml reports a failed write, else `exc` itself.

    openpyxl streams sheets through lxml, which reports a full disk or a file-size limit as
    `SerialisationError('IO_ENOSPC')` / `('IO_EFBIG')` rather than as an OSError.
    """
    from lxml.etree import SerialisationError  # only on the failure path; openpyxl has loaded lxml by now

    name = str(exc)
    if isinstance(exc, SerialisationError) and name.startswith("IO_"):
        code = getattr(errno, name[3:], None)
        if isinstance(code, int):
            return OSError(code, os.strerror(code))
        return OSError(f"cannot write the workbook ({name})")
    return exc
