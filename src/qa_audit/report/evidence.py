"""A finding's evidence as one readable Chinese sentence, and what a missing behaviour should have been.

The evidence JSON stays in findings.jsonl; the workbook shows these sentences. Turn numbers in the
sentences count from 1, as the workbook does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qa_audit.evidence import evidence_json
from qa_audit.model import Finding, RuleInfo, Turn
from qa_audit.report.labels import ROLE

_COUNT = "零一两三四五六七八九十"
METRIC = {
    "talk_share": "坐席说话占比",
    "speech_rate": "坐席语速",
    "first_response": "首次响应用时",
    "silence_gap": "客户等待",
    "overlap": "抢话重叠",
    "emotion_energy": "情绪能量",
    "angry_turns": "愤怒情绪轮数",
}
UNIT = {"seconds": "秒", "characters per second": "字/秒", "characters": "", "": ""}
EXCEPTION = {"unless": "例外词", "unless_before": "前置例外词", "quoted": "引用原话", "negated": "否定"}


def _n(k: int) -> str:
    return _COUNT[k] if 0 <= k < len(_COUNT) else str(k)


def turns_text(indexes: Sequence[int]) -> str:
    """Return 0-based turn indexes as 第 1、3 轮."""
    return "第 " + "、".join(str(i + 1) for i in indexes) + " 轮" if indexes else ""


def where_text(searched: Sequence[int], role_turns: Sequence[int], role: str) -> str:
    """Describe the searched turns the way a supervisor would: 坐席前两句 / 坐席最后两句 / 第 2、4 轮."""
    who = ROLE.get(role, role or "")
    searched, role_turns = list(searched), list(role_turns)
    k = len(searched)
    if not k:
        return who
    if searched == role_turns:
        return f"{who}全部 {k} 句" if k > 1 else f"{who}唯一一句"
    if searched == role_turns[:k]:
        return f"{who}{'第一句' if k == 1 else '前' + _n(k) + '句'}"
    if searched == role_turns[-k:]:
        return f"{who}{'最后一句' if k == 1 else '最后' + _n(k) + '句'}"
    return f"{who}{turns_text(searched)}"


def _quote(text: Any, limit: int = 40) -> str:
    text = str(text)
    return f"「{text if len(text) <= limit else text[: limit - 1] + '…'}」"


def _hit(ev: Mapping[str, Any], match: str) -> str:
    op, matched = ev.get("operator"), ev.get("matched", "")
    said = ev.get("variant") or match or matched
    if op == "similar":
        return f"与范例{_quote(matched)}相似度 {float(ev.get('score') or 0):.2f}（原话{_quote(said)}）"
    if op == "fuzzy":
        return f"近似命中{_quote(matched)}（原话{_quote(said)}）"
    if op == "learned":
        because = f"，主要依据 {ev['variant']}" if ev.get("variant") else ""
        return f"模型 {matched} 判断整句疑似违规（概率 {float(ev.get('score') or 0):.2f}）{because}"
    if op == "regex":
        name = ev.get("pattern_name") or ev.get("name")
        return f"命中句式{('「' + str(name) + '」') if name else ''}{_quote(said)}"
    if op is None and not said:
        return ""
    return f"命中{_quote(said or matched)}"


def _exceptions(ev: Mapping[str, Any]) -> str:
    # a `nearby` entry with found: false records a check that excused nothing
    dropped = [
        d for d in ev.get("exceptions_considered") or () if isinstance(d, Mapping) and d.get("found", True) is not False
    ]
    if not dropped:
        return ""
    kinds = "、".join(dict.fromkeys(EXCEPTION.get(str(d.get("exception")), str(d.get("exception"))) for d in dropped))
    return f"；另有 {len(dropped)} 处因{kinds}未计"


def _bound(ev: Mapping[str, Any], unit: str, pct: bool) -> str:
    def fmt(v: Any) -> str:
        return f"{float(v) * 100:.0f}%" if pct else f"{float(v):g}{unit}"

    lo, hi = ev.get("min"), ev.get("max")
    if lo is not None and hi is not None:
        return f"{fmt(lo)}–{fmt(hi)}"
    if hi is not None:
        return f"≤ {fmt(hi)}"
    return f"≥ {fmt(lo)}" if lo is not None else ""


def _metric(ev: Mapping[str, Any], f: Finding) -> str:
    name = str(ev.get("metric", ""))
    pct = name == "talk_share" or "numerator" in ev
    unit = UNIT.get(str(ev.get("unit", "")), str(ev.get("unit", "")))
    value = ev.get("value")
    shown = f"{float(value) * 100:.0f}%" if pct and value is not None else f"{value}{unit}"
    label = METRIC.get(name, "比例" if "numerator" in ev else name or "测量值")
    extra = ""
    if name == "overlap" and ev.get("interrupted_turn") is not None:
        extra = f"（打断客户第 {int(ev['interrupted_turn']) + 1} 轮）"
    elif name == "silence_gap" and f.turn_index is not None:
        extra = f"（第 {f.turn_index + 1} 轮后坐席未安抚）"
    elif "numerator" in ev:
        extra = f"（{ev.get('numerator')}/{ev.get('denominator')}）"
    bound = _bound(ev, unit, pct)
    return f"{label} {shown}{extra}" + (f"，标准 {bound}" if bound else "")


def missing_text(f: Finding, info: RuleInfo | None, turns: Sequence[Turn], ev: Mapping[str, Any] | None = None) -> str:
    """Say what was expected and where, for a finding about something that was never said (`ev`: its evidence JSON)."""
    ev = evidence_json(f.evidence) if ev is None else ev
    searched = [int(i) for i in ev.get("searched_turns") or ()]
    role = f.role or "agent"
    role_turns = [t.index for t in turns if t.role == role]
    what = info.title if info and info.title else f.rule_id
    return f"{where_text(searched, role_turns, role)}缺少「{what}」"


def evidence_sentence(
    f: Finding, info: RuleInfo | None, turns: Sequence[Turn], ev: Mapping[str, Any] | None = None
) -> str:
    """Return one Chinese sentence saying what decided `f` (never JSON); `ev`: its evidence JSON, if made already."""
    ev = evidence_json(f.evidence) if ev is None else ev
    kind = ev.get("kind")
    if kind == "require":
        text = f"{turns_text([int(i) for i in ev.get('searched_turns') or ()])}均未出现要求的说法"
        if ev.get("required_because_of_turn") is not None:
            text += f"（因第 {int(ev['required_because_of_turn']) + 1} 轮而需要）"
        return text + _exceptions(ev)
    if kind == "respond":
        who = ROLE.get(f.role or "", f.role or "")
        checked = [int(i) for i in ev.get("checked_turns") or ()]
        return f"{who}{_hit(ev, f.match)}后，{turns_text(checked)}未回应"
    if kind == "order":
        first = ev.get("first_found_at_turn")
        after = f"，应先说的话到第 {int(first) + 1} 轮才出现" if first is not None else ""
        return f"{_hit(ev, f.match)}{after}"
    if kind == "metric":
        return _metric(ev, f)
    if kind == "learned":
        grams = "、".join(f"「{g}」" for g in ev.get("features") or ())
        because = f"，主要依据 {grams}" if grams else ""
        prob = float(ev.get("probability", 0))
        return f"模型 {ev.get('model')} 判断为疑似不当用语（概率 {prob:.2f} ≥ {ev.get('min')}）{because}"
    hit = _hit(ev, f.match)
    if hit or kind == "forbid":
        return (hit or f.message) + _exceptions(ev)
    # an evidence shape this module does not know: its fields as words, never raw JSON
    rest = "；".join(f"{k}：{v}" for k, v in ev.items() if k != "kind")
    return rest or f.message
