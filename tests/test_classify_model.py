"""Complaint-type model: training a user taxonomy end to end, the default model, data errors."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.classify import ComplaintTagger, ModelError
from qa_audit.classify.commands import evaluate_command, train_command
from qa_audit.classify.model_io import DEFAULT_LABELS
from qa_audit.classify.text import in_simplified
from qa_audit.model import Conversation, Turn
from qa_audit.paths import default_model_dir

FIXTURE = Path(__file__).parent / "fixtures" / "classify" / "new_taxonomy.csv"


def conv(*customer: str) -> Conversation:
    turns = [Turn(0, "agent", "您好，请问有什么可以帮您？")]
    turns += [Turn(i + 1, "customer", text) for i, text in enumerate(customer)]
    return Conversation("C1", tuple(turns))


@pytest.fixture(scope="module")
def user_model(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("m") / "model"
    args = [str(FIXTURE), "--text-col", "内容", "--label-col", "类别", "-o", str(out)]
    result = CliRunner().invoke(train_command, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_train_user_taxonomy_writes_model_card_and_report(user_model):
    out, output = user_model
    assert "macro-F1" in output and "baseline" in output
    assert {"model.json", "weights.npz", "MODEL_CARD.md"} <= {p.name for p in out.iterdir()}
    meta = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert set(meta["labels"]) == {"催发货", "开发票", "要退款"}
    assert meta["training"]["heldout_rows"] > 0
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Held-out metrics" in card and meta["training"]["data_sha256"] in card


def test_trained_user_model_tags_conversations(user_model):
    tagger = ComplaintTagger.load(user_model[0])
    tag = tagger.tag(conv("你好，我想问下退款什么时候到账"))
    assert tag.complaint_type == "要退款"
    assert 0 < tag.complaint_prob <= 1
    assert tag.explanation and any("退" in w for w in tag.explanation)
    empty = tagger.tag(Conversation("C2", (Turn(0, "agent", "您好"),)))
    assert empty.complaint_type in tagger.labels
    assert (empty.complaint_prob, empty.uncertain, empty.explanation) == (0.0, True, ())


def test_training_is_reproducible(user_model, tmp_path):
    again = tmp_path / "again"
    args = [str(FIXTURE), "--text-col", "内容", "--label-col", "类别", "-o", str(again)]
    assert CliRunner().invoke(train_command, args).exit_code == 0
    for name in ("model.json", "weights.npz", "MODEL_CARD.md"):
        assert (again / name).read_bytes() == (user_model[0] / name).read_bytes(), name


def test_evaluate_json_last_line(user_model):
    args = [str(user_model[0]), str(FIXTURE), "--text-col", "内容", "--label-col", "类别", "--json"]
    result = CliRunner().invoke(evaluate_command, args)
    assert result.exit_code == 0, result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert last["accuracy"] > 0.9 and last["macro_f1"] > 0.9
    assert "precision" in result.output


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("退款到哪了", "退款")] * 30, "only one class"),
        ([("退款到哪了", "退款")] * 20 + [("发票怎么开", "发票")] * 3, "too few examples for '发票' (3)"),
        ([("退款到哪了", "退款")] * 20 + [("发票怎么开", "发票")] * 19 + [("  ", "发票")], "empty text"),
    ],
)
def test_train_rejects_unusable_data(tmp_path, rows, message):
    data = _write(tmp_path / "d.csv", rows)
    result = CliRunner().invoke(train_command, [str(data), "-o", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    if message == "empty text":
        assert "rows 41" in result.output  # header is line 1: the blank text is on line 41


def test_train_names_missing_column(tmp_path):
    data = _write(tmp_path / "d.csv", [("退款到哪了", "退款")] * 20)
    result = CliRunner().invoke(train_command, [str(data), "--text-col", "内容", "-o", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "no column '内容'" in result.output and "text, label" in result.output


def test_default_model_labels_and_tags():
    tagger = ComplaintTagger.load(default_model_dir())
    assert set(tagger.labels) == set(DEFAULT_LABELS)
    tag = tagger.tag(conv("我的快递三天没动了，物流一直不更新"))
    assert tag.complaint_type == "物流配送" and not tag.uncertain
    assert tagger.tag(conv("发票抬头写错了，能帮我重新开一张增值税发票吗")).complaint_type == "发票"
    empty = tagger.tag(Conversation("C3", ()))
    assert (empty.complaint_type, empty.complaint_prob, empty.uncertain) == ("其他", 0.0, True)


def test_default_model_beats_baseline_on_jddc_heldout():
    meta = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))
    result = CliRunner().invoke(evaluate_command, [str(default_model_dir()), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert scores["macro_f1"] == meta["heldout"]["macro_f1"]  # the card's number is reproducible
    assert scores["macro_f1"] > meta["baseline_heldout"]["macro_f1"]
    assert scores["n"] == meta["training"]["heldout_rows"]


def test_default_model_is_small():
    size = sum(p.stat().st_size for p in default_model_dir().iterdir())
    assert size < 5_000_000


def test_user_model_used_by_copy(user_model, tmp_path):
    # a model directory is self-contained: it can be moved and still loads
    moved = tmp_path / "moved"
    shutil.copytree(user_model[0], moved)
    assert ComplaintTagger.load(moved).labels == ComplaintTagger.load(user_model[0]).labels


def test_load_missing_dir(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        ComplaintTagger.load(tmp_path / "nope")


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("我的快递三天没动了，物流一直不更新", "我的快遞三天沒動了，物流一直不更新"),
        ("发票抬头写错了，能帮我重新开一张增值税发票吗", "發票抬頭寫錯了，能幫我重新開一張增值稅發票嗎"),
        ("退款怎么还没到账，已经一个星期了", "退款怎麼還沒到賬，已經一個星期了"),
    ],
)
def test_a_conversation_in_traditional_characters_gets_the_type_of_its_simplified_text(simplified, traditional):
    tagger = ComplaintTagger.load(default_model_dir())
    want, got = tagger.tag(conv(simplified)), tagger.tag(conv(traditional))
    assert (got.complaint_type, got.complaint_prob) == (want.complaint_type, want.complaint_prob)


def test_a_stray_traditional_character_in_a_mainland_chat_is_read_as_written():
    text = "我的快递三天没动了，物流一直不更新，為什么"  # 1 of 19 characters: under TRADITIONAL_SHARE
    assert in_simplified(text) == text
    assert in_simplified("我的快遞三天沒動了") == "我的快递三天没动了"
