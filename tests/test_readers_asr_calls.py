"""Call records (通话记录): headers, bad rows, matching by call id or recording file, the mismatch report."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_audit.calls import load_join, read_calls
from qa_audit.model import Conversation, Turn
from qa_audit.readers import ReadError


def call(cid: str, source: str = "", channel: str | None = "call", **kw) -> Conversation:
    return Conversation(cid, (Turn(0, "agent", "您好"),), channel=channel, source=source, **kw)


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "calls.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_bad_rows_and_duplicate_ids_are_reported_with_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "通话ID,工号,班组,开始时间\nK1,A1,一组,2026-11-21 09:00:00\n,A2,二组,\nK3,A3,三组,昨天上午\nK1,A9,九组,\n",
    )
    join = load_join(path)
    problems = join.report()["problems"]
    assert any(p.endswith(":3: no call id (缺少通话ID)") for p in problems)
    assert any(":4: bad start time" in p for p in problems)
    assert any(":5: duplicate call id 'K1'" in p for p in problems)
    assert join.apply(call("K1")).agent_id == "A1"  # the first of the duplicates is kept


def test_match_by_recording_file_name_takes_the_call_id(tmp_path: Path) -> None:
    path = write(tmp_path, "呼叫编号,座席工号,录音文件\nCALL-77,A7,D:\\rec\\20261121\\8801_093012.wav\n")
    joined = load_join(path).apply(call("8801_093012", source="/data/asr/8801_093012.json"))
    assert (joined.conversation_id, joined.agent_id, joined.channel) == ("CALL-77", "A7", "call")


def test_transcript_values_are_kept_and_only_gaps_filled(tmp_path: Path) -> None:
    path = write(tmp_path, "call_id,agent_id,team\nK1,A1,一组\n")
    joined = load_join(path).apply(call("K1", agent_id="A-own", channel=None))
    assert (joined.agent_id, joined.team, joined.channel) == ("A-own", "一组", "call")


def test_chats_are_not_expected_to_have_a_record(tmp_path: Path) -> None:
    join = load_join(write(tmp_path, "call_id,agent_id\nK1,A1\n"))
    join.apply(call("CHAT-1", channel="chat"))
    join.apply(call("K2"))
    report = join.report()
    assert report["transcripts_without_record"] == {"count": 1, "ids": ["K2"]}
    assert report["records_without_transcript"] == {"count": 1, "ids": ["K1"]}


def test_a_file_without_a_call_id_column_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no call id column"):
        read_calls(write(tmp_path, "工号,班组\nA1,一组\n"))


def test_an_oversized_call_record_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "通话ID,工号\n")
    with path.open("r+b") as f:
        f.truncate(200 << 20)  # sparse
    with pytest.raises(ReadError, match="MB limit"):
        read_calls(path)


def test_gb18030_chinese_headers(tmp_path: Path) -> None:
    records, problems = read_calls(write(tmp_path, "通话ID,坐席姓名,班组\nK1,王丽,售后一组\n", "gb18030"))
    assert not problems and (records[0].agent_name, records[0].team) == ("王丽", "售后一组")
