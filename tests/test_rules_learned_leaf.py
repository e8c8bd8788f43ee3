"""The `learned` condition operator and the per-rule leaves of dont.harsh, dont.blame_shift, dont.blame_customer.

Phrasings below are hand-written for this test, none copied from the models' training data
(eval/train_agent_language.py --rule) or the blind sets. How often the leaves are right on text nobody
trained on is measured in eval/blind7/README.md, not here: these tests hold what a user relies on
(a model's judgement is a 待复核 flag under the rule's own id, never a deduction; exceptions still apply;
a bad model name is refused at its line).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.model import Finding
from qa_audit.report.evidence import evidence_sentence
from test_rules_precision import audit

LEAF_RULES = ("dont.harsh", "dont.blame_shift", "dont.blame_customer")


def findings(text: str, channel: str = "chat") -> list[Finding]:
    """The findings of the three rules on a conversation whose second agent turn is `text`."""
    result = audit("客服：您好，请问有什么可以帮您", "客户：我的问题还没解决", f"客服：{text}", channel=channel)
    return [f for f in result.findings if f.rule_id in LEAF_RULES]


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ("dont.harsh", "你这人怎么听不进去话呢"),
        ("dont.blame_shift", "货是第三方发的，有问题您找他们"),
        ("dont.blame_shift", "那是之前的客服答应你的，我不知道"),
        ("dont.blame_shift", "物业费的事归开发商管，我们这边没法弄"),
        ("dont.blame_shift", "这个得问医生，我们只管挂号"),
        ("dont.blame_customer", "你当时要是仔细看一下说明就不会这样"),
        ("dont.blame_customer", "您下单的时候就应该看清楚规格"),
        ("dont.blame_customer", "早点来办就不会过期了"),
    ],
)
def test_the_rules_own_model_flags_wordings_no_phrase_names(rule: str, text: str) -> None:
    for channel in ("chat", "call"):
        found = [f for f in findings(text, channel) if f.rule_id == rule]
        assert [(f.turn_index, f.tier) for f in found] == [(2, "review")], channel  # a flag, never a deduction
        ev = found[0].evidence.to_json()
        assert ev["operator"] == "learned" and ev["matched"] == f"agent_{rule.split('.')[1]}"
        assert 0.8 <= ev["score"] <= 1
        assert found[0].span == (0, len(text)) and found[0].match == text  # the whole turn


@pytest.mark.parametrize(
    "text",
    [
        "您好，这个问题我马上帮您联系仓库核实",
        "非常抱歉让您久等了，我这边已经为您加急处理",
        "这个需要商家处理，我这边帮您联系商家，稍后回复您",  # a referral with ownership
        "请您提供一下订单号，我帮您查询",
        "这个确实是我们的疏忽，给您添麻烦了",
        "好的，已经为您登记，两个工作日内会有专人回电",
        "建议您先重启路由器，如果还不行我给您派师傅上门",
        "这事不怪您，是我们系统的问题，我马上处理",  # exonerating: dont.blame_customer's `unless`
        "不是您的错，我们一起看看怎么解决",
        "以免您没注意到，我把链接再发您一次",  # a precaution: dont.blame_customer's `unless`
        "防止您再输错，我帮您把步骤列出来",
    ],
)
def test_professional_turns_are_not_flagged(text: str) -> None:
    assert findings(text) == [] and findings(text, "call") == []


def test_a_turn_too_short_for_a_model_is_left_to_the_phrases() -> None:
    from qa_audit.rules.learned_model import load_turn_model

    assert load_turn_model("agent_blame_shift").probability("您找他们去吧") >= 0.8  # the model would flag it
    assert "learned" not in [f.evidence.to_json()["operator"] for f in findings("找他们去吧")]  # 5 letters: not scored


def test_a_phrase_hit_deducts_where_the_rule_deducts_and_the_models_hit_only_flags(tmp_path: Path) -> None:
    from qa_audit.model import Conversation, Turn
    from qa_audit.rules import load_ruleset
    from qa_audit.rules.engine import Engine

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(LEAF_RULE.format(model="agent_blame_shift", min="          min: 0.8\n"), "utf-8")
    engine = Engine(load_ruleset(rules))  # t.leaf deducts (tier deduct, the default)

    def found(text: str) -> list[tuple[str, str]]:
        conv = Conversation("t", (Turn(0, "customer", "物业费怎么算"), Turn(1, "agent", text)))
        return [(f.tier, f.evidence.to_json()["operator"]) for f in engine.audit(conv).findings]

    assert found("这个不归我们管，您问开发商吧") == [("deduct", "any")]
    assert found("物业费的事归开发商管，我们这边没法弄") == [("review", "learned")]


def test_the_rules_exceptions_apply_to_the_models_hit() -> None:
    # dont.blame_shift: ownership in the same turn (帮您联系) excuses it
    assert [f.rule_id for f in findings("物业费的事归开发商管，我们这边没法弄")] == ["dont.blame_shift"]
    assert findings("物业费的事归开发商管，我帮您联系开发商") == []
    # ... and in the next agent turn (unless_nearby)
    result = audit(
        "客服：您好",
        "客户：物业费怎么算",
        "客服：物业费的事归开发商管，我们这边没法弄",
        "客户：那怎么办",
        "客服：我马上帮您联系开发商，稍后给您回电",
    )
    assert [f.rule_id for f in result.findings if f.rule_id == "dont.blame_shift"] == []


def test_a_models_flag_explains_itself_in_chinese() -> None:
    finding = next(f for f in findings("货是第三方发的，有问题您找他们") if f.rule_id == "dont.blame_shift")
    sentence = evidence_sentence(finding, None, ())
    assert sentence.startswith("模型 agent_blame_shift 判断整句疑似违规（概率 0.")
    assert "主要依据 「" in sentence


def test_the_four_models_share_one_count_of_a_turns_ngrams() -> None:
    # the three leaves and the family's flag (dont.improper_language) are trained on the same rows
    from qa_audit.normalize import normalize
    from qa_audit.rules.learned_model import MODEL_NAME, load_turn_model

    models = [load_turn_model(f"agent_{r.split('.')[1]}") for r in LEAF_RULES] + [load_turn_model(MODEL_NAME)]
    assert len({m.vocab_key for m in models}) == 1 and len({id(m.reader) for m in models}) == 1
    text = normalize("这个得问医生，我们只管挂号").text
    counts = models[0].counts(text)
    assert [m.probability_of(counts) for m in models] == [m.probability(text) for m in models]
    assert len({round(m.probability(text), 6) for m in models}) == 4  # four different models, one count


LEAF_RULE = (
    "rules:\n"
    "  - id: t.leaf\n"
    "    title: t\n"
    "    kind: forbid\n"
    "    severity: minor\n"
    "    points: 1\n"
    "    message: m\n"
    "    source: s\n"
    "    match:\n"
    "      or:\n"
    "        - any: [不归我们管]\n"
    "        - learned: {model}\n"
    "{min}"
    "    examples: {{fire: [不归我们管], pass: [您好]}}\n"
)


def check(tmp_path: Path, text: str) -> tuple[int, list[dict]]:
    """`qa-audit rules check --format json` on a one-file pack."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(text, encoding="utf-8")
    res = CliRunner().invoke(main, ["rules", "check", str(rules), "--format", "json"])
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip().startswith("[") else []


def test_a_leaf_naming_a_model_that_is_not_shipped_is_refused_at_its_line(tmp_path: Path) -> None:
    code, problems = check(tmp_path, LEAF_RULE.format(model="no_such_model", min="          min: 0.8\n"))
    qa205 = [p for p in problems if p.get("code") == "QA205"]
    assert code == 2 and qa205 and qa205[0]["line"] == 12 and "no_such_model" in qa205[0]["message"]


def test_a_leaf_without_min_is_refused(tmp_path: Path) -> None:
    code, problems = check(tmp_path, LEAF_RULE.format(model="agent_harsh", min=""))
    assert code == 2 and any("min" in p["message"] for p in problems), problems


def test_a_pack_with_a_leaf_checks_clean(tmp_path: Path) -> None:
    code, problems = check(tmp_path, LEAF_RULE.format(model="agent_harsh", min="          min: 0.8\n"))
    assert code == 0 and not [p for p in problems if p.get("severity") == "error"], problems
