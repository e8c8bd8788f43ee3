"""Absurd numbers in transcripts never reach a JSON output as NaN or Infinity (which is not JSON).

Subnormal and huge `start`/`end` once made the speech rate infinite and `results.jsonl` held a bare
`Infinity`; every JSON output (results, findings, quarantine, summary, the store, the rules diff) is
parsed here with a parser that refuses the non-standard constants.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.readers.values import parse_seconds

RULES = Path(__file__).resolve().parents[1] / "rules"
TEXTS = ("您好，请问有什么可以帮您？", "我的快递三天没动了，很着急", "好的请稍等，感谢您的耐心，再见")


def _conv(cid: str, times: list[float]) -> dict:
    turns = [
        {"role": ("agent", "customer")[i % 2], "text": t, "start": times[i], "end": times[i + 1]}
        for i, t in enumerate(TEXTS)
    ]
    return {"conversation_id": cid, "channel": "call", "turns": turns}


def _input(tmp: Path) -> Path:
    rows = [
        _conv("subnormal", [0.0, 5e-324, 1e-323, 2e-323]),
        _conv("huge", [0.0, 1e308, 1.7e308, 1.79e308]),
        _conv("normal", [0.0, 2.5, 5.0, 8.0]),
    ]
    path = tmp / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _strict(text: str) -> object:
    def refuse(name: str) -> object:
        raise AssertionError(f"{name} in a JSON output")

    return json.loads(text, parse_constant=refuse)


def _strict_lines(path: Path) -> list[dict]:
    return [_strict(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_absurd_timings_write_no_nan_or_infinity_in_any_json_output(tmp_path: Path) -> None:
    out, store = tmp_path / "out", tmp_path / "qa.db"
    res = CliRunner().invoke(main, ["audit", str(_input(tmp_path)), "-o", str(out), "--store", str(store)])
    assert res.exit_code in (0, 1), res.output
    results = _strict_lines(out / "results.jsonl")
    _strict_lines(out / "findings.jsonl")
    quarantined = _strict_lines(out / "quarantine.jsonl")
    _strict((out / "summary.json").read_text(encoding="utf-8"))
    # every conversation is accounted for: audited (timings usable) or quarantined naming the field
    assert {r["conversation_id"] for r in results} | {q.get("conversation_id") for q in quarantined} >= {
        "subnormal",
        "huge",
        "normal",
    }
    assert all("end" in q["reason"] or "start" in q["reason"] for q in quarantined)
    with sqlite3.connect(store) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            for row in db.execute(f"select * from {table}"):
                for value in row:
                    if isinstance(value, str) and value.startswith(("[", "{")):
                        try:
                            json.loads(value)
                        except ValueError:
                            continue  # text, not JSON
                        _strict(value)


def test_absurd_timings_write_no_nan_or_infinity_in_the_rules_diff(tmp_path: Path) -> None:
    out = tmp_path / "diff"
    res = CliRunner().invoke(
        main,
        ["rules", "diff", "--old", str(RULES), "--new", str(RULES), str(_input(tmp_path)), "-o", str(out), "--json"],
    )
    assert res.exit_code in (0, 1), res.output
    _strict_lines(out / "diff.jsonl")
    _strict_lines(out / "quarantine.jsonl")
    _strict((out / "diff_summary.json").read_text(encoding="utf-8"))
    _strict(res.output.strip().splitlines()[-1])


@pytest.mark.parametrize("value", [5e-324, 1e-320, "5e-324"])
def test_subnormal_seconds_are_read_at_microsecond_resolution(value: object) -> None:
    assert parse_seconds(value) == 0.0


@pytest.mark.parametrize("value", [1e308, "1e300", 10**400])
def test_seconds_beyond_a_year_are_invalid_input(value: object) -> None:
    with pytest.raises(ValueError, match="seconds"):
        parse_seconds(value)


def test_asr_numbers_out_of_range_are_invalid_input() -> None:
    from qa_audit.readers.asr.segment import AsrError, number

    with pytest.raises(AsrError, match="out of range"):
        number(1e300, "BeginTime", "x.json")
    assert number(5e-324, "BeginTime", "x.json") == 0.0


def test_a_non_finite_value_that_reaches_a_writer_is_written_as_null() -> None:
    from qa_audit import jsonsafe

    text = jsonsafe.dumps({"rate": float("inf"), "p": [float("nan"), 0.5], "ok": 1})
    assert _strict(text) == {"rate": None, "p": [None, 0.5], "ok": 1}
