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


FLAGGING = """\
rules:
  - id: t.goodbye
    title: 再见结尾
    kind: require
    severity: minor
    points: 2
    tier: review
    message: 坐席没有说再见
    source: s
    match:
      any: [再见]
    where: {role: agent}
    examples:
      fire:
        - 好的
      pass:
        - 再见
"""


def test_a_rule_that_only_flags_is_measured_by_its_flags(tmp_path: Path) -> None:
    """A `tier: review` rule fires as 待复核 flags: eval measures those, instead of calling every gold
    failure a miss (recall 0) and listing conversations the rule did flag as places to look."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "t.yaml").write_text(FLAGGING, encoding="utf-8")
    convs = write_jsonl(
        tmp_path / "convs.jsonl",
        [
            {"conversation_id": "no-bye", "turns": [{"role": "agent", "text": "好的，已经处理了。"}]},
            {"conversation_id": "bye", "turns": [{"role": "agent", "text": "好的，再见。"}]},
        ],
    )
    gold = write_jsonl(
        tmp_path / "gold.jsonl",
        [
            {"conversation_id": "no-bye", "split": "test", "labels": {"t.goodbye": {"status": "fail", "turns": []}}},
            {"conversation_id": "bye", "split": "test", "labels": {"t.goodbye": {"status": "pass", "turns": []}}},
        ],
    )
    args = ["rules", "eval", "--rules", str(rules), "--gold", str(gold), "--transcripts", str(convs)]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(x) for x in result.stdout.splitlines() if '"t.goodbye"' in x]
    assert (row["tp"], row["fp"], row["fn"], row["false_negatives"]) == (1, 0, 0, [])
    assert row["tier"] == "review"
    # the terminal says the figures are flags, and --deductions-only measures what costs points
    table = CliRunner().invoke(main, args)
    [line] = [x for x in table.output.splitlines() if x.startswith("t.goodbye ")]
    assert line.endswith("待复核 flags") and " 1.00 " in line
    only = CliRunner().invoke(main, [*args, "--json", "--deductions-only"])
    [row] = [json.loads(x) for x in only.stdout.splitlines() if '"t.goodbye"' in x]
    assert (row["tp"], row["fn"], row["false_negatives"]) == (0, 1, ["no-bye"])


def test_utterance_eval_counts_flags_too(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "t.yaml").write_text(FLAGGING.replace("kind: require", "kind: forbid"), encoding="utf-8")
    utt = write_jsonl(
        tmp_path / "u.jsonl",
        [{"id": "u1", "split": "test", "role": "agent", "text": "再见", "labels": {"t.goodbye": True}}],
    )
    result = CliRunner().invoke(main, ["rules", "eval", "--rules", str(rules), "--utterances", str(utt), "--json"])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(x) for x in result.stdout.splitlines() if '"t.goodbye"' in x]
    assert (row["tp"], row["fn"]) == (1, 0)
