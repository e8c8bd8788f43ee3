"""The `learned` rule kind and the shipped flag of improper agent language (dont.improper_language).

Phrasings below are hand-written for this test, none copied from the model's training data
(eval/train_agent_language.py) or the blind sets; how often the model is right on unseen text is
measured in eval/blind5/README.md, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from qa_audit.classify.complaint_model import model_text
from qa_audit.cli import main
from qa_audit.model import Conversation, Finding, Turn
from qa_audit.normalize import normalize
from qa_audit.report.evidence import evidence_sentence
from qa_audit.rules import load_ruleset
from qa_audit.rules.engine import Engine
from qa_audit.rules.learned_model import WINDOW, load_turn_model, model_input, windows
from qa_audit.rules.spec import RuleSet
from test_rules_precision import audit

RULE = "dont.improper_language"
PACK = load_ruleset(Path(__file__).resolve().parents[1] / "rules")
# the rule alone, as `rules test` runs it: in the pack it yields to the family's own rules (yields_to)
ALONE = Engine(RuleSet(rules=(PACK.get(RULE),), policy=PACK.policy, version=PACK.version))
FAMILY = set(PACK.get(RULE).yields_to)  # the rules of the family it steps aside for


def conversation(text: str, channel: str = "chat", first: str = "您好，请问有什么可以帮您") -> Conversation:
    """A conversation whose second agent turn (index 2) is `text`."""
    turns = (Turn(0, "agent", first), Turn(1, "customer", "我的问题还没解决"), Turn(2, "agent", text))
    return Conversation("t", turns, channel=channel)


def flags(text: str, channel: str = "chat") -> list[Finding]:
    """The findings of the learned rule, alone, on a conversation whose second agent turn is `text`."""
    return [f for f in ALONE.audit(conversation(text, channel)).findings if f.rule_id == RULE]


FLAGGED = [
    "你连这个都不会操作吗，页面上写得明明白白",  # belittling
    "这不是我们的责任，谁让你当时不检查",  # disowning, blaming the customer
    "都说了没库存了，你再问也没用",  # impatience
    "要退就自己去网点退，我这儿办不了",  # sending the customer away
    "您这种情况我们处理不了，打市长热线去吧",
    "说过多少次了，密码要自己记住",
    "这是你自己操作失误，跟平台没关系",
]


@pytest.mark.parametrize("text", FLAGGED)
def test_improper_language_without_a_listed_phrase_is_flagged_for_review(text) -> None:
    for channel in ("chat", "call"):
        found = flags(text, channel)
        assert [(f.turn_index, f.tier) for f in found] == [(2, "review")]  # a flag, never a deduction
        ev = dict(found[0].evidence)
        assert ev["kind"] == "learned" and ev["model"] == "agent_language"
        assert ev["probability"] >= ev["min"] == 0.85
        assert ev["features"] and all(g and g in text.replace("，", ",") for g in ev["features"])


def test_in_the_pack_each_such_turn_gets_one_flag_of_the_family() -> None:
    # where a rule of the family already found the turn, the model's flag steps aside (yields_to)
    for text in FLAGGED:
        found = audit("客服：您好，请问有什么可以帮您", "客户：我的问题还没解决", f"客服：{text}").findings
        family = {f.rule_id for f in found if f.turn_index == 2 and (f.rule_id in FAMILY or f.rule_id == RULE)}
        assert family and not (RULE in family and family & FAMILY), (text, family)
        assert all(f.tier == "review" for f in found if f.rule_id in family)


@pytest.mark.parametrize(
    "text",
    [
        "这个需要您联系商家，我这边也同步帮您催一下商家",  # a referral with ownership
        "非常抱歉给您带来不便，我马上为您核实",
        "系统正在维护，预计半小时后恢复，给您添麻烦了",
        "我理解您的心情，这边先帮您登记投诉，24小时内回复您",
        "建议您先重启一下路由器试试，如果还不行我给您派单",
        "您别着急，我们一起看看怎么解决",
        "请等一下，我有些不清楚",  # the seed's trap
        "不是",  # too short for the model to read (min_chars): left to the phrase rules
        "不清楚",
    ],
)
def test_professional_and_short_turns_are_not_flagged(text) -> None:
    assert flags(text) == []


def test_a_flag_costs_no_points_and_explains_itself_in_chinese() -> None:
    result = ALONE.audit(conversation("要退就自己去网点退，我这儿办不了", first="您好"))
    finding = next(f for f in result.findings if f.rule_id == RULE)
    assert finding.tier == "review" and finding.span is None
    sentence = evidence_sentence(finding, None, ())
    assert sentence.startswith("模型 agent_language 判断为疑似不当用语（概率 ")
    assert "≥ 0.85" in sentence and "主要依据" in sentence


def test_a_rule_naming_a_model_that_is_not_shipped_is_refused_at_its_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(
        "rules:\n"
        "  - id: t.learned\n"
        "    title: t\n"
        "    kind: learned\n"
        "    severity: minor\n"
        "    points: 1\n"
        "    message: m\n"
        "    source: s\n"
        "    tier: review\n"
        "    model: no_such_model\n"
        "    min: 0.9\n"
        "    examples: {fire: [你自己去找厂家], pass: [您好]}\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["rules", "check", str(rules), "--format", "json"])
    assert res.exit_code == 2, res.output
    problems = json.loads(res.stdout)
    qa205 = [p for p in problems if p.get("code") == "QA205"]
    assert qa205 and qa205[0]["line"] == 10 and "no_such_model" in qa205[0]["message"]


@pytest.mark.parametrize("bad", ["../complaint_type", "Agent_Language", ""])
def test_a_model_name_is_a_plain_folder_name(tmp_path: Path, bad: str) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(
        "rules:\n  - id: t.learned\n    title: t\n    kind: learned\n    severity: minor\n    points: 1\n"
        f"    message: m\n    source: s\n    model: '{bad}'\n    min: 0.9\n"
        "    examples: {fire: [你自己去找厂家], pass: [您好]}\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["rules", "check", str(rules)])
    assert res.exit_code == 2 and "model" in res.output, res.output


def test_the_fast_probability_is_the_linear_models_own() -> None:
    turn_model = load_turn_model("agent_language")
    model = turn_model.model
    texts = [
        "这不是我们的责任，谁让你当时不检查",
        "您好，请问有什么可以帮您？订单[订单x]已经发货，预计3天送达",
        "不不不不不 不清楚不清楚",  # repeated n-grams: sublinear tf
        "abc \ud800 自己去找",  # a lone surrogate, replaced by normalisation
        "",
    ]
    for text in (normalize(t).text for t in texts):
        ids, vals = model.vectorize(model_input(text))
        expected = float(model.probabilities(model.scores(ids, vals))[1]) if len(ids) else 0.0
        assert abs(turn_model.probability(text) - expected) < 1e-9, text


def test_the_explaining_vector_is_the_linear_models_own_value_for_value() -> None:
    # the n-grams a finding quotes come from this vector: same ids, same order, same bits as the model's
    turn_model = load_turn_model("agent_harsh")
    path = Path(__file__).resolve().parents[1] / "eval" / "blind9" / "call" / "conversations.jsonl"
    texts = [t["text"] for c in map(json.loads, path.open(encoding="utf-8")) for t in c["turns"]][:400]
    texts += ["不不不不不 不清楚不清楚", "", "abc \ud800 自己去找"]
    for text in (model_input(normalize(t).text) for t in texts):
        ids, vals = turn_model.vectorize(text)
        want_ids, want_vals = turn_model.model.vectorize(text)
        assert np.array_equal(ids, want_ids) and np.array_equal(vals, want_vals), text


def test_a_long_turn_is_read_in_windows_and_its_worst_window_counts() -> None:
    turn_model = load_turn_model("agent_language")
    calm = "您好，您的订单已经发货了，预计明天送达，请您留意物流信息。"
    rude = "这事我们管不着，你自己找卖家去。"
    long_calm = normalize(calm * (3 * WINDOW // len(calm))).text
    assert turn_model.probability(long_calm) < 0.5
    # a rude stretch as long as a window, after two windows of calm text: that window decides
    spliced = normalize(calm * (2 * WINDOW // len(calm)) + rude * (WINDOW // len(rude) + 1)).text
    pieces = windows(model_input(spliced))
    assert len(pieces) >= 3 and all(len(p) <= WINDOW for p in pieces)
    assert turn_model.probability(spliced) == max(turn_model.probability(p) for p in pieces) >= 0.85
    assert turn_model.strongest(spliced)


def test_norms_shared_by_a_family_give_each_models_own_probability() -> None:
    # the engine computes a turn's tf-idf norms once for the models of one vocabulary and idf
    names = ("agent_language", "agent_harsh", "agent_blame_shift", "agent_blame_customer")
    models = [load_turn_model(n) for n in names]
    first = models[0]
    path = Path(__file__).resolve().parents[1] / "eval" / "blind9" / "call" / "conversations.jsonl"
    texts = [t["text"] for c in map(json.loads, path.open(encoding="utf-8")) for t in c["turns"]][:300]
    texts += ["不不不不不 不清楚不清楚", "", "abc \ud800 自己去找", "您好，请问" * 900]
    for text in (model_input(normalize(t).text) for t in texts):
        counts = first.counts_of(text)
        shared = first.norms_of(counts)
        for model in models:
            if model.norm_key == first.norm_key:
                assert model.probability_of(counts, shared) == model.probability_of(counts), text
            assert model.probability_of(counts) == max(model._probability(g) for g in counts), text


_PIECES = ["[订单编号:1]]", "[订单编号 2]", "[数字x]", "[姓名x]", "[", "]", "12", "３", "x", "您好", " ", "\n", "订单"]


@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=4), max_size=12))
def test_the_turn_model_input_shortcut_is_model_text(parts: list[str]) -> None:
    text = "".join(parts)
    assert model_input(text) == model_text(text)
