"""What a clone of the repository needs and nothing more: the training data, the labelled sets, defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.paths import checkout_path, default_model_dir
from same_model import assert_same_model

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FILES = ("src", "tests", "bench")


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
