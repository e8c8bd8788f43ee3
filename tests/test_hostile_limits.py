"""Size limits of a turn's text (a cell) and of the turns per conversation: beyond each, that record is
quarantined naming the limit and its environment variable, and the rest of the file is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_audit.model import Rejected
from qa_audit.readers import read_inputs


def _read(path: Path) -> tuple[list, list[Rejected]]:
    items = list(read_inputs([path]))
    return [i for i in items if not isinstance(i, Rejected)], [i for i in items if isinstance(i, Rejected)]


def _turns(n: int, text: str = "您好") -> list[dict]:
    return [{"role": ("agent", "customer")[i % 2], "text": text} for i in range(n)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_turn_text_over_the_cell_limit_quarantines_its_conversation(tmp_path, monkeypatch, fmt) -> None:
    monkeypatch.setenv("QA_AUDIT_MAX_TURN_CHARS", "1000")
    convs = {"BIG": _turns(3, "好" * 1001), "OK": _turns(3, "好" * 1000)}
    path = tmp_path / f"in.{fmt}"
    if fmt == "jsonl":
        rows = [json.dumps({"conversation_id": k, "turns": v}, ensure_ascii=False) for k, v in convs.items()]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    else:
        rows = [f"{k},{'客服' if t['role'] == 'agent' else '客户'},{t['text']}" for k, v in convs.items() for t in v]
        path.write_text("会话ID,角色,内容\n" + "\n".join(rows) + "\n", encoding="utf-8")
    good, bad = _read(path)
    assert [c.conversation_id for c in good] == ["OK"]
    (rej,) = bad
    assert rej.record_id == "BIG" and "1000" in rej.reason and "QA_AUDIT_MAX_TURN_CHARS" in rej.reason


def test_a_conversation_over_the_turn_limit_is_quarantined(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("QA_AUDIT_MAX_TURNS", "50")
    path = tmp_path / "in.jsonl"
    rows = [{"conversation_id": "LONG", "turns": _turns(51)}, {"conversation_id": "OK", "turns": _turns(50)}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    good, bad = _read(path)
    assert [c.conversation_id for c in good] == ["OK"]
    (rej,) = bad
    assert rej.record_id == "LONG" and "51" in rej.reason and "QA_AUDIT_MAX_TURNS" in rej.reason


def test_the_defaults_keep_long_real_conversations() -> None:
    from qa_audit.readers.limits import MAX_TURN_CHARS, MAX_TURNS

    assert MAX_TURN_CHARS.value() >= 100_000 and MAX_TURNS.value() >= 5_000
