"""Hostile inputs to the readers: nothing is lost silently (read = audited + quarantined)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.model import Conversation, Rejected
from qa_audit.readers import read_inputs


def _split(items: list) -> tuple[list[Conversation], list[Rejected]]:
    return [i for i in items if isinstance(i, Conversation)], [i for i in items if isinstance(i, Rejected)]


def test_unterminated_quote_quarantines_its_record_and_reads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('会话ID,角色,内容\nC1,客户,"开头引号\nC2,客户,你好\nC2,客服,您好\nC3,客户,你好\n', encoding="utf-8")
    convs, bad = _split(list(read_inputs([path])))
    assert [c.conversation_id for c in convs] == ["C2", "C3"]
    assert [t.text for t in convs[0].turns] == ["你好", "您好"]
    assert len(bad) == 1 and bad[0].line == 2 and "quote" in bad[0].reason and bad[0].record_id == "C1"


def test_unterminated_quote_in_a_tsv_and_a_legit_multiline_cell(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    rows = ["会话ID\t角色\t内容", 'C1\t客户\t"两行\n的内容"', "C1\t客服\t您好", 'C2\t客户\t"坏', "C3\t客户\t你好"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    convs, bad = _split(list(read_inputs([path])))
    assert [c.conversation_id for c in convs] == ["C1", "C3"]
    assert convs[0].turns[0].text == "两行\n的内容"
    assert [(b.line, b.record_id) for b in bad] == [(4, "C2")]  # row 4 (rows count records)...
    assert "line 5" in bad[0].reason  # ...and the physical line is named too


def test_bad_row_rejects_its_whole_conversation_not_only_the_row(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('会话ID,角色,内容\nC1,客服,您好\nC1,客户,"坏\nC2,客户,你好\n', encoding="utf-8")
    convs, bad = _split(list(read_inputs([path])))
    assert [c.conversation_id for c in convs] == ["C2"]  # C1 is not audited with a turn missing
    assert [(b.line, b.record_id) for b in bad] == [(2, "C1")] and "row 3" in bad[0].reason


def test_cli_counts_add_up_for_the_unterminated_quote(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('会话ID,角色,内容\nC1,客户,"开头引号\nC2,客户,你好\nC2,客服,您好\nC3,客户,你好\n', encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(path), "-o", str(out), "-q", "--workers", "1"])
    assert res.exit_code == 1, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["read"], summary["audited"], summary["quarantined"]) == (3, 2, 1)


def test_utf8_line_in_a_gbk_file_is_never_read_as_mojibake(tmp_path: Path) -> None:
    lines = ["会话ID,角色,内容", "C1,客服,您好，请问有什么可以帮您", "C1,客户,我的快递三天没动了"]
    utf8_line = "C2,客服,你这个问题我不管"
    data = b"".join(ln.encode("gbk") + b"\n" for ln in lines) + utf8_line.encode("utf-8") + b"\n"
    data += "C3,客户,谢谢你们的帮助\n".encode("gbk")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    convs, bad = _split(list(read_inputs([path])))
    texts = [t.text for c in convs for t in c.turns]
    assert "你这个问题我不管" not in texts  # not scored...
    assert not any("浣" in t or "犺" in t for t in texts)  # ...and no mojibake of it either
    assert [c.conversation_id for c in convs] == ["C1", "C3"]
    assert [(b.line, b.record_id) for b in bad] == [(4, "C2")]
    assert "UTF-8" in bad[0].reason and "你这个问题我不管" in bad[0].raw  # shown readable, as written


def test_utf8_line_in_a_gbk_text_transcript_is_quarantined(tmp_path: Path) -> None:
    head = "客服：您好，请问有什么可以帮您？\n客户：我的快递三天没动了\n".encode("gbk")
    path = tmp_path / "call.txt"
    path.write_bytes(head * 3 + "客服：你这个问题我不管\n".encode())
    items = list(read_inputs([path], encoding="gbk"))
    assert len(items) == 1 and isinstance(items[0], Rejected) and "UTF-8" in items[0].reason
    assert items[0].line is not None


@pytest.mark.parametrize("encoding", [None, "gb18030", "gbk"])
def test_a_utf8_line_over_a_megabyte_in_a_gb_file_is_not_read_as_mojibake(tmp_path: Path, encoding: str) -> None:
    """Lines over 1 MB are decoded as they stream (not held); the UTF-8 check must still see them."""
    good = {"conversation_id": "G1", "turns": [{"role": "agent", "text": "您好，请问有什么可以帮您"}]}
    long = {"conversation_id": "U1", "turns": [{"role": "agent", "text": "你这个问题我不管，" * 70_000}]}
    data = (json.dumps(good, ensure_ascii=False) + "\n").encode("gbk")
    data += (json.dumps(long, ensure_ascii=False) + "\n").encode("utf-8")  # 1.9 MB
    data += (json.dumps(dict(good, conversation_id="G2"), ensure_ascii=False) + "\n").encode("gbk")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(data)
    convs, bad = _split(list(read_inputs([path], encoding=encoding)))
    assert [c.conversation_id for c in convs] == ["G1", "G2"]
    assert [b.line for b in bad] == [2] and "UTF-8" in bad[0].reason
    assert bad[0].raw.startswith('{"conversation_id": "U1"') and "你这个问题我不管" in bad[0].raw  # readable


def test_a_bad_byte_before_a_line_break_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    # GB18030's decoder reported b"\x80" + "0\n" as one bad sequence, so the newline went into the
    # error mark and two records became one (found by hypothesis in test_readers_props).
    good = json.dumps({"conversation_id": "G2", "turns": [{"role": "agent", "text": "您好"}]}, ensure_ascii=False)
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\x800\n" + good.encode("gb18030") + b"\n")
    for encoding in ("gb18030", "gbk"):
        items = list(read_inputs([path], encoding=encoding))
        assert [(i.line, type(i).__name__) for i in items] == [(1, "Rejected"), (2, "Conversation")], encoding


def test_a_utf8_file_with_as_many_damaged_lines_as_good_ones_is_read_as_utf8(tmp_path: Path) -> None:
    """Lines that are valid UTF-8 are strong evidence of the file's encoding (GB text hardly ever is), so the
    damaged lines are quarantined one by one instead of the whole file being guessed into another
    codec, which read the good lines as mojibake and audited them."""
    texts = ["您好", "请稍等"]
    good = [{"conversation_id": f"G{i}", "turns": [{"role": "agent", "text": t}]} for i, t in enumerate(texts)]
    data = b'{"conversation_id": "B1", "turns": [{"role": "agent", "text": "\xff\xfe bad"}]}\n'
    data += (json.dumps(good[0], ensure_ascii=False) + "\n").encode("utf-8")
    cut = json.dumps({"conversation_id": "B2", "turns": [{"role": "agent", "text": "好的"}]}, ensure_ascii=False)
    data += cut.encode("utf-8").replace("的".encode(), "的".encode()[:2]) + b"\n"  # a character cut short
    data += (json.dumps(good[1], ensure_ascii=False) + "\n").encode("utf-8")
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(data)
    convs, bad = _split(list(read_inputs([path])))
    assert [(c.conversation_id, c.turns[0].text) for c in convs] == [("G0", "您好"), ("G1", "请稍等")]
    assert [(b.line, b.record_id) for b in bad] == [(1, "B1"), (3, "B2")]
    assert all("undecodable" in b.reason and "utf-8" in b.reason for b in bad)
