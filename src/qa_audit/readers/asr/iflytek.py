"""iFLYTEK 录音文件转写: `lattice[].json_1best`, a JSON *string* per sentence.

Inside: `st.bg`/`st.ed` (ms, as strings), `st.rl` (role/speaker number, "0" without role separation)
and the words in `st.rt[].ws[].cw[0].w`. The lattice is found at the top level, in `orderResult`
(a JSON string or object) or in `content.orderResult` (the getResult response).
"""

from __future__ import annotations

import json
from typing import Any

from .segment import AsrError, Segment, number, records, speaker_id

NAME = "iflytek"


def _order(obj: dict[str, Any]) -> Any:
    content = obj.get("content")
    order = content.get("orderResult") if isinstance(content, dict) else obj.get("orderResult")
    if isinstance(order, str):
        try:
            order = json.loads(order)
        except (ValueError, RecursionError):
            raise AsrError("orderResult is not valid JSON (orderResult无法解析)") from None
    return order


def matches(obj: Any) -> bool:
    """True for an iFLYTEK result (lattice, orderResult, or content.orderResult)."""
    if not isinstance(obj, dict):
        return False
    content = obj.get("content")
    return "lattice" in obj or "orderResult" in obj or (isinstance(content, dict) and "orderResult" in content)


def parse(obj: Any) -> list[Segment]:
    """The sentences of an iFLYTEK result; AsrError for a failed order or a malformed json_1best."""
    code = obj.get("code")
    if code is not None and str(code) != "000000":
        raise AsrError(f"iFLYTEK error {code} (转写失败): {obj.get('descInfo') or ''}".strip())
    lattice = obj.get("lattice")
    if lattice is None:
        order = _order(obj)
        lattice = order.get("lattice") if isinstance(order, dict) else None
    if lattice is None:
        raise AsrError("iFLYTEK result without lattice (缺少lattice; the order may not be finished)")
    out = []
    for i, item in enumerate(records(lattice, "lattice")):
        where = f"lattice[{i}]"
        best = item.get("json_1best")
        if isinstance(best, str):
            try:
                best = json.loads(best)
            except (ValueError, RecursionError):
                raise AsrError(f"{where}.json_1best is not valid JSON (无法解析)") from None
        st = best.get("st") if isinstance(best, dict) else None
        if not isinstance(st, dict):
            raise AsrError(f"{where}.json_1best has no st object (缺少st)")
        out.append(
            Segment(
                text=_words(st, where),
                start_ms=number(st.get("bg"), "st.bg", where),
                end_ms=number(st.get("ed"), "st.ed", where),
                speaker=speaker_id(st.get("rl")),
            )
        )
    return out


def _words(st: dict[str, Any], where: str) -> str:
    words = []
    for rt in records(st.get("rt") or [], f"{where}.st.rt"):
        for ws in records(rt.get("ws") or [], f"{where}.st.rt[].ws"):
            cw = records(ws.get("cw") or [], f"{where}.st.rt[].ws[].cw")
            if cw and isinstance(cw[0].get("w"), str):
                words.append(cw[0]["w"])
    return "".join(words)
