"""Pick a file's encoding and read it as text without ever raising on bad bytes.

Undecodable bytes are kept in the decoded text as lone surrogates U+DC00+byte (the `MARK_ERRORS`
handler), so that the record holding them can be rejected with its line number while the rest of
the file is read; `printable()` turns them back into `\\xNN` for quarantine.jsonl.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import charset_normalizer

from .hanzi import chinese_share
from .limits import Limit

MARK_ERRORS = "qa_audit.mark"
SAMPLE_BYTES = 4 << 20  # detection looks at the first 4 MB
# longer lines (records) are rejected without being held in memory; a JSON record costs up to
# ~100x its size once parsed, so the default keeps one record well under 1 GB
MAX_LINE_CHARS = Limit("QA_AUDIT_MAX_RECORD_CHARS", 4 << 20, "record length (characters)").value()
TOO_LONG = f"line longer than {MAX_LINE_CHARS} characters (行过长; raise it with QA_AUDIT_MAX_RECORD_CHARS)"
ASCII_WS = " \t\r\n\f\v"  # what counts as a blank line: only these (same set as bytes.strip())

MIXED = "\udbff"  # ends a line that is UTF-8 inside a GB file (decoded as UTF-8, then rejected)
MIXED_LINE_CODECS = ("gb18030", "gbk", "gb2312")
_PASS_THROUGH = 1 << 20  # a GB "line" longer than this is decoded without the UTF-8 check
_BAD = re.compile("[\x00\ud800-\udfff]")
# Big5 as Windows (cp950) and Hong Kong (HKSCS) write it; chosen over GB18030 when a file is valid in both
# and the share of common characters read as Big5 is at least BIG5_MARGIN higher, over BIG5_MIN_CHARS or more
BIG5_CODECS = ("cp950", "big5hkscs")
BIG5_MARGIN = 0.15
BIG5_MIN_CHARS = 2
_SCORE_LINES = 200
_ASCII = bytes(range(128))


def _mark(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = bytes(err.object[err.start : err.end])
    newline = bad.find(b"\n")
    if newline > 0:  # GB18030 may report a bad lead byte and the line break after it as one sequence
        bad = bad[:newline]
    return "".join(chr(0xDC00 + b) for b in bad), err.start + len(bad)


codecs.register_error(MARK_ERRORS, _mark)


def has_bad_chars(text: str) -> bool:
    """True when `text` holds undecodable bytes, a NUL or a lone surrogate."""
    return _BAD.search(text) is not None


def bad_text_reason(text: str, enc: str = "") -> str:
    """The quarantine reason for a text that `has_bad_chars`: a UTF-8 line in a GB file, or bad bytes."""
    if MIXED in text:
        return f"UTF-8 line in a {enc or 'GB18030/GBK'} file (编码混用: 该行是UTF-8编码, 未按乱码审核)"
    return "undecodable bytes or NUL (无法解码的字节)"


def printable(text: str) -> str:
    """Return `text` with undecodable bytes as `\\xNN` and other unsafe characters escaped."""

    def esc(m: re.Match[str]) -> str:
        code = ord(m.group())
        if code == ord(MIXED):
            return ""
        return f"\\x{code - 0xDC00:02x}" if 0xDC00 <= code <= 0xDCFF else f"\\u{code:04x}"

    return _BAD.sub(esc, text)


def check_encoding(name: str) -> str:
    """Return the codec's canonical name; raise LookupError for an unknown one."""
    return codecs.lookup(name).name


def _decodes(data: bytes, encoding: str, final: bool = True) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _ascii_compatible(encoding: str) -> bool:
    try:
        return _ASCII.decode(encoding) == _ASCII.decode("ascii")
    except (LookupError, UnicodeDecodeError):
        return False


