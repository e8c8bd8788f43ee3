"""Readers: CSV, TSV and XLSX with one row per turn."""

from __future__ import annotations

import csv
from datetime import datetime, time
from pathlib import Path

import openpyxl
import pytest

from qa_audit.model import Conversation, Rejected
from qa_audit.readers import ReadError, read_inputs

ZH_HEADER = ["会话ID", "角色", "内容", "开始(秒)", "结束(秒)", "坐席工号", "坐席姓名", "班组", "渠道"]
ZH_ROWS = [
    ["C1", "客服", "您好，请问有什么可以帮您？", "0", "2.4", "A023", "王丽", "售后一组", "电话"],
    ["C2", "客服", "您好", "0", "1", "A024", "张三", "售后二组", "在线"],
    ["C1", "客户", '我的快递\n三天没动了，"急"', "3", "6.5", "", "", "", ""],
    ["C2", "顾客", "在吗", "", "", "", "", "", ""],
    ["C1", "坐席", "好的，我帮您查一下", "7", "9", "", "", "", ""],
]


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def check_zh(items: list) -> None:
    c1, c2 = items
    assert (c1.conversation_id, c1.line, c1.agent_id, c1.agent_name, c1.team, c1.channel) == (
        "C1",
        2,
        "A023",
        "王丽",
        "售后一组",
        "call",
    )
    assert [t.role for t in c1.turns] == ["agent", "customer", "agent"]
    assert c1.turns[1].text == '我的快递\n三天没动了，"急"'
    assert [(t.start, t.end) for t in c1.turns] == [(0, 2.4), (3, 6.5), (7, 9)]
    assert (c2.conversation_id, c2.line, c2.channel, len(c2.turns)) == ("C2", 3, "chat", 2)
    assert c2.turns[1].start is None


def test_chinese_headers_group_rows_by_conversation_in_first_appearance_order(tmp_path):
    path = write_csv(tmp_path / "a.csv", [ZH_HEADER, *ZH_ROWS])
    check_zh(list(read_inputs([path])))


def test_gbk_csv_without_options_and_tsv(tmp_path):
    gbk = write_csv(tmp_path / "gbk.csv", [ZH_HEADER, *ZH_ROWS], encoding="gbk")
    check_zh(list(read_inputs([gbk])))
    tsv = write_csv(tmp_path / "a.tsv", [ZH_HEADER, *ZH_ROWS], encoding="utf-8-sig", delimiter="\t")
    check_zh(list(read_inputs([tsv])))


def test_semicolon_csv_is_sniffed(tmp_path):
    path = write_csv(tmp_path / "a.csv", [ZH_HEADER, *ZH_ROWS], delimiter=";")
    check_zh(list(read_inputs([path])))


def test_english_headers_timestamps_and_annotations(tmp_path):
    rows = [
        [
            "Conversation ID",
            "Speaker",
            "Message",
            "Time",
            "agent_id",
            "Team",
            "channel",
            "started_at",
            "expect",
            "ok",
            "conversation_expect",
            "conversation_ok",
        ],
        [
            "E1",
            "Agent",
            "你好",
            "2026-11-21 09:12:00",
            "A1",
            "T",
            "chat",
            "2026/11/21 09:11",
            "must.nin、must.greeting",
            "",
            "must.goodbye",
            "",
        ],
        [
            "E1",
            "customer",
            "hi",
            "2026-11-21T09:12:30+08:00",
            "",
            "",
            "",
            "",
            "",
            "dont.harsh",
            "",
            "must.anything_else, must.goodbye",
        ],
    ]
    [c] = read_inputs([write_csv(tmp_path / "a.csv", rows)])
    assert c.started_at == "2026-11-21T09:11:00"
    assert [t.ts for t in c.turns] == ["2026-11-21T09:12:00", "2026-11-21T09:12:30+08:00"]
    assert c.turns[0].expect == ("must.nin", "must.greeting") and c.turns[1].ok == ("dont.harsh",)
    assert c.expect == ("must.goodbye",) and c.ok == ("must.anything_else", "must.goodbye")
    assert c.has_timing


