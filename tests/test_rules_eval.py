"""`qa-audit rules eval` says where to look: the ids behind every false positive and miss."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qa_audit.cli import main

CONVS = [
    # greets: must.greeting passes; the gold agrees
    {"conversation_id": "g-ok", "turns": [{"role": "agent", "text": "您好，请问有什么可以帮您？"}]},
    # no greeting: the rule fails it, the gold (wrongly, for this test) says pass -> a false positive
    {"conversation_id": "g-fp", "turns": [{"role": "agent", "text": "订单已经发出了。"}]},
    # greets, but the gold says fail -> a miss
    {"conversation_id": "g-miss", "turns": [{"role": "agent", "text": "您好，很高兴为您服务。"}]},
]
GOLD = [
    {"conversation_id": "g-ok", "split": "test", "labels": {"must.greeting": {"status": "pass", "turns": []}}},
    {"conversation_id": "g-fp", "split": "test", "labels": {"must.greeting": {"status": "pass", "turns": []}}},
    {"conversation_id": "g-miss", "split": "test", "labels": {"must.greeting": {"status": "fail", "turns": []}}},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_eval_json_lists_the_ids_behind_false_positives_and_misses(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "gold.jsonl", GOLD)
    convs = write_jsonl(tmp_path / "convs.jsonl", CONVS)
    result = CliRunner().invoke(
        main, ["rules", "eval", "--gold", str(gold), "--transcripts", str(convs), "--split", "test", "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    [greeting] = [x for x in lines if x.get("rule_id") == "must.greeting"]
    assert greeting["false_positives"] == ["g-fp"] and greeting["false_negatives"] == ["g-miss"]
    assert (greeting["labelled"], greeting["tp"], greeting["fp"], greeting["fn"]) == (3, 0, 1, 1)
    # every rule of the pack without a label in this set is named, not silently dropped
    assert "must.goodbye" in lines[-1]["not_labelled"] and "must.greeting" not in lines[-1]["not_labelled"]


def test_eval_terminal_names_the_ids_and_the_unlabelled_rules(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "gold.jsonl", GOLD)
    convs = write_jsonl(tmp_path / "convs.jsonl", CONVS)
    result = CliRunner().invoke(main, ["rules", "eval", "--gold", str(gold), "--transcripts", str(convs)])
    assert result.exit_code == 0, result.output
    assert "must.greeting false positives: g-fp" in result.output
    assert "must.greeting misses: g-miss" in result.output
    assert "not labelled in this set" in result.output


def test_n_counts_only_conversations_the_gold_judges(tmp_path: Path) -> None:
    gold = write_jsonl(
        tmp_path / "gold.jsonl",
        [*GOLD, {"conversation_id": "g-ok", "split": "tune", "labels": {}}]
        + [{"conversation_id": "g-na", "split": "test", "labels": {"must.greeting": {"status": "n/a", "turns": []}}}],
    )
    convs = write_jsonl(
        tmp_path / "convs.jsonl", [*CONVS, {"conversation_id": "g-na", "turns": [{"role": "agent", "text": "好"}]}]
    )
    result = CliRunner().invoke(main, ["rules", "eval", "--gold", str(gold), "--transcripts", str(convs), "--json"])
    [greeting] = [json.loads(x) for x in result.stdout.splitlines() if '"must.greeting"' in x]
    assert greeting["labelled"] == 3


def test_eval_on_the_shipped_gold_set_names_every_false_positive_and_miss() -> None:
    root = Path(__file__).resolve().parents[1]
    result = CliRunner().invoke(
        main,
        [
            "rules",
            "eval",
            "--gold",
            str(root / "eval" / "jddc_gold.jsonl"),
            "--transcripts",
            str(root / "data" / "jddc_dialogues" / "sessions.jsonl"),
            "--split",
            "test",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    rules = [r for r in rows if "rule_id" in r]
    assert len(rules) >= 15
    assert sum(r["fp"] + r["fn"] for r in rules) > 0, "the gold set should disagree with the rules somewhere"
    for r in rules:
        assert len(r["false_positives"]) == r["fp"] and len(r["false_negatives"]) == r["fn"], r["rule_id"]
        assert len(set(r["false_positives"])) == r["fp"]
