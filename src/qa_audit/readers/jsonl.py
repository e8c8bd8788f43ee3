"""Read JSONL (one conversation per line) and .json files (one object, or a list of objects)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..model import Conversation, Rejected
from .build import build_conversation, reject
from .encoding import (
    ASCII_WS,
    TOO_LONG,
    bad_text_reason,
    detect_encoding,
    has_bad_chars,
    iter_lines,
    open_text,
)
from .limits import MAX_FILE_BYTES

_decoder = json.JSONDecoder()


def read_jsonl(path: Path, source: str, encoding: str | None = None) -> Iterator[Conversation | Rejected]:
    """Yield one Conversation or Rejected per non-blank line of a JSONL file.

    Blank lines (only ASCII whitespace) are skipped; a line with undecodable bytes, a NUL, invalid
    JSON, nesting too deep for the parser, or a value that is not an object is rejected alone.
    """
    lineno = 0
    try:
        enc = encoding or detect_encoding(path)
        with open_text(path, enc) as stream:
            for lineno, line, too_long in iter_lines(stream):
                if too_long:
                    yield reject(source, lineno, TOO_LONG, raw=line)
                elif line.strip(ASCII_WS):
                    yield _record(line, source, lineno, enc)
    except OSError as exc:
        where = f"after line {lineno}" if lineno else "file"
        yield reject(source, lineno + 1 if lineno else None, f"cannot read {where} (无法读取文件): {exc}")


def _record(line: str, source: str, lineno: int, enc: str) -> Conversation | Rejected:
    obj, error = _parse(line)
    rid = _id_of(obj)
    if has_bad_chars(line):
        return reject(source, lineno, f"{bad_text_reason(line, enc)} at line {lineno} (read as {enc})", rid, line)
    if error:
        return reject(source, lineno, error, rid, line)
    if not isinstance(obj, dict):
        return reject(source, lineno, f"not a JSON object (不是JSON对象): got {_kind(obj)}", None, line)
    return build_conversation(obj, source=source, line=lineno, raw=line)


def _parse(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON (无法解析的JSON): {exc.msg} at col {exc.colno}"
    except RecursionError:
        return None, "invalid JSON (无法解析的JSON): nested too deeply"
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        return None, f"invalid JSON (无法解析的JSON): {exc}"


def _id_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        cid = obj.get("conversation_id")
        if isinstance(cid, (str, int)) and not isinstance(cid, bool):
            return str(cid)
    return None


def _kind(obj: Any) -> str:
    return {list: "a list", str: "a string", type(None): "null", bool: "a boolean"}.get(type(obj), "a number")


def read_json(path: Path, source: str, encoding: str | None = None) -> Iterator[Conversation | Rejected]:
    """Yield the conversations of a .json file holding one object or a list of objects.

    The file is read whole (use JSONL for big inputs). A list element that is not an object is
    rejected alone; a syntax error rejects the rest of the list from its line on. A file that is
    neither (e.g. JSONL saved as .json) is read as JSONL.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES.value():
            yield reject(source, None, MAX_FILE_BYTES.exceeded(size))
            return
        enc = encoding or detect_encoding(path)
        with open_text(path, enc) as stream:
            text = stream.read()
    except OSError as exc:
        yield reject(source, None, f"cannot read file (无法读取文件): {exc}")
        return
    body = text.lstrip(ASCII_WS)
    if body.startswith("["):
        yield from _read_list(text, source)
        return
    if not body:
        return
    obj, error = _parse(text)
    if error is None and isinstance(obj, dict):
        line = text.count("\n", 0, len(text) - len(body)) + 1
        yield build_conversation(obj, source=source, line=line, raw=text)
        return
    yield from read_jsonl(path, source, enc)


def _read_list(text: str, source: str) -> Iterator[Conversation | Rejected]:
    pos = text.index("[") + 1
    counted, line = 0, 1
    while True:
        pos = _skip(text, pos)
        if pos >= len(text) or text[pos] == "]":
            rest = text[pos + 1 :].strip(ASCII_WS) if pos < len(text) else "missing ]"
            if rest:
                line += text.count("\n", counted, pos)
                yield reject(source, line, "invalid JSON (无法解析的JSON): unexpected text after the list", raw=rest)
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            obj, end = _decoder.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            yield reject(
                source, line, f"invalid JSON (无法解析的JSON): {msg}; rest of the file not read", raw=text[pos:]
            )
            return
        raw = text[pos:end]
        if not isinstance(obj, dict):
            yield reject(source, line, f"not a JSON object (不是JSON对象): got {_kind(obj)}", raw=raw)
        elif has_bad_chars(raw):
            yield reject(source, line, bad_text_reason(raw), _id_of(obj), raw)
        else:
            yield build_conversation(obj, source=source, line=line, raw=raw)
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "]":
            line += text.count("\n", counted, pos)
            yield reject(
                source,
                line,
                "invalid JSON (无法解析的JSON): expected , or ]; rest of the file not read",
                raw=text[pos:],
            )
            return


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in ASCII_WS:
        pos += 1
    return pos
