"""Read the JSON that Chinese cloud speech services return for a recorded call (one file = one call).

The vendor is told from the file's shape (`FORMATS`), or forced. Sentences become turns with
start/end seconds; each turn keeps its speaker id and the vendor's per-turn values (`Turn.extras`).
Roles come from the vendor (Huawei AGENT/USER), else from `--speaker-map`, else they are inferred
from what each speaker says (`roles_infer`), with a confidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...model import Conversation, Rejected, Roles, Turn
from ...roles_infer import MIN_CONFIDENCE, infer_roles
from ..build import reject
from ..encoding import detect_encoding, has_bad_chars, open_text
from . import alibaba, huawei, iflytek, tencent
from .segment import AsrError, Segment
from .speakers import SpeakerMap, parse_speaker_map

__all__ = ["FORMATS", "SpeakerMap", "looks_like_asr", "parse_speaker_map", "read_asr"]

# detection order: the most specific shapes first
_VENDORS = {m.NAME: m for m in (iflytek, tencent, huawei, alibaba)}
FORMATS = tuple(_VENDORS)
MAX_BYTES = 32 << 20  # one call's result is well under 1 MB; bigger is not a single call
HEAD_BYTES = 64 << 10
# a key, not the same word quoted inside a string value (\"segments\": in a chat message)
_ASR_KEYS = re.compile(
    rb'(?<!\\)"(Sentences|sentences|ResultDetail|segments|lattice|orderResult|json_1best|BeginTime)"\s*:'
)


def looks_like_asr(path: Path) -> bool:
    """True when the first 64 KB of a .json file mention keys of a vendor's result."""
    try:
        with path.open("rb") as f:
            return _ASR_KEYS.search(f.read(HEAD_BYTES)) is not None
    except OSError:
        return False


def detect(obj: Any) -> str | None:
    """The vendor whose result shape `obj` has, or None."""
    return next((name for name, mod in _VENDORS.items() if mod.matches(obj)), None)


def read_asr(
    path: Path, source: str, encoding: str | None, speakers: SpeakerMap, vendor: str | None = None
) -> Iterator[Conversation | Rejected]:
    """Yield the one Conversation of an ASR result file, or one Rejected saying why it cannot be used."""
    yield _read(path, source, encoding, speakers, vendor)


def _read(path: Path, source: str, encoding: str | None, speakers: SpeakerMap, vendor: str | None) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return reject(
                source,
                None,
                f"ASR result file of {size / 2**20:.0f} MB is over the {MAX_BYTES >> 20} MB limit for one call "
                "(识别结果文件过大; split it into one file per call)",
            )
        enc = encoding or detect_encoding(path)
        with open_text(path, enc) as stream:
            text = stream.read()
    except OSError as exc:
        return reject(source, None, f"cannot read file (无法读取文件): {exc}")
    if has_bad_chars(text):
        return reject(source, None, f"undecodable bytes or NUL (无法解码的字节) (read as {enc})", raw=text[:2000])
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return reject(
            source,
            exc.lineno,
            f"truncated or invalid ASR result JSON (识别结果不完整或无法解析): {exc.msg} "
            f"at line {exc.lineno} col {exc.colno}",
            raw=text[-2000:],
        )
    except (ValueError, RecursionError) as exc:
        return reject(source, None, f"invalid ASR result JSON (无法解析): {exc}", raw=text[:2000])
    name = vendor or detect(obj)
    cid = _file_id(obj) or path.stem
    if name is None:
        keys = sorted(obj)[:8] if isinstance(obj, dict) else type(obj).__name__
        return reject(
            source,
            None,
            "not a known ASR result shape (未知的识别结果格式): expected Alibaba Sentences, Tencent ResultDetail, "
            f"Huawei segments or iFLYTEK lattice; found {keys}",
            cid,
            text[:2000],
        )
    try:
        segments = _VENDORS[name].parse(obj)
    except AsrError as exc:
        return reject(source, None, f"{name}: {exc}", cid, text[:2000])
    except (AttributeError, TypeError) as exc:  # a forced format on another vendor's shape
        return reject(source, None, f"{name}: not this vendor's shape (格式不符): {exc}", cid, text[:2000])
    return _conversation(cid, segments, name, source, speakers) or reject(
        source, None, f"{name}: no recognised speech (没有识别出文本)", cid, text[:2000]
    )


def _file_id(obj: Any) -> str | None:
    if isinstance(obj, dict):
        for key in ("conversation_id", "call_id", "callId", "CallId"):
            value = obj.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()
    return None


def _conversation(
    cid: str, segments: list[Segment], vendor: str, source: str, speakers: SpeakerMap
) -> Conversation | None:
    spoken = sorted(
        (s for s in segments if s.text.strip()),
        key=lambda s: s.start_ms if s.start_ms is not None else float("inf"),
    )
    if not spoken:
        return None
    role_of, roles = _roles(spoken, speakers.for_vendor(vendor))
    turns = []
    for i, s in enumerate(spoken):
        start = s.start_ms / 1000 if s.start_ms is not None else None
        end = s.end_ms / 1000 if s.end_ms is not None else None
        if start is not None and end is not None and end < start:
            end = start
        turns.append(
            Turn(
                index=i,
                role=s.role or role_of.get(s.speaker or "", "customer"),
                text=s.text.replace("\r", ""),
                start=start,
                end=end,
                speaker=s.speaker,
                extras=dict(s.extras),
            )
        )
    return Conversation(cid, tuple(turns), channel="call", source=source, roles=roles)


def _roles(segments: list[Segment], mapping: Any) -> tuple[dict[str, str], Roles]:
    """Speaker -> role and how it was decided: vendor roles, the map, or inference."""
    if all(s.role for s in segments):
        return {}, Roles("given", 1.0, evidence="roles stated by the ASR vendor")
    ids = {s.speaker or "" for s in segments}
    if mapping and ids <= set(mapping):
        return dict(mapping), Roles("mapped", 1.0, evidence="--speaker-map")
    texts: dict[str, list[str]] = {}
    for s in segments:
        texts.setdefault(s.speaker or "", []).append(s.text)
    role_of, confidence, why = infer_roles(texts)
    if mapping:
        why = f"speaker(s) {sorted(ids - set(mapping))} not in --speaker-map; {why}"
    return role_of, Roles("inferred", confidence, usable=confidence >= MIN_CONFIDENCE, evidence=why)