def detect_encoding(path: Path) -> str:
    """Guess a file's encoding from its first 4 MB.

    Order: UTF-8 BOM -> utf-8-sig; UTF-16 BOM -> utf-16; every non-ASCII line valid UTF-8 -> utf-8;
    most of them valid UTF-8 -> utf-8 (the others are damaged lines, rejected one by one; GB18030
    would decode such a file "cleanly" into mojibake); all valid GB18030 -> gb18030, or Big5 when all
    are valid Big5 too and read far more like Chinese as Big5; at least as many valid UTF-8 as valid
    only in GB18030 -> utf-8; else charset-normalizer's best ASCII-compatible guess; else whichever of
    utf-8/gb18030 fits more lines. docs/encodings.md has how each step was measured.
    """
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
        truncated = bool(f.read(1))
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    lines = head.split(b"\n")
    last = lines.pop() if truncated else b""  # may end inside a character
    lines = [ln for ln in lines if not ln.isascii()]
    partial = [] if last.isascii() else [last]
    total = len(lines) + len(partial)
    if not total:
        return "utf-8"
    is_utf8 = [_decodes(ln, "utf-8") for ln in lines] + [_decodes(ln, "utf-8", False) for ln in partial]
    utf8 = sum(is_utf8)
    if utf8 * 2 > total:
        return "utf-8"
    is_gb = [_decodes(ln, "gb18030") for ln in lines] + [_decodes(ln, "gb18030", False) for ln in partial]
    gb = sum(is_gb)
    if gb == total:
        return _gb_or_big5(lines, partial)
    # GB text is hardly ever valid UTF-8, while GB18030 decodes most byte strings: lines valid only as GB
    # weigh against UTF-8, not the damaged lines neither codec reads (guessing a single-byte codec for
    # them turned the good UTF-8 lines into mojibake that was audited)
    if utf8 and utf8 >= sum(g and not u for u, g in zip(is_utf8, is_gb, strict=True)):
        return "utf-8"
    best = charset_normalizer.from_bytes(head).best()
    if best is not None and _ascii_compatible(best.encoding):
        return best.encoding
    return "gb18030" if gb > utf8 else "utf-8"


def _gb_or_big5(lines: list[bytes], partial: list[bytes]) -> str:
    """gb18030, or a Big5 codec when every line is Big5 too and reads far more like Chinese in it.

    Big5 bytes are nearly always valid GB18030 (as mojibake: 訂單 -> 璹虫), so a Big5 export was audited
    as mojibake; short GBK files are often valid Big5 too, so the reading decides (readers/hanzi.py).
    """

    def fits(codec: str) -> bool:
        return all(_decodes(ln, codec) for ln in lines) and all(_decodes(ln, codec, False) for ln in partial)

    big5 = next((c for c in BIG5_CODECS if fits(c)), None)
    if big5 is None:
        return "gb18030"
    sample = b"\n".join(lines[:_SCORE_LINES])
    as_big5, n = chinese_share(sample.decode(big5))
    as_gb, _ = chinese_share(sample.decode("gb18030"))
    return big5 if n >= BIG5_MIN_CHARS and as_big5 - as_gb >= BIG5_MARGIN else "gb18030"


