"""Alibaba Cloud 录音文件识别 (file transcription): `Result.Sentences[]`, the bare `Sentences` list, lower-camel keys.

Per sentence: BeginTime/EndTime (ms), ChannelId (or SpeakerId with speaker diarisation), Text,
SpeechRate (characters per minute), EmotionValue (energy 1-10), SilenceDuration (seconds of silence
before the sentence).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .segment import AsrError, Segment, extras, number, pick, records, speaker_id

NAME = "alibaba"


def _sentences(obj: Any) -> Any:
    if isinstance(obj, list):
        return obj
    if not isinstance(obj, dict):
        return None
    result = pick(obj, "Result")
    if isinstance(result, dict) and pick(result, "Sentences") is not None:
        return pick(result, "Sentences")
    return pick(obj, "Sentences")


def matches(obj: Any) -> bool:
    """True for an Alibaba result (also a failed task: StatusText without Result)."""
    if isinstance(obj, list):
        return bool(obj) and isinstance(obj[0], dict) and pick(obj[0], "BeginTime") is not None
    if not isinstance(obj, dict):
        return False
    return _sentences(obj) is not None or ("StatusText" in obj and "TaskId" in obj)


def parse(obj: Any) -> list[Segment]:
    """The sentences of an Alibaba result; AsrError for a failed task or a malformed sentence."""
    sentences = _sentences(obj)
    if sentences is None:
        status = obj.get("StatusText") if isinstance(obj, dict) else None
        raise AsrError(f"Alibaba task did not succeed (识别任务未成功): StatusText {status!r}, no Result.Sentences")
    out = []
    for i, s in enumerate(records(sentences, "Sentences")):
        where = f"Sentences[{i}]"
        text = pick(s, "Text")
        if not isinstance(text, str):
            raise AsrError(f"{where}: missing Text (缺少文本)")
        rate = number(pick(s, "SpeechRate"), "SpeechRate", where)
        out.append(
            Segment(
                text=text,
                start_ms=number(pick(s, "BeginTime"), "BeginTime", where),
                end_ms=number(pick(s, "EndTime"), "EndTime", where),
                speaker=speaker_id(_speaker(s)),
                extras=extras(
                    speech_rate=round(rate / 60, 2) if rate is not None else None,
                    emotion_energy=number(pick(s, "EmotionValue"), "EmotionValue", where),
                    silence=number(pick(s, "SilenceDuration"), "SilenceDuration", where),
                ),
            )
        )
    return out


def _speaker(s: Mapping[str, Any]) -> Any:
    spk = pick(s, "SpeakerId")
    return spk if spk not in (None, "") else pick(s, "ChannelId")
