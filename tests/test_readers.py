"""Readers: JSONL/JSON, encodings, input expansion, duplicates and the read = ok + rejected invariant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_audit.model import Conversation, Rejected
from qa_audit.readers import ReadError, expand_inputs, read_inputs

GOOD = {
    "conversation_id": "C20261121-0001",
    "channel": "chat",
    "agent_id": "A023",
    "agent_name": "王丽",
    "team": "售后一组",
    "started_at": "2026-11-21T09:12:00+08:00",
    "expect": ["must.goodbye"],
    "turns": [
        {"role": "agent", "text": "您好，请问有什么可以帮您？", "start": 0.0, "end": 2.4, "expect": "must.nin"},
        {"role": "customer", "text": "我的快递三天没动了"},
    ],
}


def conv(cid: str, **extra: object) -> dict:
    return {
        "conversation_id": cid,
        "turns": [{"role": "客服", "text": "您好"}, {"role": "客户", "text": "在吗"}],
        **extra,
    }


def write_jsonl(path: Path, records: list, encoding: str = "utf-8") -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def split(items) -> tuple[list[Conversation], list[Rejected]]:
    items = list(items)
    return [i for i in items if isinstance(i, Conversation)], [i for i in items if isinstance(i, Rejected)]


def test_canonical_jsonl_record_is_read_in_full(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [GOOD])
    [c] = list(read_inputs([path]))
    assert c.conversation_id == "C20261121-0001"
    assert (c.channel, c.agent_id, c.agent_name, c.team) == ("chat", "A023", "王丽", "售后一组")
    assert c.started_at == "2026-11-21T09:12:00+08:00"
    assert c.source == str(path) and c.line == 1
    assert c.expect == ("must.goodbye",)
    a, b = c.turns
    assert (a.index, a.role, a.text, a.start, a.end, a.expect) == (
        0,
        "agent",
        GOOD["turns"][0]["text"],
        0.0,
        2.4,
        ("must.nin",),
    )
    assert (b.index, b.role, b.start) == (1, "customer", None)


def test_synonyms_and_numbers_as_strings(tmp_path):
    rec = {
        "conversation_id": 42,
        "channel": "电话",
        "turns": [
            {"role": " Staff ", "text": "您好", "start": "1.5", "end": "00:00:03"},
            {"role": "买家", "text": "喂", "ts": "2026/11/21 09:12:05"},
            {"role": "系统", "text": "转接中"},
        ],
    }
    [c] = list(read_inputs([write_jsonl(tmp_path / "a.jsonl", [rec])]))
    assert c.conversation_id == "42" and c.channel == "call"
    assert [t.role for t in c.turns] == ["agent", "customer", "system"]
    assert (c.turns[0].start, c.turns[0].end) == (1.5, 3.0)
    assert c.turns[1].ts == "2026-11-21T09:12:05"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ('{"conversation_id": "X", "turns": [}', "invalid JSON"),
        ("[1, 2]", "not a JSON object"),
        (conv("X") | {"conversation_id": "  "}, "missing conversation_id"),
        ({"turns": [{"role": "agent", "text": "hi"}]}, "missing conversation_id"),
        ({"conversation_id": "X"}, "missing turns"),
        ({"conversation_id": "X", "turns": []}, "no turns"),
        ({"conversation_id": "X", "turns": "hi"}, "turns must be a list"),
        ({"conversation_id": "X", "turns": [{"text": "hi"}]}, "turns[0]: missing role"),
        ({"conversation_id": "X", "turns": [{"role": "agent"}]}, "turns[0]: missing text"),
        ({"conversation_id": "X", "turns": [{"role": "agent", "text": 5}]}, "text is not a string"),
        (
            {"conversation_id": "X", "turns": [{"role": "agent", "text": "a"}, {"role": "主管", "text": "b"}]},
            "turns[1]: unknown role '主管'",
        ),
        ({"conversation_id": "X", "turns": [{"role": "agent", "text": "a", "start": "abc"}]}, "turns[0]: bad start"),
        (
            {"conversation_id": "X", "turns": [{"role": "agent", "text": "a", "start": 3, "end": 1}]},
            "end 1 is before start 3",
        ),
        ({"conversation_id": "X", "turns": [{"role": "agent", "text": "a", "ts": "yesterday"}]}, "turns[0]: bad ts"),
        (conv("X", channel="email"), "unknown channel 'email'"),
        (conv("X", agent_id=["A1"]), "bad agent_id"),
        ({"conversation_id": "X", "turns": [{"role": "agent", "text": "a\u0000b"}]}, "NUL"),
        pytest.param("[" * 100_000 + "]" * 100_000, "invalid JSON", id="deeply-nested"),
    ],
)
def test_each_rejection_reason_names_its_line(tmp_path, record, reason):
    path = write_jsonl(tmp_path / "a.jsonl", [conv("ok1"), record, conv("ok2")])
    items = list(read_inputs([path]))
    assert [type(i).__name__ for i in items] == ["Conversation", "Rejected", "Conversation"]
    bad = items[1]
    assert reason in bad.reason
    assert (bad.source, bad.line) == (str(path), 2)
    assert bad.raw


def test_rejected_keeps_the_record_id_and_truncates_raw(tmp_path):
    long_text = "好" * 5000
    rec = {"conversation_id": "X9", "turns": [{"role": "boss", "text": long_text}]}
    [bad] = list(read_inputs([write_jsonl(tmp_path / "a.jsonl", [rec])]))
    assert bad.record_id == "X9" and len(bad.raw) == 2000


def test_megabyte_line_is_read_and_megabyte_garbage_is_rejected(tmp_path):
    big = conv("BIG")
    big["turns"][0]["text"] = "您好" * 500_000
    path = write_jsonl(tmp_path / "a.jsonl", [big, "x" * 1_000_000, conv("after")])
    c, bad, after = read_inputs([path])
    assert isinstance(c, Conversation) and len(c.turns[0].text) == 1_000_000
    assert isinstance(bad, Rejected) and bad.line == 2 and "invalid JSON" in bad.reason and len(bad.raw) == 2000
    assert after.conversation_id == "after"


def test_good_records_around_broken_ones_are_all_read_and_counts_add_up(tmp_path):
    records = []
    for i in range(50):
        records.append(conv(f"G{i}"))
        if i % 7 == 0:
            records.append("{oops")
        if i % 11 == 0:
            records.append({"conversation_id": f"B{i}", "turns": [{"role": "?", "text": "x"}]})
    path = write_jsonl(tmp_path / "a.jsonl", records)
    ok, rejected = split(read_inputs([path]))
    assert [c.conversation_id for c in ok] == [f"G{i}" for i in range(50)]
    assert len(ok) + len(rejected) == len(records)
    assert sorted(r.line for r in rejected) == [
        n + 1 for n, r in enumerate(records) if not (isinstance(r, dict) and r["conversation_id"].startswith("G"))
    ]


def test_blank_lines_and_crlf_are_ignored(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        b"\r\n" + json.dumps(conv("A")).encode() + b"\r\n  \r\n" + json.dumps(conv("B")).encode() + b"\r\n"
    )
    ok, rejected = split(read_inputs([path]))
    assert [(c.conversation_id, c.line) for c in ok] == [("A", 2), ("B", 4)] and not rejected


def test_carriage_returns_inside_text_are_removed(tmp_path):
    rec = {"conversation_id": "A", "turns": [{"role": "agent", "text": "您好\r\n请问\r"}]}
    [c] = read_inputs([write_jsonl(tmp_path / "a.jsonl", [rec])])
    assert c.turns[0].text == "您好\n请问"


def test_gbk_and_utf8_bom_files_are_read_without_options(tmp_path):
    gbk = write_jsonl(tmp_path / "gbk.jsonl", [conv("甲", team="售后一组"), GOOD], encoding="gbk")
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + (json.dumps(GOOD, ensure_ascii=False) + "\n").encode("utf-8"))
    items = list(read_inputs([gbk, bom]))
    assert [type(i) for i in items] == [Conversation, Conversation, Rejected]  # GOOD twice: duplicate
    assert items[0].team == "售后一组" and items[1].turns[1].text == "我的快递三天没动了"
    assert items[2].line == 1 and "duplicate" in items[2].reason and str(gbk) in items[2].reason


def test_one_undecodable_line_is_rejected_and_the_rest_read(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [json.dumps(conv(f"C{i}", team="售后一组"), ensure_ascii=False).encode() for i in range(5)]
    lines[2] = lines[2].replace("售后".encode(), b"\xff\xfe\x81")
    path.write_bytes(b"\n".join(lines) + b"\n")
    ok, rejected = split(read_inputs([path]))
    assert [c.conversation_id for c in ok] == ["C0", "C1", "C3", "C4"]
    [bad] = rejected
    assert bad.line == 3 and "undecodable" in bad.reason and bad.record_id == "C2"
    assert "\\xff\\xfe\\x81" in bad.raw
    json.dumps(bad.to_json(), ensure_ascii=False).encode("utf-8")  # quarantine row can be written


def test_encoding_override(tmp_path):
    rec = {"conversation_id": "甲乙", "team": "售後", "turns": [{"role": "agent", "text": "您好，請問"}]}
    path = write_jsonl(tmp_path / "a.jsonl", [rec], encoding="big5")
    [c] = read_inputs([path], encoding="big5")
    assert (c.conversation_id, c.team, c.turns[0].text) == ("甲乙", "售後", "您好，請問")
    [guessed] = read_inputs([path])  # detected too (tests/test_encoding_big5.py)
    assert (guessed.conversation_id, guessed.turns[0].text) == ("甲乙", "您好，請問")
    with pytest.raises(ReadError, match="unknown encoding"):
        read_inputs([path], encoding="no-such-codec")


def test_json_file_with_one_object_or_a_list(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps(GOOD, ensure_ascii=False, indent=2), encoding="utf-8")
    many = tmp_path / "many.json"
    many.write_text(json.dumps([conv("L1"), 7, conv("L2")], indent=2), encoding="utf-8")
    items = list(read_inputs([one, many]))
    assert [getattr(i, "conversation_id", None) for i in items] == ["C20261121-0001", "L1", None, "L2"]
    assert isinstance(items[2], Rejected) and "not a JSON object" in items[2].reason
    lines = many.read_text().splitlines()
    assert lines[items[2].line - 1].strip() == "7,"
    assert lines[items[3].line - 1].strip() == "{"


def test_json_list_with_a_syntax_error_keeps_what_came_before(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[\n{"conversation_id": "A", "turns": [{"role": "agent", "text": "x"}]},\n{"oops"\n]\n')
    first, bad = read_inputs([path])
    assert first.conversation_id == "A"
    assert isinstance(bad, Rejected) and bad.line == 3 and "rest of the file not read" in bad.reason


def test_jsonl_saved_as_json_is_read_line_by_line(tmp_path):
    path = write_jsonl(tmp_path / "a.json", [conv("A"), conv("B")])
    assert [c.conversation_id for c in read_inputs([path])] == ["A", "B"]


def test_duplicate_ids_keep_the_first_even_across_files(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [conv("D"), {"conversation_id": "E", "turns": []}])
    b = write_jsonl(tmp_path / "b.jsonl", [conv("D"), conv("E")])
    items = list(read_inputs([a, b]))
    assert [(type(i).__name__, i.source, i.line) for i in items] == [
        ("Conversation", str(a), 1),
        ("Rejected", str(a), 2),
        ("Rejected", str(b), 1),
        ("Conversation", str(b), 2),
    ]
    assert f"first read at {a}:1" in items[2].reason


def test_unreadable_file_is_one_rejected(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [conv("A")])
    path.chmod(0)
    try:
        if path.open("rb"):  # running as root: permissions do not apply
            pytest.skip("file permissions are not enforced for this user")
    except PermissionError:
        pass
    try:
        [bad] = read_inputs([path])
        assert isinstance(bad, Rejected) and bad.line is None and "cannot read" in bad.reason
    finally:
        path.chmod(0o644)


def test_expand_directories_globs_and_files(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    for name in ["d/b.jsonl", "d/a.CSV", "d/sub/c.txt", "d/notes.md", "d/.hidden.jsonl", "d/~$book.xlsx", "e.tsv"]:
        (tmp_path / name).write_text("x")
    found = expand_inputs([tmp_path / "d", str(tmp_path / "*.tsv"), tmp_path / "d" / "b.jsonl"])
    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["d/a.CSV", "d/b.jsonl", "d/sub/c.txt", "e.tsv"]
    assert expand_inputs([str(tmp_path / "**" / "*.txt")]) == [tmp_path / "d" / "sub" / "c.txt"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.jsonl", "no such file"),
        ("*.parquet", "matches no input files"),
        ("empty", "no input files"),
        ("notes.md", "unsupported file type"),
    ],
)
def test_expand_errors_are_clear(tmp_path, name, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(ReadError, match=message) as err:
        read_inputs([tmp_path / name])
    assert name in str(err.value)
