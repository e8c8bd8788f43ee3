"""What a clone of the repository needs and nothing more: the training data, the labelled sets, defaults."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.paths import checkout_path, default_model_dir
from qa_audit.privacy import find_personal_data
from same_model import assert_same_model

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FILES = ("src", "tests", "bench", "eval")


def test_nothing_refers_to_the_development_folder_beside_the_repository():
    needle = "../" + "shared"
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for top in SOURCE_FILES
        for p in sorted((ROOT / top).rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if needle in line or 'parent / "' + 'shared"' in line
    ]
    assert not offenders


def test_jddc_training_data_is_in_the_repository_with_its_licence():
    data = ROOT / "data" / "jddc_intents"
    assert checkout_path("data/jddc_intents") == data
    assert {"dev.tsv", "test.tsv", "LICENSE-2.0.txt", "README.md"} <= {p.name for p in data.iterdir()}
    assert "Apache License" in (data / "LICENSE-2.0.txt").read_text(encoding="utf-8")
    card = (default_model_dir() / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "data/jddc_intents/LICENSE-2.0.txt" in card


def test_rules_eval_defaults_to_the_labelled_utterances_of_the_clone():
    default = CliRunner().invoke(main, ["rules", "eval", "--json"])
    explicit = CliRunner().invoke(main, ["rules", "eval", "--utterances", str(ROOT / "eval" / "utterances.jsonl")])
    explicit_json = CliRunner().invoke(
        main, ["rules", "eval", "--utterances", str(ROOT / "eval" / "utterances.jsonl"), "--json"]
    )
    assert default.exit_code == explicit.exit_code == 0, default.output
    assert default.output == explicit_json.output
    assert "200 utterances (test)" in explicit.output


def test_rules_eval_gold_needs_the_transcripts_it_labels():
    result = CliRunner().invoke(main, ["rules", "eval", "--gold", str(ROOT / "eval" / "jddc_gold.jsonl")])
    assert result.exit_code == 2
    assert "--transcripts" in result.output


@pytest.mark.slow
def test_train_rebuilds_the_shipped_model(tmp_path):
    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["train", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert_same_model(out, default_model_dir(), extra=("MODEL_CARD.md",))
    assert json.loads((out / "model.json").read_text(encoding="utf-8"))["training"]["rows"] == 9064


def test_the_benchmark_real_text_ships_with_the_clone(monkeypatch):
    monkeypatch.delenv("QA_AUDIT_BENCH_REAL", raising=False)
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from bench_audit import real_inputs

    found = real_inputs(None)
    assert [p.relative_to(ROOT).as_posix() for p in found] == [
        "data/jddc_dialogues/sessions.jsonl",
        "data/jddc_agent_replies/replies.jsonl",
    ]
    ids = [json.loads(line)["conversation_id"] for p in found for line in p.open(encoding="utf-8")]
    assert len(ids) == len(set(ids)) > 9000


_LONG_NUMBER = re.compile(r"(?<![\dA-Za-z_])\d{9,}(?!\d)")  # account, phone or ID digits; ORDERID_… are the publisher's


@pytest.mark.parametrize("name", ["jddc_dialogues/sessions.jsonl", "jddc_agent_replies/replies.jsonl"])
def test_the_real_conversations_hold_no_personal_data(name):
    bad = []
    for n, line in enumerate((ROOT / "data" / name).open(encoding="utf-8"), 1):
        for turn in json.loads(line)["turns"]:
            if find_personal_data(turn["text"]) or _LONG_NUMBER.search(turn["text"]):
                bad.append(f"{name}:{n}")
    assert not bad