def test_column_override(tmp_path):
    rows = [["会话", "说话人", "话术", "坐席"], ["K1", "客服", "您好", "A7"]]
    path = write_csv(tmp_path / "a.csv", rows)
    [bad] = read_inputs([path])
    assert isinstance(bad, Rejected) and bad.line == 1 and bad.source == str(path)
    assert "missing required column(s) conversation_id, text" in bad.reason and "会话, 说话人, 话术, 坐席" in bad.reason
    [c] = read_inputs([path], columns={"会话": "conversation_id", "话术": "text", "坐席": "agent_id"})
    assert (c.conversation_id, c.agent_id, c.turns[0].role, c.turns[0].text) == ("K1", "A7", "agent", "您好")
    with pytest.raises(ReadError, match="unknown field 'agent'"):
        read_inputs([path], columns={"坐席": "agent"})


def test_override_wins_over_a_synonym(tmp_path):
    rows = [["会话ID", "角色", "内容", "工号", "坐席"], ["K1", "客服", "您好", "999", "A7"]]
    [c] = read_inputs([write_csv(tmp_path / "a.csv", rows)], columns={"坐席": "agent_id"})
    assert c.agent_id == "A7"


def test_row_level_problems_reject_their_conversation_and_name_the_row(tmp_path):
    rows = [
        ["会话ID", "角色", "内容", "开始(秒)"],
        ["G1", "客服", "您好", "0"],
        ["B1", "客服", "您好", "0"],
        ["", "客户", "orphan", ""],
        ["B1", "经理", "我来处理", "1"],
        [],
        ["B2", "客服", "x", "soon"],
        ["G1", "客户", "谢谢", "2"],
    ]
    items = list(read_inputs([write_csv(tmp_path / "a.csv", rows)]))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Conversation", 2),
        ("Rejected", 3),
        ("Rejected", 4),
        ("Rejected", 7),
    ]
    assert len(items[0].turns) == 2
    assert "row 5: unknown role '经理'" in items[1].reason and items[1].record_id == "B1"
    assert "row 4: missing conversation_id" in items[2].reason and "orphan" in items[2].raw
    assert "row 7: bad start" in items[3].reason


def test_undecodable_row_rejects_only_its_conversation(tmp_path):
    path = tmp_path / "a.csv"
    body = "会话ID,角色,内容\nA,客服,您好\nB,客服,坏\nC,客户,好的\n".encode()
    path.write_bytes(body.replace("坏".encode(), b"\xff\xfe") + b"D,agent,x\x00y\n")
    items = list(read_inputs([path]))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Conversation", 2),
        ("Rejected", 3),
        ("Conversation", 4),
        ("Rejected", 5),
    ]
    assert "undecodable" in items[1].reason and "\\xff\\xfe" in items[1].raw
    assert "undecodable" in items[3].reason and "\\x00" in items[3].raw


def test_title_rows_above_the_header_are_skipped(tmp_path):
    rows = [["2026年11月21日 会话明细"], [], ["会话ID", "角色", "内容"], ["T1", "客服", "您好"]]
    [c] = read_inputs([write_csv(tmp_path / "a.csv", rows)])
    assert (c.conversation_id, c.line) == ("T1", 4)


