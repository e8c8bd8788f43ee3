"""The learned complaint model: rebuilt by its training command, probability in the evidence, safe loading."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import re2
from hypothesis import given
from hypothesis import strategies as st

from qa_audit.classify.complaint import detect_complaint, is_complaint_text
from qa_audit.classify.complaint_cues import scan
from qa_audit.classify.complaint_model import ComplaintModel, default_model_path, load_complaint_model, model_text
from qa_audit.classify.model_io import ModelError, sha256_file
from qa_audit.model import Conversation, Turn
from qa_audit.normalize import normalize
from same_model import assert_same_model

ROOT = Path(__file__).resolve().parent.parent

COMPLAINTS = ["什么破快递，气死我了", "你们的服务太差了", "都五天了还没发货", "说好的今天到呢", "道歉有什么用啊"]
FILES = ("conversations.jsonl", "gold.jsonl")
PLAIN = ["请帮我改一下收货地址", "发票抬头写错了能重开吗", "好的谢谢", "这个有黑色的吗", "退款一般多久到账？"]


def conv(*texts: str) -> Conversation:
    return Conversation("C1", tuple(Turn(i, "customer", t) for i, t in enumerate(texts)))


@pytest.mark.slow
@pytest.mark.timeout(1800)  # grouped cross-validation over ~16,000 rows: 6-10 minutes on 2 cores (2 processes)
def test_training_command_rebuilds_the_shipped_model(tmp_path):
    out = tmp_path / "model"
    subprocess.run([sys.executable, str(ROOT / "eval" / "train_complaint.py"), "--out", str(out)], check=True)
    assert_same_model(out, default_model_path())


def test_shipped_model_was_chosen_on_training_rows_only():
    meta = json.loads((default_model_path() / "model.json").read_text(encoding="utf-8"))
    sources = meta["training"]["sources"]
    assert set(sources) == {
        "eval/complaint_turns.jsonl",
        "eval/complaint_train_turns.jsonl",
        "models/complaint_labels.csv",
        "eval/blind2/chat/conversations.jsonl",
        "eval/blind2/chat/gold.jsonl",
        "eval/blind2/call/conversations.jsonl",
        "eval/blind2/call/gold.jsonl",
        "eval/complaint_written_turns.jsonl",
        "eval/complaint_intents_turns.jsonl",
        *(f"eval/blind{n}/{c}/{f}" for n in range(4, 12) for c in ("chat", "call") for f in FILES),
    }
    # the measuring sets (blind12, blind13) and the test splits are never trained on
    assert not any(m in s for s in sources for m in ("blind12", "blind13", "/test"))
    assert meta["cross_validation"]["grouped_by"] == "conversation"
    assert meta["cross_validation"]["repeats"] >= 3
    chosen = meta["cross_validation"]["chosen"]
    assert chosen["precision"] >= 0.85  # the operating point never trades precision below the goal's floor


def test_probability_ranks_clear_complaints_above_plain_requests():
    lowest = min(is_complaint_text(t).probability for t in COMPLAINTS)
    assert lowest > max(is_complaint_text(t).probability for t in PLAIN)


def test_evidence_keeps_the_cues_and_adds_the_probability():
    evidence = detect_complaint(conv("我的快递到哪了", "都三天了还没到，太慢了")).evidence()
    assert evidence["is_complaint"] is True
    assert {c["turn_index"] for c in evidence["cues"]} == {1}
    assert {"repeated", "verdict"} <= {c["kind"] for c in evidence["cues"]}
    assert 0.5 < evidence["probability"] <= 1


def test_no_complaint_reports_the_highest_probability_of_any_turn():
    turns = ("请帮我改一下收货地址", "这个有黑色的吗")
    result = detect_complaint(conv(*turns))
    assert not result.is_complaint
    assert result.probability == max(is_complaint_text(t).probability for t in turns)


@pytest.mark.parametrize(
    "text",
    [
        *COMPLAINTS,
        *PLAIN,
        "",
        "   ",
        "哈哈哈哈哈哈",
        "订单[订单x]等了[数字x]天，3天了!!",
        "說好的今天到呢？",
        "a" * 500,
    ],
)
def test_prediction_gives_exactly_the_training_features_score(text):
    # prediction's fast path must agree with the feature vector training builds (vector -> score_of)
    model = load_complaint_model()
    norm = normalize(text).text
    matches = scan(norm)
    assert model.probability(norm, matches) == pytest.approx(model.score_of(model.vector(norm, matches)), abs=1e-12)


@pytest.mark.parametrize(
    ("rule", "prob", "points", "expected"),
    [
        ("cues-or-model", 0.7, 0, True),  # the model alone, at its threshold
        ("cues-or-model", 0.1, 2, True),  # strong cues alone
        ("cues-or-model", 0.5, 1, False),  # a weak cue and a probability under the threshold
        ("model", 0.1, 4, False),  # the model decides alone: cues only count as its features
    ],
)
def test_decision_rule(rule, prob, points, expected):
    model = ComplaintModel({}, np.zeros(0), np.zeros(0), 0.0, (), 1.0, 0.6, rule)
    assert model.decide(prob, points) is expected


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "complaint_detect"
    shutil.copytree(default_model_path(), target)
    return target


def test_replaced_weights_are_refused_with_the_file_named(tmp_path):
    model_dir = _copy(tmp_path)
    with zipfile.ZipFile(model_dir / "weights.npz", "a") as zf:
        zf.writestr("extra.npy", b"")
    with pytest.raises(ModelError, match=r"weights\.npz: sha256 differs"):
        load_complaint_model(model_dir)


def test_pickled_arrays_are_refused(tmp_path):
    model_dir = _copy(tmp_path)
    weights = model_dir / "weights.npz"
    np.savez(weights, vocab=np.array([{"x": 1}], dtype=object), idf=np.ones(1), coef=np.ones(14), intercept=np.ones(1))
    meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    meta["weights_sha256"] = sha256_file(weights)
    (model_dir / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="refused, the file holds Python objects"):
        load_complaint_model(model_dir)


def test_a_model_trained_on_other_cue_kinds_asks_for_retraining(tmp_path):
    model_dir = _copy(tmp_path)
    meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    meta["kinds"] = meta["kinds"][:-1]
    (model_dir / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match=r"retrain with `python eval/train_complaint\.py`"):
        load_complaint_model(model_dir)


def test_missing_model_folder_is_named(tmp_path):
    with pytest.raises(ModelError, match=r"model\.json: missing"):
        load_complaint_model(tmp_path / "nowhere")


def test_decisions_and_ranking_on_the_held_out_test_split():
    # eval/complaint_turns.jsonl `test` (802 turns, 44 complaints) was never trained or tuned on. The model
    # trained with blind4-6's turns: 30 of 37 right, 30 of 44 found; this one, trained with blind4-11's,
    # 29 of 39, 29 of 44: better on every other channel measured (blind12, blind13) and worse on JD text.
    # The floors are a chosen trade-off (eval/blind13/README.md), not "just under what was measured"
    from qa_audit.classify.complaint_train import average_precision

    rows = map(json.loads, (ROOT / "eval" / "complaint_turns.jsonl").open(encoding="utf-8"))
    test = [r for r in rows if r["split"] == "test"]
    assert len(test) > 700
    results = [is_complaint_text(r["text"]) for r in test]
    gold = [r["is_complaint"] for r in test]
    said = [res.is_complaint for res in results]
    right = sum(s and g for s, g in zip(said, gold, strict=True))
    assert right >= 29 and right / sum(said) >= 0.70
    assert average_precision(gold, np.array([res.probability for res in results])) >= 0.48


# written for this test (never copied from labelled data): complaints of the kinds the intent queries
# hold, mostly without a cue word, and look-alike questions about the same topics
CUELESS = [
    "单子被你们的快递弄丢了",
    "审核都三天了一点动静没有",
    "客服一直不回消息",
    "东西都烂了还怎么吃",
    "一个退款拖了一个礼拜",
    "页面写着有货，下了单又说缺货",
    "下单前问了三遍都说能按时到",
]
LOOK_ALIKES = [
    "京东自营是次日达吗",
    "退款一般几天到账",
    "帮我查一下物流到哪了",
    "这个降价了能保价吗",
    "我不想退了，怎么撤销",
    "我又下了一单，麻烦一起发",
    "这个现在有货吗",
    "我想问下能按时到吗",
]


def test_probability_ranks_cueless_complaints_above_look_alikes_which_never_fire():
    from qa_audit.classify.complaint_train import average_precision

    results = [is_complaint_text(t) for t in CUELESS + LOOK_ALIKES]
    assert not any(r.is_complaint for r in results[len(CUELESS) :])  # the model decides nothing alone
    gold = [True] * len(CUELESS) + [False] * len(LOOK_ALIKES)
    assert average_precision(gold, np.array([r.probability for r in results])) >= 0.9


# RE2's \s is [\t\n\f\r ] (not Unicode whitespace): the reference below is model_text as RE2 alone wrote it
_REF_CARD = re2.compile(r"\[订单编号[^\n]*?\]\]|\[订单编号[^\]\n]*\]")
_REF_MASK = re2.compile(r"\[[^\[\]\s]{1,12}x\]|[0-9]+")
_MODEL_PIECES = ["[订单编号:1]]", "[订单编号 2]", "[订单编号", "[数字x]", "[姓名x]", "[", "]", "x", "12", "３", "٣"]
_SPACES = [" ", "\t", "\n", "\f", "\r", "\v", "\u3000", "\x85", "\xa0"]


@given(st.lists(st.sampled_from(_MODEL_PIECES + _SPACES) | st.text(max_size=4), max_size=14))
def test_model_text_is_the_two_re2_substitutions(parts: list[str]) -> None:
    text = "".join(parts)
    assert model_text(text) == _REF_MASK.sub("#", _REF_CARD.sub(" ", text))


@pytest.mark.parametrize("space", _SPACES)
def test_model_text_masks_as_re2_around_every_kind_of_space(space: str) -> None:
    text = f"等了[数{space}x]天，[订单编号{space}1]，[{space}x] 3天"
    assert model_text(text) == _REF_MASK.sub("#", _REF_CARD.sub(" ", text))
