"""Hostile rule and model files: refused with exit 2 and a message naming the file (and line), before
any work, in bounded time and memory; never an internal error (exit 3) or a NaN in the outputs.
"""

from __future__ import annotations

import io
import json
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qa_audit.classify.model_io import sha256_file
from qa_audit.cli import main
from qa_audit.paths import default_model_dir
from qa_audit.rules.yamlfile import YamlError, load_yaml

RULES = Path(__file__).resolve().parents[1] / "rules"
CONV = {
    "conversation_id": "C1",
    "turns": [
        {"role": "agent", "text": "您好，请问有什么可以帮您？"},
        {"role": "customer", "text": "我的快递三天没动了"},
    ],
}


def _input(tmp: Path) -> Path:
    path = tmp / "in.jsonl"
    path.write_text(json.dumps(CONV, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _points(tmp: Path, value: str) -> tuple[Path, int]:
    """A copy of the packaged rules whose first `points:` in dont.yaml is `value`; returns its line."""
    rules = tmp / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "dont.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = next(i for i, x in enumerate(lines) if x.strip().startswith("points:"))
    lines[i] = lines[i].split(":")[0] + f": {value}\n"
    path.write_text("".join(lines), encoding="utf-8")
    return rules, i + 1


# --- rule files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1:" * 40_000 + "1",
        "-1:30",
        "1:30.5",
        "2026-13-45",
        "2026-11-21",
        "2026-11-21T09:12:00",
        "1" * 5000,
        "-" + "9" * 40,
    ],
    ids=["base-60 bomb", "base-60", "base-60 float", "invalid date", "date", "timestamp", "5000 digits", "40 digits"],
)
def test_implicit_dates_base60_and_huge_integers_are_refused_with_file_and_line(tmp_path: Path, value: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(f"rules:\n  - id: x\n    points: {value}\n", encoding="utf-8")
    with pytest.raises(YamlError) as err:
        load_yaml(path)
    assert err.value.line == 3 and "quote" in err.value.message


def test_quoted_dates_and_ordinary_numbers_still_load(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("a: '2026-11-21'\nb: '1:30'\nc: 123456789012\nd: -2.5\ne: 1.0e+3\nf: 0x1F\n", encoding="utf-8")
    assert load_yaml(path).data == {"a": "2026-11-21", "b": "1:30", "c": 123456789012, "d": -2.5, "e": 1e3, "f": 31}


def test_base60_bomb_is_refused_in_linear_time(tmp_path: Path) -> None:
    def seconds(n: int) -> float:
        path = tmp_path / f"b{n}.yaml"
        path.write_text("a:\n  b: " + "1:" * n + "1\n", encoding="utf-8")
        best = float("inf")
        for _ in range(3):  # the best of three: a busy machine adds noise, never removes it
            t0 = time.perf_counter()
            with pytest.raises(YamlError):
                load_yaml(path)
            best = min(best, time.perf_counter() - t0)
        return max(best, 0.01)

    assert seconds(200_000) / seconds(50_000) < 8  # quadratic growth gives 16


@pytest.mark.parametrize("value", ["2026-13-45", "1" * 5000, "1:" * 2000 + "1"])
def test_bad_scalar_in_a_rule_file_exits_2_naming_file_and_line(tmp_path: Path, value: str) -> None:
    rules, line = _points(tmp_path, value)
    res = CliRunner().invoke(main, ["audit", str(_input(tmp_path)), "-o", str(tmp_path / "out"), "--rules", str(rules)])
    assert res.exit_code == 2, res.output
    assert f"dont.yaml:{line}" in res.output


# --- model files ------------------------------------------------------------------------------------


def _model(tmp: Path) -> Path:
    out = tmp / "model"
    shutil.copytree(default_model_dir(), out)
    return out


def _meta(model: Path, **changes: object) -> None:
    meta = json.loads((model / "model.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        head, _, tail = key.partition("__")
        if tail:
            meta[head][tail] = value
        else:
            meta[head] = value
    meta["weights_sha256"] = sha256_file(model / "weights.npz")  # an attacker can recompute the hash
    (model / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _replace_array(model: Path, name: str, member: bytes | None = None, *, zeros: int = 0) -> None:
    """Replace one array of weights.npz by raw .npy bytes, or by a float32 array of `zeros` zeros."""
    weights = model / "weights.npz"
    with np.load(weights) as npz:
        arrays = {k: npz[k] for k in npz.files}
    with zipfile.ZipFile(weights, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            if key != name:
                buf = io.BytesIO()
                np.lib.format.write_array(buf, arr)
                zf.writestr(key + ".npy", buf.getvalue())
            elif member is not None:
                zf.writestr(key + ".npy", member)
            else:
                with zf.open(key + ".npy", "w", force_zip64=True) as fh:
                    header = {"descr": "<f4", "fortran_order": False, "shape": (zeros,)}
                    np.lib.format.write_array_header_1_0(fh, header)
                    block = bytes(1 << 24)
                    for i in range(0, zeros * 4, len(block)):
                        fh.write(block[: min(len(block), zeros * 4 - i)])
    _meta(model)


def _audit_with(tmp: Path, model: Path) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["audit", str(_input(tmp)), "-o", str(tmp / "out"), "--model", str(model)])
    return res.exit_code, res.output


def test_model_json_nested_100k_deep_exits_2(tmp_path: Path) -> None:
    model = _model(tmp_path)
    (model / "model.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, output = _audit_with(tmp_path, model)
    assert code == 2, output
    assert "model.json" in output


def test_npy_header_declaring_10e12_elements_exits_2_before_allocating(tmp_path: Path) -> None:
    model = _model(tmp_path)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)})
    _replace_array(model, "coef", buf.getvalue() + bytes(64))
    code, output = _audit_with(tmp_path, model)
    assert code == 2, output
    assert "weights.npz" in output and "coef" in output


@pytest.mark.parametrize(
    "changes",
    [
        {"temperature": 5e-324},
        {"temperature": 1e300},
        {"temperature": -1.0},
        {"features__char_max": float("inf")},
        {"features__char_min": 1.5},
        {"features__char_max": True},
    ],
    ids=["subnormal temperature", "huge temperature", "negative temperature", "char_max inf", "char_min 1.5", "bool"],
)
def test_model_values_outside_a_sane_range_exit_2(tmp_path: Path, changes: dict) -> None:
    model = _model(tmp_path)
    _meta(model, **changes)
    code, output = _audit_with(tmp_path, model)
    assert code == 2, output
    assert "model.json" in output


def test_huge_coefficients_are_refused_so_no_probability_is_nan(tmp_path: Path) -> None:
    model = _model(tmp_path)
    with np.load(model / "weights.npz") as npz:
        coef = npz["coef"] * np.float32(1e30)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, coef)
    _replace_array(model, "coef", buf.getvalue())
    code, output = _audit_with(tmp_path, model)
    assert code == 2, output
    assert "coef" in output
