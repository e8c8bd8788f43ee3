"""Tencent Cloud ASR 录音文件识别 (DescribeTaskStatus): `Response.Data.ResultDetail[]`, also the bare `Data` object.

Per sentence: FinalSentence, StartMs/EndMs, SpeakerId, SpeechSpeed (characters per second),
EmotionalEnergy, SilenceTime (ms of silence before the sentence), EmotionType (list of labels).
"""

from __future__ import annotations

from typing import Any

from .segment import AsrError, Segment, extras, number, records, speaker_id

NAME = "tencent"
_STATUS = {0: "waiting (等待中)", 1: "running (识别中)", 3: "failed (失败)"}


def _data(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return None
    response = obj.get("Response")
    if isinstance(response, dict):
        if isinstance(response.get("Error"), dict):
            err = response["Error"]
            raise AsrError(f"Tencent API error (接口报错): {err.get('Code')} {err.get('Message')}")
        return response.get("Data")
    if isinstance(obj.get("Data"), dict):
        return obj["Data"]
    return obj if "ResultDetail" in obj else None


def matches(obj: Any) -> bool:
    """True for a Tencent result (Response/Data wrappers or the bare Data object)."""
    if not isinstance(obj, dict):
        return False
    if isinstance(obj.get("Response"), dict):
        return True
    data = obj.get("Data")
    if not isinstance(data, dict):
        data = obj
    return "ResultDetail" in data


def parse(obj: Any) -> list[Segment]:
    """The sentences of a Tencent result; AsrError for an API error, an unfinished or failed task."""
    data = _data(obj)
    if not isinstance(data, dict):
        raise AsrError("Tencent result without Data (缺少Data)")
    status = data.get("Status")
    if status in _STATUS:
        raise AsrError(f"Tencent task {_STATUS[status]}: {data.get('ErrorMsg') or data.get('StatusStr') or ''}".strip())
    detail = data.get("ResultDetail")
    if detail is None:
        raise AsrError("Tencent result without ResultDetail (缺少ResultDetail; request with ResTextFormat >= 1)")
    out = []
    for i, s in enumerate(records(detail, "ResultDetail")):
        where = f"ResultDetail[{i}]"
        text = s.get("FinalSentence")
        if not isinstance(text, str):
            raise AsrError(f"{where}: missing FinalSentence (缺少文本)")
        silence = number(s.get("SilenceTime"), "SilenceTime", where)
        emotion = s.get("EmotionType")
        out.append(
            Segment(
                text=text,
                start_ms=number(s.get("StartMs"), "StartMs", where),
                end_ms=number(s.get("EndMs"), "EndMs", where),
                speaker=speaker_id(s.get("SpeakerId")),
                extras=extras(
                    speech_rate=number(s.get("SpeechSpeed"), "SpeechSpeed", where),
                    emotion_energy=number(s.get("EmotionalEnergy"), "EmotionalEnergy", where),
                    silence=silence / 1000 if silence is not None else None,
                    emotion=",".join(map(str, emotion)) if isinstance(emotion, list) and emotion else None,
                ),
            )
        )
    return out
