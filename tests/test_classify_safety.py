"""Model files are data: a file crafted to run code on load is refused; metadata is checked."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from qa_audit.classify import ComplaintTagger, ModelError
from qa_audit.paths import default_model_dir


@pytest.fixture
def model_dir(tmp_path) -> Path:
    out = tmp_path / "model"
    shutil.copytree(default_model_dir(), out)
    return out


def _meta(model_dir: Path) -> dict:
    return json.loads((model_dir / "model.json").read_text(encoding="utf-8"))


def _save_meta(model_dir: Path, meta: dict) -> None:
    (model_dir / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


class _Exploit:
    """Unpickling this calls Path.touch on the marker: code run by merely loading the file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickle_payload_in_weights_is_refused(model_dir, tmp_path):
    marker = tmp_path / "pwned"
    weights = model_dir / "weights.npz"
    with np.load(weights, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    evil = np.empty(1, dtype=object)
    evil[0] = _Exploit(marker)
    with zipfile.ZipFile(weights, "w") as zf:
        for name, arr in {**arrays, "idf": evil}.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arr, allow_pickle=True)
            zf.writestr(name + ".npy", buf.getvalue())
    with np.load(weights, allow_pickle=True) as npz:  # a naive loader runs the payload...
        npz["idf"]
    assert marker.exists()
    marker.unlink()
    meta = _meta(model_dir)
    meta["weights_sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()  # attacker fixes the hash
    _save_meta(model_dir, meta)
    with pytest.raises(ModelError, match="refused"):
        ComplaintTagger.load(model_dir)
    assert not marker.exists()


def test_planted_pickle_file_is_never_loaded(model_dir, tmp_path):
    marker = tmp_path / "pwned"
    (model_dir / "model.pkl").write_bytes(pickle.dumps(_Exploit(marker)))
    (model_dir / "model.joblib").write_bytes(pickle.dumps(_Exploit(marker)))
    ComplaintTagger.load(model_dir)
    assert not marker.exists()


def test_replaced_weights_fail_the_hash_check(model_dir):
    (model_dir / "weights.npz").write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ModelError, match="sha256 differs"):
        ComplaintTagger.load(model_dir)


def test_corrupt_metadata(model_dir):
    (model_dir / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="corrupt metadata"):
        ComplaintTagger.load(model_dir)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": ["物流配送", "发票", "其他"]}, "label set does not match the default taxonomy"),
        ({"versions": {"rjieba": "0.1"}}, "trained with rjieba 0.1"),
        ({"versions": {"jieba": "0.42.1"}}, "trained with rjieba None"),  # a features-v1 era model
        ({"format_version": 99}, "model format version 99"),
        ({"features_version": 0}, "feature version 0"),
        ({"format": "pickle"}, "not a qa-audit model"),
        ({"fallback_label": "不存在"}, "fallback_label"),
    ],
)
def test_metadata_mismatch_is_a_clear_error(model_dir, change, message):
    _save_meta(model_dir, {**_meta(model_dir), **change})
    with pytest.raises(ModelError, match=message):
        ComplaintTagger.load(model_dir)


def test_missing_weights(model_dir):
    (model_dir / "weights.npz").unlink()
    with pytest.raises(ModelError, match="weights file missing"):
        ComplaintTagger.load(model_dir)


@pytest.mark.parametrize("char_max", [10**9, 1e300])
def test_an_absurd_n_gram_length_is_a_model_error_not_a_hang(model_dir, char_max) -> None:
    from qa_audit.classify.features import FeatureSpec

    with pytest.raises(ValueError, match="n-gram"):
        FeatureSpec(1, int(char_max), True)
    meta = _meta(model_dir)
    meta["features"]["char_max"] = char_max
    _save_meta(model_dir, meta)
    with pytest.raises(ModelError):
        ComplaintTagger.load(model_dir)
