"""Complaint detection and customer type from the customer's turns, and the classify command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.classify.commands import classify_command
from qa_audit.classify.complaint import customer_type, detect_complaint, is_complaint_text
from qa_audit.model import Conversation, Turn
from qa_audit.paths import default_model_dir

LABELS = default_model_dir().parent / "complaint_labels.csv"


def conv(*turns: tuple[str, str]) -> Conversation:
    return Conversation("C1", tuple(Turn(i, role, text) for i, (role, text) in enumerate(turns)))


@pytest.mark.parametrize(
    "text",
    ["我要投诉你们", "你们这服务太差了", "到底怎么回事啊", "气死了", "我很不满意", "什么破手机",
     "已经三天了还没发货", "你们就会推卸责任"],
)  # fmt: skip
def test_dissatisfaction_is_a_complaint(text):
    assert detect_complaint(conv(("agent", "您好"), ("customer", text))).is_complaint


@pytest.mark.parametrize(
    "text",
    ["我的快递到哪了？", "请问能开发票吗", "好的，谢谢", "是到人工客服了么?", "京东从不让人失望",
     "收到的杯子有裂缝，怎么处理"],
)  # fmt: skip
def test_plain_questions_and_reports_are_not(text):
    assert not detect_complaint(conv(("customer", text)))


def test_agent_words_never_make_a_complaint():
    c = conv(("customer", "我想查下订单"), ("agent", "很抱歉让您不满意了，给您添麻烦了，您要投诉吗"))
    assert not detect_complaint(c).is_complaint


def test_evidence_points_into_the_original_turn():
    text = "你好 已经三天了还没发货，太差了！"
    result = detect_complaint(conv(("agent", "您好"), ("customer", text)))
    assert result.is_complaint
    for cue in result.cues:
        assert cue.turn_index == 1
        assert text[cue.span[0] : cue.span[1]] == cue.match
    assert any(c.match == "太差" for c in result.cues)


def test_customer_types():
    assert customer_type(conv(("customer", "什么破服务，气死我了！"))).label == "激动型"
    assert customer_type(conv(("customer", "我不明白这个是什么意思"))).label == "困惑型"
    calm = customer_type(conv(("customer", "请帮我改一下收货地址")))
    assert (calm.label, calm.cues) == ("要求型", ())


def test_precision_on_hand_labelled_jddc_turns():
    rows = list(csv.DictReader(LABELS.open(encoding="utf-8")))
    assert len(rows) >= 100
    predicted = [is_complaint_text(r["text"]).is_complaint for r in rows]
    gold = [r["is_complaint"] == "1" for r in rows]
    tp = sum(p and g for p, g in zip(predicted, gold, strict=True))
    assert sum(predicted) >= 10
    assert tp / sum(predicted) >= 0.85  # precision first: is_complaint switches rules on
    assert tp / sum(gold) >= 0.4


def test_classify_command_writes_jsonl(tmp_path):
    data = tmp_path / "in.jsonl"
    rows = [
        {"conversation_id": "A", "turns": [{"role": "客服", "text": "您好"},
                                            {"role": "客户", "text": "发票抬头写错了能重开吗"}]},
        {"conversation_id": "B", "turns": [{"role": "customer", "text": "快递五天了还没到，太慢了"}]},
    ]  # fmt: skip
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken\n", encoding="utf-8")
    out = tmp_path / "tags.jsonl"
    result = CliRunner().invoke(classify_command, [str(data), "-o", str(out)])
    assert result.exit_code == 1  # one record quarantined
    assert "could not be read" in result.output
    tags = {t["conversation_id"]: t for t in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert tags["A"]["complaint_type"] == "发票" and not tags["A"]["is_complaint"]
    assert tags["B"]["complaint_type"] == "物流配送" and tags["B"]["is_complaint"]


def test_classify_command_bad_model(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text('{"conversation_id": "A", "turns": []}\n', encoding="utf-8")
    result = CliRunner().invoke(classify_command, [str(data), "--model", str(tmp_path / "none")])
    assert result.exit_code == 2 and "model directory not found" in result.output


def test_classify_help_teaches_with_examples():
    result = CliRunner().invoke(classify_command, ["--help"])
    assert "qa-audit classify today.jsonl" in result.output
    assert Path(default_model_dir()).is_dir()


def test_cue_evidence_of_detection_and_customer_type():
    c = conv(
        ("customer", "什么破东西！！气死我了，我不明白怎么操作"),
        ("agent", "抱歉"),
        ("customer", "ＴＭＤ，到底怎么回事"),
    )
    complaint, ctype = detect_complaint(c), customer_type(c)
    assert complaint.is_complaint and ctype.label == "激动型"
    first = [(0, (7, 9), "气死", "anger"), (0, (0, 3), "什么破", "insult"), (0, (5, 6), "！", "emphasis"),
             (0, (6, 7), "！", "emphasis")]  # fmt: skip
    assert [(q.turn_index, q.span, q.match, q.kind) for q in complaint.cues] == first
    assert [(q.turn_index, q.span, q.match, q.kind) for q in ctype.cues] == [*first, (2, (0, 3), "ＴＭＤ", "insult")]
