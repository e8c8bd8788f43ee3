"""Scores are stable under pack edits (扣分制): a rule that never fires, or one rule's new points, moves
no score of a conversation that rule does not fail."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from qa_audit.cli import main

ROOT = Path(__file__).resolve().parents[1]
NEVER = """
  - id: must.never_fires_test
    title: 测试用规则（从不触发）
    source: test
    severity: major
    points: 5
    message: 不应出现
    kind: forbid
    match:
      any: [这句话在任何样例里都不会出现ZQX]
    examples:
      fire: [这句话在任何样例里都不会出现ZQX]
      pass: [您好]
"""


def audit(rules: Path, out: Path) -> dict[str, dict]:
    result = CliRunner().invoke(
        main, ["audit", str(ROOT / "sample_transcripts"), "-o", str(out), "--rules", str(rules)]
    )
    assert result.exit_code == 1, result.output  # the samples' deliberately broken records
    rows = (json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines())
    return {r["conversation_id"]: r for r in rows}


def pack_copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return rules


def test_a_never_firing_rule_changes_no_score_on_the_samples(tmp_path: Path) -> None:
    rules = pack_copy(tmp_path)
    before = audit(rules, tmp_path / "before")
    dont = rules / "dont.yaml"
    dont.write_text(dont.read_text(encoding="utf-8").rstrip("\n") + "\n" + NEVER, encoding="utf-8")
    after = audit(rules, tmp_path / "after")
    assert before.keys() == after.keys() and len(before) > 10
    assert {k: r["score"] for k, r in before.items()} == {k: r["score"] for k, r in after.items()}
    assert all(r["checks"]["must.never_fires_test"] in ("pass", "n/a") for r in after.values())


def test_new_points_for_one_rule_change_only_the_conversations_it_fails(tmp_path: Path) -> None:
    rules = pack_copy(tmp_path)
    before = audit(rules, tmp_path / "before")
    must = rules / "must.yaml"
    text = must.read_text(encoding="utf-8")
    # must.nin: its points line is the first `points:` after its id
    start = text.index("id: must.nin")
    m = re.compile(r"points: *(\d+)").search(text, start)
    assert m is not None
    must.write_text(text[: m.start(1)] + str(int(m.group(1)) + 3) + text[m.end(1) :], encoding="utf-8")
    after = audit(rules, tmp_path / "after")
    failing = {k for k, r in before.items() if r["checks"]["must.nin"] == "fail"}
    assert failing, "the samples should have conversations that fail must.nin"
    changed = {k for k in before if before[k]["score"] != after[k]["score"]}
    assert changed <= failing
    assert changed, "raising must.nin's points should lower some score"
