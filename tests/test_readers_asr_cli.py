"""End to end: four vendors' ASR files, a call-record CSV and a plain JSONL audited in one command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from qa_audit.cli import main

MIXED = Path(__file__).parent / "fixtures" / "asr" / "mixed"
SWAPPED = {
    "conversation_id": "CHAT-SWAP-0006",
    "channel": "chat",
    "agent_id": "A402",
    "turns": [
        {"role": "agent", "text": "在吗，我的订单怎么还没发货，你们什么时候能发"},
        {"role": "customer", "text": "您好，请您提供一下订单号，我帮您查询一下。"},
        {"role": "agent", "text": "尾号三三二一"},
        {"role": "customer", "text": "非常抱歉让您久等了，已经为您催促仓库，请问还有其他可以帮您的吗？"},
        {"role": "agent", "text": "没有了"},
        {"role": "customer", "text": "感谢您的耐心，祝您生活愉快，再见。"},
    ],
}


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("in") / "day"
    shutil.copytree(MIXED, data)
    (data / "swapped.jsonl").write_text(json.dumps(SWAPPED, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        main, ["audit", str(data), "--calls", str(data / "calls.csv"), "-o", str(out), "--workers", "1", "-q"]
    )
    results = {r["conversation_id"]: r for r in lines(out / "results.jsonl")}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return result, out, results, summary


def test_everything_is_audited_in_one_command_and_the_call_records_are_not_a_transcript(run) -> None:
    result, _out, results, summary = run
    assert result.exit_code == 0, result.output
    assert set(results) == {
        "CALL-ALI-0001",
        "CALL-TEN-0002",
        "CALL-HW-0003",
        "CALL-IFY-0004",
        "CHAT-0005",
        "CHAT-SWAP-0006",
    }
    assert summary["read"] == summary["audited"] == 6 and summary["quarantined"] == 0


def test_roles_are_right_for_every_vendor(run) -> None:
    _, _, results, _ = run
    assert results["CALL-HW-0003"]["roles"]["source"] == "given"
    for cid in ("CALL-ALI-0001", "CALL-TEN-0002", "CALL-IFY-0004"):
        roles = results[cid]["roles"]
        assert roles["source"] == "inferred" and roles["confidence"] >= 0.7 and not roles["swapped_suspected"]
        assert results[cid]["checks"]["must.greeting"] == "pass"  # the greeting was said by the agent
        assert results[cid]["checks"]["must.goodbye"] == "pass"


def test_timing_rules_apply_to_the_asr_calls(run) -> None:
    _, _, results, _ = run
    for cid in ("CALL-ALI-0001", "CALL-TEN-0002", "CALL-HW-0003", "CALL-IFY-0004"):
        checks = results[cid]["checks"]
        assert results[cid]["channel"] == "call"
        for rule in ("time.first_response", "shape.speech_rate", "shape.no_interrupt"):
            assert checks[rule] in ("pass", "fail"), (cid, rule)


def test_agents_and_teams_come_from_the_call_records(run) -> None:
    _, _, results, _ = run
    ali, ten = results["CALL-ALI-0001"], results["CALL-TEN-0002"]
    assert (ali["agent_id"], ali["agent_name"], ali["team"]) == ("A305", "陈晓", "售后一组")
    assert ali["started_at"] == "2026-11-21T09:05:12"
    assert (ten["agent_id"], ten["team"]) == ("A118", "售后二组")
    assert results["CALL-IFY-0004"]["agent_id"] is None  # no record: nothing invented


def test_missing_and_orphan_records_are_reported(run) -> None:
    _, _, _, summary = run
    calls = summary["calls"]
    assert calls["records"] == 4 and calls["matched"] == 3
    assert calls["transcripts_without_record"] == {"count": 1, "ids": ["CALL-IFY-0004"]}
    assert calls["records_without_transcript"] == {"count": 1, "ids": ["CALL-ORPHAN-0009"]}


def test_swapped_conversation_is_na_and_listed_in_summary_and_workbook(run) -> None:
    _, out, results, summary = run
    swapped = results["CHAT-SWAP-0006"]
    assert swapped["roles"]["swapped_suspected"] is True and swapped["roles"]["source"] == "given"
    assert swapped["checks"]["must.greeting"] == "n/a" and not swapped["findings"]
    assert summary["roles"]["swapped_suspected"] == {"count": 1, "ids": ["CHAT-SWAP-0006"]}
    ws = load_workbook(out / "scorecard.xlsx", read_only=True)["会话"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    col = next(i for i, h in enumerate(header) if h and str(h).startswith("角色"))
    ids = header.index(next(h for h in header if h and str(h).startswith("会话ID")))
    flagged = {r[ids]: r[col] for r in rows[1:] if r[col] and "待复核" in str(r[col])}
    assert set(flagged) == {"CHAT-SWAP-0006"} and "颠倒" in flagged["CHAT-SWAP-0006"]


def test_english_headers_in_gbk_with_a_column_mapping(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    shutil.copy(MIXED / "CALL-TEN-0002.json", data / "rec_0002.json")
    calls = tmp_path / "calls.csv"
    calls.write_bytes("Call No,Agent ID,Team,Start Time\nrec_0002,A118,售后二组,2026/11/21 09:20:40\n".encode("gbk"))
    out = tmp_path / "out"
    args = ["audit", str(data), "--calls", str(calls), "--calls-column", "Call No=call_id", "-o", str(out), "-q"]
    result = CliRunner().invoke(main, [*args, "--workers", "1"])
    assert result.exit_code == 0, result.output
    [row] = lines(out / "results.jsonl")
    assert (row["conversation_id"], row["agent_id"], row["team"]) == ("rec_0002", "A118", "售后二组")


@pytest.mark.parametrize(
    "extra",
    [
        ["--speaker-map", "0=boss"],
        ["--speaker-map", "0=agent", "--engine", "dask"],
        ["--calls-column", "X=nonsense", "--calls", str(MIXED / "calls.csv")],
    ],
)
def test_bad_role_or_call_options_are_usage_errors(tmp_path: Path, extra: list[str]) -> None:
    result = CliRunner().invoke(main, ["audit", str(MIXED / "chats.jsonl"), "-o", str(tmp_path), *extra])
    assert result.exit_code == 2, result.output


def test_the_terminal_names_swapped_roles_and_unmatched_call_records(tmp_path: Path) -> None:
    """A QA person who runs the command sees what needs a look without opening summary.json."""
    data = tmp_path / "day"
    shutil.copytree(MIXED, data)
    (data / "swapped.jsonl").write_text(json.dumps(SWAPPED, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["audit", str(data), "--calls", str(data / "calls.csv"), "-o", str(tmp_path / "o"), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    said = result.stderr
    assert "1 conversation(s) with roles that look swapped" in said and "CHAT-SWAP-0006" in said
    assert "call records: 3 of 4 matched" in said
    assert "1 transcript(s) without a call record: CALL-IFY-0004" in said
    assert "1 call record(s) without a transcript: CALL-ORPHAN-0009" in said
    quiet = CliRunner().invoke(
        main, ["audit", str(data), "--calls", str(data / "calls.csv"), "-o", str(tmp_path / "q"), "-q"]
    )
    assert quiet.exit_code == 0 and "swapped" not in quiet.stderr and "call record" not in quiet.stderr