class _LineCheckingDecoder(codecs.IncrementalDecoder):
    """Decode a GB file line by line; a non-ASCII line that is valid UTF-8 is decoded as UTF-8 + MIXED.

    GB18030 decodes almost any byte string, so a UTF-8 line pasted into a GBK export would
    otherwise become mojibake that is audited (and scored) as if the agent had written it.
    """

    base = "gb18030"

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self._pending = b""
        self._long = codecs.getincrementaldecoder(self.base)(errors)  # inside an over-long line
        self._in_long = False
        # an over-long line streams through undecided; it is also fed to a UTF-8 decoder so that, if it
        # all decodes as UTF-8, its end gets the MIXED mark (quarantined, though shown as decoded here)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._long_utf8 = False  # so far non-ASCII and valid UTF-8
        self._long_ascii = True

    def decode(self, data: bytes, final: bool = False) -> str:  # type: ignore[override]
        """Decode the complete lines of `data`; keep a partial last line for the next call."""
        buf = self._pending + bytes(data)
        cut = len(buf) if final else buf.rfind(b"\n") + 1
        out = []
        if self._in_long and cut:  # the rest of an over-long line
            head, sep, _ = buf[:cut].partition(b"\n")
            out.append(self._long_part(head + sep, ends=bool(sep) or final))
            self._in_long = not sep
            buf, cut = buf[len(head) + len(sep) :], cut - len(head) - len(sep)
        lines = buf[:cut].split(b"\n")
        out.extend(self._line(line + b"\n") for line in lines[:-1])
        if lines[-1]:
            out.append(self._line(lines[-1]))
        self._pending = buf[cut:]
        if len(self._pending) > _PASS_THROUGH:  # no newline in sight: stop buffering
            if not self._in_long:
                self._long.reset()
                self._utf8.reset()
                self._long_utf8, self._long_ascii = True, True
            out.append(self._long_part(self._pending, ends=False))
            self._pending, self._in_long = b"", True
        return "".join(out)

    def _long_part(self, part: bytes, ends: bool) -> str:
        """Decode a piece of an over-long line; at its end, mark it MIXED if it was all valid UTF-8.

        While the line is still valid UTF-8 the piece is returned decoded as UTF-8, so a quarantined
        line reads as written; a GB line is never valid UTF-8 over the first megabyte of non-ASCII.
        """
        text = self._long.decode(part, final=ends)
        if self._long_utf8:
            self._long_ascii = self._long_ascii and part.isascii()
            try:
                as_utf8 = self._utf8.decode(part, final=ends)
            except UnicodeDecodeError:
                self._long_utf8 = False
            else:
                text = as_utf8
        if ends and self._long_utf8 and not self._long_ascii:
            body = text.rstrip("\r\n")
            text = body + MIXED + text[len(body) :]
        return text

    def _line(self, line: bytes) -> str:
        if not line.isascii():
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                body = text.rstrip("\r\n")
                return body + MIXED + text[len(body) :]
        return line.decode(self.base, self.errors)

    def reset(self) -> None:
        """Forget any partial line."""
        self._pending, self._in_long = b"", False
        self._long.reset()

    def getstate(self) -> tuple[bytes, int]:
        """The buffered bytes (TextIOWrapper uses this for tell())."""
        return self._pending, 0

    def setstate(self, state: tuple[bytes, int]) -> None:
        """Restore buffered bytes."""
        self._pending = state[0]


def _line_checking_codec(name: str) -> codecs.CodecInfo | None:
    prefix = "qa_audit_lines_"
    if not name.startswith(prefix) or name[len(prefix) :] not in MIXED_LINE_CODECS:
        return None
    base = codecs.lookup(name[len(prefix) :])

    class Decoder(_LineCheckingDecoder):
        pass

    Decoder.base = base.name
    decoder = Decoder
    return codecs.CodecInfo(base.encode, base.decode, incrementaldecoder=decoder, name=name)


codecs.register(_line_checking_codec)


def open_text(path: Path, encoding: str, newline: str = "\n") -> TextIO:
    """Open `path` for reading as text; bad bytes become markers, lines end at `\\n` only.

    A leading UTF-8 BOM is dropped even when the encoding was given as utf-8 (utf-8-sig is used
    only when the BOM is there: its decoder loses a lone `\xef` at the end of a file). In a
    GB18030/GBK/GB2312 file each line that is valid UTF-8 (and not ASCII) ends with `MIXED`.
    """
    name = codecs.lookup(encoding).name
    if name in MIXED_LINE_CODECS:
        return open(path, encoding=f"qa_audit_lines_{name}", errors=MARK_ERRORS, newline=newline)
    if name in ("utf-8", "utf-8-sig"):
        with open(path, "rb") as f:
            encoding = "utf-8-sig" if f.read(3) == codecs.BOM_UTF8 else "utf-8"
    return open(path, encoding=encoding, errors=MARK_ERRORS, newline=newline)


def iter_lines(stream: TextIO) -> Iterator[tuple[int, str, bool]]:
    """Yield `(line number, text without line ending, too_long)`.

    A line longer than `MAX_LINE_CHARS` is skipped through and yielded once, cut, with too_long True.
    """
    lineno = 0
    while True:
        line = stream.readline(MAX_LINE_CHARS)
        if not line:
            return
        lineno += 1
        if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
            head = line[:4000]
            while line and not line.endswith("\n"):
                line = stream.readline(MAX_LINE_CHARS)
            yield lineno, head, True
            continue
        yield lineno, line.rstrip("\r\n"), False