def test_xlsx_with_typed_cells_and_several_sheets(tmp_path):
    header = ["会话编号", "发言人", "聊天内容", "发送时间", "开始(秒)", "客服工号", "会话开始时间"]
    day1 = [
        header,
        [
            20261121001,
            "客服",
            "您好",
            datetime(2026, 11, 21, 9, 12, 5),
            time(0, 1, 2),
            1023.0,
            datetime(2026, 11, 21, 9, 12),
        ],
        [20261121001, "客户", 123, None, 70.5, None, None],
    ]
    notes = [["说明"], ["本表由系统导出"]]
    day2 = [header, ["X2", "user", "在吗", None, None, "A1", None]]
    path = write_xlsx(tmp_path / "a.xlsx", {"day1": day1, "说明": notes, "day2": day2})
    c1, c2 = read_inputs([path])
    assert (c1.conversation_id, c1.agent_id, c1.started_at, c1.line, c1.source) == (
        "20261121001",
        "1023",
        "2026-11-21T09:12:00",
        2,
        str(path),
    )
    assert c1.turns[0].ts == "2026-11-21T09:12:05" and c1.turns[0].start == 62
    assert (c1.turns[1].text, c1.turns[1].start) == ("123", 70.5)
    assert (c2.conversation_id, c2.turns[0].role) == ("X2", "customer")


def test_xlsx_errors_are_one_rejected_for_the_file(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    no_header = write_xlsx(tmp_path / "noheader.xlsx", {"S": [["名字", "电话"], ["张三", "000"]]})
    bad_row = write_xlsx(tmp_path / "row.xlsx", {"S": [["会话ID", "角色", "内容"], ["A", None, "hi"]]})
    a, b, c = read_inputs([broken, no_header, bad_row])
    assert (a.line, b.line, c.line) == (None, 1, 2)
    assert "cannot read Excel file" in a.reason
    assert "missing required column(s) conversation_id, role, text" in b.reason and "名字, 电话" in b.reason
    assert "row 2: missing role" in c.reason


def test_empty_tables_hold_no_records(tmp_path):
    empty_csv = tmp_path / "e.csv"
    empty_csv.write_text("")
    header_only = write_csv(tmp_path / "h.csv", [["会话ID", "角色", "内容"]])
    empty_xlsx = write_xlsx(tmp_path / "e.xlsx", {"S": []})
    assert list(read_inputs([empty_csv, header_only, empty_xlsx])) == []


def test_rows_and_conversations_add_up(tmp_path):
    rows = [["会话ID", "角色", "内容"]]
    for i in range(60):
        rows.append([f"C{i % 20}", "客服" if i % 9 else "老板", f"第{i}句"])
    rows.insert(30, ["", "客服", "无ID"])
    items = list(read_inputs([write_csv(tmp_path / "a.csv", rows)]))
    ok = [i for i in items if isinstance(i, Conversation)]
    bad = [i for i in items if isinstance(i, Rejected)]
    assert len(items) == 21  # 20 ids + 1 row without id
    broken = {i % 20 for i in range(60) if i % 9 == 0}
    assert sorted(c.conversation_id for c in ok) == sorted(f"C{i}" for i in range(20) if i not in broken)
    assert all(len(c.turns) == 3 for c in ok)
    assert len(bad) == len(broken) + 1


def test_excel_unicode_text_export_saved_as_txt_is_read_as_a_table(tmp_path):
    """Excel's "Save as Unicode Text" writes a tab-separated table in UTF-16 with a .txt name."""
    rows = [ZH_HEADER[:3], ["U1", "客服", "您好，很高兴为您服务"], ["U1", "客户", "我的快递没到"]]
    path = tmp_path / "export.txt"
    path.write_text("\r\n".join("\t".join(r) for r in rows) + "\r\n", encoding="utf-16")
    [conv] = read_inputs([path])
    assert isinstance(conv, Conversation) and conv.conversation_id == "U1"
    assert [(t.role, t.text) for t in conv.turns] == [("agent", "您好，很高兴为您服务"), ("customer", "我的快递没到")]


def test_a_txt_transcript_with_tabs_but_no_table_header_is_still_a_transcript(tmp_path):
    path = tmp_path / "call.txt"
    path.write_text("客服：您好\t请问有什么可以帮您\n客户：我的快递没到\n", encoding="utf-8")
    [conv] = read_inputs([path])
    assert isinstance(conv, Conversation) and [t.role for t in conv.turns] == ["agent", "customer"]
