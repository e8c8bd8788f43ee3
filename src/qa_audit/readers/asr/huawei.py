"""Huawei Cloud SIS 录音文件识别: `segments[]` with start_time/end_time (ms) and `result.text`.

`result.analysis_info` (when analysis was asked for) gives `role` (AGENT / USER for call audio,
speaker1..speaker10 for mono meeting audio), `emotion` (NORMAL / ANGRY / UNKNOWN) and `speed`
(characters per second).
"""

from __future__ import annotations

from typing import Any

from .segment import AsrError, Segment, extras, number, records

NAME = "huawei"
_ROLES = {"AGENT": "agent", "USER": "customer", "CUSTOMER": "customer"}


def matches(obj: Any) -> bool:
    """True for a Huawei SIS result (`segments`, or a status of WAITING/FINISHED/ERROR with a job id)."""
    if not isinstance(obj, dict):
        return False
    return isinstance(obj.get("segments"), list) or (
        obj.get("status") in ("WAITING", "FINISHED", "ERROR") and ("job_id" in obj or "create_time" in obj)
    )


def parse(obj: Any) -> list[Segment]:
    """The sentences of a Huawei result; AsrError for an unfinished or failed job."""
    status = obj.get("status")
    if status in ("WAITING", "ERROR"):
        detail = obj.get("error_msg") or obj.get("error_code") or ""
        raise AsrError(f"Huawei SIS job status {status} (识别未完成或失败) {detail}".strip())
    out = []
    for i, s in enumerate(records(obj.get("segments"), "segments")):
        where = f"segments[{i}]"
        result = s.get("result")
        if not isinstance(result, dict):
            continue  # the documented shape of a sentence that failed: no result, nothing to audit
        text = result.get("text")
        if not isinstance(text, str):
            raise AsrError(f"{where}: missing result.text (缺少文本)")
        info = result.get("analysis_info")
        if not isinstance(info, dict):
            info = {}
        role = str(info.get("role") or "").strip()
        emotion = info.get("emotion")
        out.append(
            Segment(
                text=text,
                start_ms=number(s.get("start_time"), "start_time", where),
                end_ms=number(s.get("end_time"), "end_time", where),
                speaker=role or None,
                role=_ROLES.get(role.upper()),
                extras=extras(
                    speech_rate=number(info.get("speed"), "speed", where),
                    emotion=str(emotion).lower() if emotion else None,
                ),
            )
        )
    return out
