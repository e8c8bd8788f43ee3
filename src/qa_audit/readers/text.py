"""Read plain-text transcripts: `客服：…` / `客户：…` lines with optional stamps and `#@` directives.

Format (one line each; full- or half-width colon):
  `[00:01:02] 客服：您好`   a turn: optional stamp, a role (any synonym), a colon, the text.
      Stamps: `[hh:mm:ss]` or `[mm:ss]` (fractions allowed) -> start seconds; `[start-end]` (also
      `~`) -> start and end; `[2026-11-21 09:12:05]` -> ts. `【】` work as brackets. Without an
      explicit end, `end` stays None: a stamp says when a line starts, and using the next line's
      start as this line's end would make every gap zero and hide silences.
  an indented line, or any line that is not a turn/directive/blank, continues the previous turn
      (joined with "\\n"). A role-like word before a colon at column 0 (`地址：…`) is read as a turn,
      so indent such lines; a token must start with a letter, so `12:30 到` continues.
  `#@ conversation_id: X`   starts a conversation. Lines before the first one form a conversation
      with id = file stem, unless they are only blank lines and metadata/expect/ok directives,
      which then are defaults for every conversation of the file. Without any conversation_id
      directive the whole file is one conversation (id = file stem); a blank file holds none.
  `#@ agent_id|agent_name|team|channel|started_at: v` metadata (a later value wins);
  `#@ expect: a, b` / `#@ ok: …` conversation annotations; `#@ turn.expect: …` / `#@ turn.ok: …`
      annotate the last turn above.
A problem (unknown role or directive, bad stamp, undecodable line, text before the first turn)
rejects the conversation it is in; reading goes on with the next conversation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Conversation, Rejected
from .build import RAW_LIMIT, build_conversation, reject
from .encoding import (
    ASCII_WS,
    TOO_LONG,
    bad_text_reason,
    detect_encoding,
    has_bad_chars,
    iter_lines,
    open_text,
)
from .roles import split_ids
from .values import parse_seconds, parse_timestamp

META_KEYS = ("agent_id", "agent_name", "team", "channel", "started_at")
_TURN = re.compile(
    r"(?:[\[【](?P<stamp>[^\]】]*)[\]】]\s*)?(?P<role>[^\W\d_][^\s:：]{0,11})\s*[:：](?!//)\s*(?P<text>.*)"
)
_DIRECTIVE = re.compile(r"#@\s*(?P<key>[\w.]+)\s*[:：]\s*(?P<value>.*)")
_RANGE_SEPS = "-~～–—至"


@dataclass
class _Block:
    """The lines of one conversation while it is being read."""

    cid: str | None
    line: int
    meta: dict[str, str | None] = field(default_factory=dict)
    expect: list[str] = field(default_factory=list)
    ok: list[str] = field(default_factory=list)
    turns: list[dict[str, Any]] = field(default_factory=list)
    turn_lines: list[int] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    raw_len: int = 0
    error: str | None = None
    content: bool = False  # holds something other than blank lines and metadata directives

    def fail(self, reason: str) -> None:
        self.error = self.error or reason

    def keep(self, line: str) -> None:
        if self.raw_len < RAW_LIMIT:
            self.raw.append(line)
            self.raw_len += len(line) + 1


def read_text(path: Path, source: str, encoding: str | None = None) -> Iterator[Conversation | Rejected]:
    """Yield the conversations of a plain-text transcript (format in the module docstring)."""
    try:
        enc = encoding or detect_encoding(path)
        with open_text(path, enc) as stream:
            yield from _parse(iter_lines(stream), source, Path(source).stem, enc)
    except OSError as exc:
        yield reject(source, None, f"cannot read file (无法读取文件): {exc}")


def _parse(
    lines: Iterator[tuple[int, str, bool]], source: str, stem: str, enc: str
) -> Iterator[Conversation | Rejected]:
    block = _Block(None, 0)
    defaults = block
    for n, line, too_long in lines:
        if not line.strip(ASCII_WS):
            continue
        if block.line == 0:
            block.line = n
        directive = _DIRECTIVE.fullmatch(line) if line.startswith("#@") else None
        if directive and directive["key"] == "conversation_id":
            if block.cid is None and not block.content:
                if block.error:
                    yield _emit(block, source, stem)
                defaults = block
            else:
                yield _emit(block, source, stem)
            block = _Block(directive["value"].strip(), n, dict(defaults.meta), list(defaults.expect), list(defaults.ok))
        elif line.startswith("#@"):
            _directive(block, directive, n)
        else:
            block.content = True
            _turn_or_text(block, line, n)
        block.keep(line)
        if too_long:
            block.fail(f"line {n}: {TOO_LONG}")
        elif has_bad_chars(line):
            block.fail(f"{bad_text_reason(line, enc)} at line {n} (read as {enc})")
    if block.line:  # a preamble that is the whole file is a conversation too
        yield _emit(block, source, stem)


def _directive(block: _Block, m: re.Match[str] | None, n: int) -> None:
    key = m["key"] if m else ""
    value = m["value"].strip() if m else ""
    if key in META_KEYS:
        block.meta[key] = value or None
    elif key in ("expect", "ok"):
        getattr(block, key).extend(split_ids(value))
    elif key in ("turn.expect", "turn.ok"):
        block.content = True
        if not block.turns:
            block.fail(f"line {n}: #@ {key} has no turn above (上方没有对话轮次)")
        else:
            block.turns[-1][key[5:]].extend(split_ids(value))
    else:
        block.content = True
        block.fail(
            f"line {n}: unknown directive {key or '(malformed)'} (未知指令); expected #@ conversation_id, "
            f"{', '.join(META_KEYS)}, expect, ok, turn.expect or turn.ok followed by a colon"
        )


def _turn_or_text(block: _Block, line: str, n: int) -> None:
    m = None if line[0] in ASCII_WS or line[0] == "\u3000" else _TURN.fullmatch(line)
    if m is None:
        if not block.turns:
            block.fail(f"line {n}: text before the first turn (第一轮之前的文本); start turns with 客服：or 客户：")
        else:
            last = block.turns[-1]
            last["text"] = f"{last['text']}\n{line.strip()}" if last["text"] else line.strip()
        return
    turn: dict[str, Any] = {"role": m["role"], "text": m["text"].strip(), "expect": [], "ok": []}
    if m["stamp"] is not None:
        try:
            turn.update(_stamp(m["stamp"]))
        except ValueError:
            block.fail(f"line {n}: bad time stamp [{m['stamp']}] (无效的时间戳); expected [hh:mm:ss] or [mm:ss]")
    block.turns.append(turn)
    block.turn_lines.append(n)


def _stamp(text: str) -> dict[str, Any]:
    text = text.strip()
    if re.match(r"\d{4}\D", text):
        return {"ts": parse_timestamp(text)}
    # a range "a - b": the first separator with text on both sides (a scan, not a regex of two
    # lazy groups around optional spaces, which backtracked quadratically on long stamps)
    cut = next((i for i in range(1, len(text) - 1) if text[i] in _RANGE_SEPS), None)
    if cut is not None:
        return {"start": parse_seconds(text[:cut]), "end": parse_seconds(text[cut + 1 :])}
    return {"start": parse_seconds(text)}


def _emit(block: _Block, source: str, stem: str) -> Conversation | Rejected:
    cid = stem if block.cid is None else block.cid
    raw = "\n".join(block.raw)
    if block.error:
        return reject(source, block.line, block.error, cid or None, raw)
    if not block.turns:
        return reject(source, block.line, "no turns (没有对话轮次)", cid or None, raw)
    record = {"conversation_id": cid, **block.meta, "expect": block.expect, "ok": block.ok, "turns": block.turns}
    return build_conversation(
        record,
        source=source,
        line=block.line,
        raw=raw,
        turn_where=[f"line {n}" for n in block.turn_lines],
        role_hint="; indent a line that continues the previous message (续行请缩进)",
    )
