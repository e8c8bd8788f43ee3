"""Readers: plain-text transcripts (`客服：…` lines, stamps, `#@` directives)."""

from __future__ import annotations

from pathlib import Path

from qa_audit.model import Conversation, Rejected
from qa_audit.readers import read_inputs


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_file_without_directives_is_one_conversation_named_after_the_file(tmp_path):
    path = write(
        tmp_path / "通话0001.txt", "\n客服：您好，请问有什么可以帮您？\r\n客户:我的快递\n  三天没动了\n\n坐席 ： 好的\n"
    )
    [c] = read_inputs([path])
    assert (c.conversation_id, c.line, c.source) == ("通话0001", 2, str(path))
    assert [(t.role, t.text) for t in c.turns] == [
        ("agent", "您好，请问有什么可以帮您？"),
        ("customer", "我的快递\n三天没动了"),
        ("agent", "好的"),
    ]
    assert not c.has_timing


def test_stamps_give_start_ranges_give_end_datetimes_give_ts(tmp_path):
    text = (
        "[00:00:01] 客服：您好\n[01:05.5] 客户：喂\n【00:01:10-00:01:14】agent：请讲\n[2026-11-21 09:12:05] 用户：好\n"
    )
    [c] = read_inputs([write(tmp_path / "a.txt", text)])
    assert [(t.start, t.end, t.ts) for t in c.turns] == [
        (1.0, None, None),
        (65.5, None, None),
        (70.0, 74.0, None),
        (None, None, "2026-11-21T09:12:05"),
    ]
    assert c.has_timing


def test_directives_split_conversations_and_set_metadata_and_annotations(tmp_path):
    text = (
        "#@ channel: 电话\n"
        "#@ team: 售后一组\n"
        "\n"
        "#@ conversation_id: C1\n"
        "#@ agent_id: A023\n"
        "#@ agent_name: 王丽\n"
        "#@ started_at: 2026-11-21T09:12:00+08:00\n"
        "#@ expect: must.goodbye、must.anything_else\n"
        "客服：你好\n"
        "#@ turn.expect: must.nin\n"
        "客户：我要投诉\n"
        "#@ turn.ok: dont.harsh\n"
        "#@ conversation_id: C2\n"
        "#@ team: 售后二组\n"
        "#@ ok: must.greeting\n"
        "客服：您好\n"
    )
    c1, c2 = read_inputs([write(tmp_path / "a.txt", text)])
    assert (c1.conversation_id, c1.line, c1.channel, c1.team, c1.agent_id, c1.agent_name) == (
        "C1",
        4,
        "call",
        "售后一组",
        "A023",
        "王丽",
    )
    assert c1.started_at == "2026-11-21T09:12:00+08:00"
    assert c1.expect == ("must.goodbye", "must.anything_else")
    assert (c1.turns[0].expect, c1.turns[1].ok) == (("must.nin",), ("dont.harsh",))
    assert (c2.conversation_id, c2.line, c2.channel, c2.team, c2.agent_id, c2.ok) == (
        "C2",
        13,
        "call",
        "售后二组",
        None,
        ("must.greeting",),
    )


def test_turns_before_the_first_conversation_id_form_a_conversation_named_after_the_file(tmp_path):
    text = "客服：您好\n#@ conversation_id: B\n客户：在吗\n"
    a, b = read_inputs([write(tmp_path / "day.txt", text)])
    assert (a.conversation_id, a.line, b.conversation_id, b.line) == ("day", 1, "B", 2)


def test_problems_reject_only_their_conversation_with_the_line(tmp_path):
    text = (
        "#@ conversation_id: OK1\n"  # 1
        "客服：您好\n"  # 2
        "#@ conversation_id: ROLE\n"  # 3
        "客服：您好\n"  # 4
        "地址：北京市\n"  # 5
        "#@ conversation_id: DIR\n"  # 6
        "#@ agentid: A1\n"  # 7
        "客服：x\n"  # 8
        "#@ conversation_id: STAMP\n"  # 9
        "[1:2:3:4] 客服：x\n"  # 10
        "#@ conversation_id: TURNEXP\n"  # 11
        "#@ turn.expect: must.nin\n"  # 12
        "#@ conversation_id: EMPTY\n"  # 13
        "#@ conversation_id: BEFORE\n"  # 14
        "你好啊\n"  # 15
        "#@ conversation_id: CHANNEL\n"  # 16
        "#@ channel: 邮件\n"  # 17
        "客服：x\n"  # 18
        "#@ conversation_id: OK2\n"  # 19
        "客户：好\n"  # 20
        "  地址：北京市\n"  # 21
    )
    items = list(read_inputs([write(tmp_path / "a.txt", text)]))
    assert [(type(i).__name__, i.line, getattr(i, "conversation_id", None) or i.record_id) for i in items] == [
        ("Conversation", 1, "OK1"),
        ("Rejected", 3, "ROLE"),
        ("Rejected", 6, "DIR"),
        ("Rejected", 9, "STAMP"),
        ("Rejected", 11, "TURNEXP"),
        ("Rejected", 13, "EMPTY"),
        ("Rejected", 14, "BEFORE"),
        ("Rejected", 16, "CHANNEL"),
        ("Conversation", 19, "OK2"),
    ]
    reasons = [i.reason for i in items if isinstance(i, Rejected)]
    assert "line 5: unknown role '地址'" in reasons[0] and "indent" in reasons[0]
    assert "line 7: unknown directive agentid" in reasons[1]
    assert "line 10: bad time stamp [1:2:3:4]" in reasons[2]
    assert "line 12: #@ turn.expect has no turn above" in reasons[3]
    assert "no turns" in reasons[4]
    assert "line 15: text before the first turn" in reasons[5]
    assert "unknown channel '邮件'" in reasons[6]
    assert items[-1].turns[0].text == "好\n地址：北京市"
    assert "地址：北京市" in items[1].raw


def test_gbk_text_and_one_undecodable_line(tmp_path):
    good = "#@ conversation_id: 甲\n客服：您好\n#@ conversation_id: 乙\n客户：坏\n#@ conversation_id: 丙\n客户：好\n"
    gbk = write(tmp_path / "gbk.txt", good, "gbk")
    assert [c.conversation_id for c in read_inputs([gbk])] == ["甲", "乙", "丙"]
    broken = tmp_path / "broken.txt"
    broken.write_bytes(good.encode().replace("坏".encode(), b"\xff\xfe"))
    a, b, c = read_inputs([broken])
    assert isinstance(a, Conversation) and isinstance(c, Conversation)
    assert isinstance(b, Rejected) and b.line == 3 and "undecodable bytes or NUL" in b.reason and "line 4" in b.reason


def test_utf8_bom_text(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "#@ conversation_id: X\n客服：您好\n".encode())
    [c] = read_inputs([path])
    assert c.conversation_id == "X"


def test_blank_file_holds_no_record_and_url_or_clock_lines_continue(tmp_path):
    assert list(read_inputs([write(tmp_path / "blank.txt", "\n  \n")])) == []
    [c] = read_inputs([write(tmp_path / "a.txt", "客户：链接\nhttps://example.com/x\n12:30 到\n")])
    assert c.turns[0].text == "链接\nhttps://example.com/x\n12:30 到"
