"""`rules explain` from the compiled rule, one shape for the rules folder, "did you mean", kind-worded warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_transcripts"

HEAD = "    title: t\n    severity: minor\n    message: m\n    source: handbook §3\n"

FORBID = f"""\
rules:
  - id: t.rude
    kind: forbid
{HEAD}    points: 2
    cap: 6
    veto: true
    tier: review
    match:
      or:
        - any: [滚, 闭嘴]
          unless: [开玩笑]
          within: 3
        - regex: 走开.{{0,2}}
    where: {{role: agent, first: 2}}
    examples:
      fire:
        - 你给我闭嘴
      pass:
        - 您好
"""

REQUIRE = f"""\
rules:
  - id: t.sorry
    kind: require
{HEAD}    points: 5
    applies: {{complaint: true}}
    if: {{any: [投诉]}}
    match: {{any: [抱歉, 对不起]}}
    examples:
      fire:
        - ["客户：我要投诉", "客服：您的投诉已记录"]
      pass:
        - ["客户：我要投诉", "客服：非常抱歉，您的投诉已记录"]
        - ["客户：你好", "客服：您好"]
"""

METRIC = f"""\
rules:
  - id: t.share
    kind: metric
{HEAD}    points: 1
    metric: talk_share
    max: 0.6
    applies: {{channel: call}}
    examples:
      fire:
        - {{channel: call, turns: ["客户：在吗", "客服：您好我们这款产品有很多功能价格也很优惠现在下单还送赠品"]}}
      pass:
        - {{channel: call, turns: ["客户：我的快递三天没动了到底怎么回事", "客服：您好"]}}
        - ["客户：在吗", "客服：您好我们这款产品有很多功能价格也很优惠现在下单还送赠品"]
"""


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "r.yaml").write_text(text, encoding="utf-8")
    return folder


def explain(tmp_path: Path, text: str, rule_id: str) -> str:
    result = CliRunner().invoke(main, ["rules", "explain", rule_id, "--rules", str(write(tmp_path, text))])
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_a_forbid_rule_shows_what_it_matches_and_its_limits(tmp_path):
    out = explain(tmp_path, FORBID, "t.rude")
    for text in [
        "kind: forbid",
        "points: 2   cap: 6   VETO",
        "tier: review",
        "source: handbook §3",
        f"defined: {tmp_path / 'rules' / 'r.yaml'}:2",
        "- any: [滚, 闭嘴] (2)",
        "unless (within 3 characters): [开玩笑] (1)",
        "- regex: 走开.{0,2}",
        "role: agent",
        "first: 2",
        "negation: true",
        "regex: RE2 syntax",  # the operators used, described by the registry
        "ok   must fire → review: 待复核 flag only   line 21",
        "ok   must not fire → pass   line 23",
    ]:
        assert text in out, (text, out)


def test_explain_a_require_rule_shows_an_example_that_does_not_apply_as_n_a(tmp_path):
    out = explain(tmp_path, REQUIRE, "t.sorry")
    assert "kind: require" in out and "applies: complaint: true" in out
    assert "if:" in out and "any: [投诉] (1)" in out and "any: [抱歉, 对不起] (2)" in out
    assert "ok   must fire → fire   line 14" in out
    assert "ok   must not fire → pass   line 16" in out
    # the third example never triggers `if`: the rule is n/a there, which shows nothing about what it allows
    assert "ok   must not fire → n/a: the rule does not apply to this example" in out
    assert "line 17" in out.split("→ n/a")[1].splitlines()[0]


def test_explain_a_metric_rule_shows_its_threshold_and_applicability(tmp_path):
    out = explain(tmp_path, METRIC, "t.share")
    assert "kind: metric" in out and "metric: talk_share" in out and "max: 0.6" in out
    assert "applies: channel: call" in out
    assert "must not fire → pass   line 16" in out
    assert "must not fire → n/a" in out  # the chat example: the rule applies to calls only


def test_the_rules_folder_is_given_the_same_way_everywhere(tmp_path, monkeypatch):
    rules = write(tmp_path, FORBID)
    runner = CliRunner()
    by_option = runner.invoke(main, ["rules", "list", "--rules", str(rules), "--json"])
    by_argument = runner.invoke(main, ["rules", "list", str(rules), "--json"])
    assert by_option.exit_code == 0 and by_option.output == by_argument.output and '"t.rude"' in by_option.output
    both = runner.invoke(main, ["rules", "test", str(rules), "--rules", str(ROOT / "rules")])
    assert both.exit_code == 2 and "two rule folders" in both.output
    monkeypatch.setenv("QA_AUDIT_RULES", str(rules))
    assert runner.invoke(main, ["rules", "explain", "t.rude"]).exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "must.nni"],
        ["test", "--rule", "must.nni"],
        ["eval", "--utterances", str(ROOT / "eval" / "utterances.jsonl"), "--rule", "must.nni"],
    ],
    ids=["explain", "test", "eval"],
)
def test_an_unknown_rule_id_suggests_the_closest(args):
    result = CliRunner().invoke(main, ["rules", *args, "--rules", str(ROOT / "rules")])
    assert result.exit_code == 2
    assert f"no rule 'must.nni' in {ROOT / 'rules'}; did you mean must.nin?" in result.output


def test_a_require_rule_failing_everywhere_is_blamed_on_agents_not_on_a_broad_pattern(tmp_path):
    text = f"""\
rules:
  - id: t.motto
    kind: require
{HEAD}    points: 1
    match: {{any: [顾客就是上帝]}}
    examples:
      fire: [您好]
      pass: [顾客就是上帝]
"""
    result = CliRunner().invoke(
        main, ["rules", "check", "--rules", str(write(tmp_path, text)), "--corpus", str(SAMPLES)]
    )
    assert result.exit_code == 0, result.output
    [warning] = [x for x in result.stderr.splitlines() if "QA601" in x]
    assert "'t.motto' fails 100% of the" in warning and "conversations" in warning
    assert "agents rarely say what it requires" in warning and "too broad" not in warning
