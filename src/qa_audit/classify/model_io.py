"""Model files: `model.json` (readable metadata) + `weights.npz` (plain numeric/text arrays).

Loading never runs code from the files: the JSON is data, and the arrays are read with
`allow_pickle=False`, so an object array (the way a pickle payload hides in .npy/.npz) is refused.
The weights are checked against the sha256 recorded in model.json, and the metadata against this
program (format, feature version, rjieba version, label set of the default taxonomy).

The hash proves only that the files belong together (anyone can recompute it), so everything is
also bounded before it is used: model.json's size (and its nesting, through RecursionError), the
weights file's size, every array's uncompressed size in the zip directory and its declared shape
and type in its .npy header, all before an array is allocated; and the numbers themselves
(temperature, coefficients, idf) to ranges where the softmax cannot overflow into NaN.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from qa_audit.classify.features import FEATURES_VERSION, FeatureSpec
from qa_audit.classify.linear import LinearModel

FORMAT = "qa-audit-linear"
FORMAT_VERSION = 1
META_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
ARRAYS = ("vocab", "idf", "coef", "intercept")
DEFAULT_TAXONOMY = "qa-audit complaint types v1"
DEFAULT_LABELS = (
    "物流配送",
    "退换货退款",
    "商品质量",
    "售后维修安装",
    "价格优惠",
    "支付账单",
    "发票",
    "订单操作",
    "账户会员",
    "商品咨询",
    "其他",
)
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # byte-identical files from identical training runs
MAX_META_BYTES = 8 << 20  # the packaged model.json is 10 KB
MAX_WEIGHTS_BYTES = 512 << 20  # compressed file and all arrays inflated; the packaged model is 0.9 MB
TEMPERATURE_RANGE = (1e-3, 1e3)  # training fits T in [e^-5, e^3] = [0.0067, 20.1]
MAX_WEIGHT = 1e6  # |coef|, |intercept| and idf; trained values are below 100


class ModelError(Exception):
    """A model directory that cannot be used; the message names the file and what is wrong."""


def library_versions() -> dict[str, str]:
    """Return the versions that matter for training and prediction."""
    import platform

    import sklearn

    import qa_audit

    return {
        "qa_audit": qa_audit.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "rjieba": rjieba_version(),
    }


def rjieba_version() -> str:
    """Return the installed rjieba version (the word segmenter: its tokens are features)."""
    from importlib.metadata import version

    return version("rjieba")


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=9)


def sha256_file(path: Path) -> str:
    """Return the sha256 hex digest of a file (read in blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def save_model(model: LinearModel, model_dir: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write `model` and its metadata into `model_dir`; return the metadata as written."""
    model_dir.mkdir(parents=True, exist_ok=True)
    weights = model_dir / WEIGHTS_FILE
    _write_npz(
        weights,
        {
            "vocab": np.array(model.vocab_list, dtype=str),
            "idf": model.idf.astype(np.float32),
            "coef": model.coef.astype(np.float32),
            "intercept": model.intercept.astype(np.float32),
        },
    )
    full = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "features_version": FEATURES_VERSION,
        "labels": list(model.labels),
        "features": model.spec.to_json(),
        "temperature": model.temperature,
        "weights_file": WEIGHTS_FILE,
        "weights_sha256": sha256_file(weights),
        "n_features": len(model.vocabulary),
        **meta,
    }
    text = json.dumps(full, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (model_dir / META_FILE).write_text(text, encoding="utf-8")
    return full


def read_meta(model_dir: Path) -> dict[str, Any]:
    """Read and check model.json of `model_dir` (ModelError when missing, corrupt or foreign)."""
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: model directory not found")
    path = model_dir / META_FILE
    if not path.is_file():
        raise ModelError(f"{path}: missing; a model directory holds {META_FILE} and {WEIGHTS_FILE}")
    if path.stat().st_size > MAX_META_BYTES:
        raise ModelError(f"{path}: {path.stat().st_size} bytes; metadata over {MAX_META_BYTES >> 20} MB is refused")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: corrupt metadata ({exc})") from None
    except RecursionError:
        raise ModelError(f"{path}: corrupt metadata (nested too deeply)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{path}: not a qa-audit model (format must be {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format version {meta.get('format_version')!r}, this qa-audit reads "
            f"{FORMAT_VERSION}; retrain with `qa-audit train`"
        )
    if meta.get("features_version") != FEATURES_VERSION:
        raise ModelError(
            f"{path}: trained with feature version {meta.get('features_version')!r}, this qa-audit "
            f"extracts version {FEATURES_VERSION}; retrain with `qa-audit train`"
        )
    labels = meta.get("labels")
    if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) for x in labels):
        raise ModelError(f"{path}: 'labels' must be a list of two or more label names")
    if len(set(labels)) != len(labels):
        raise ModelError(f"{path}: duplicate labels")
    if meta.get("taxonomy") == DEFAULT_TAXONOMY and set(labels) != set(DEFAULT_LABELS):
        raise ModelError(
            f"{path}: label set does not match the default taxonomy: expected "
            f"{'/'.join(DEFAULT_LABELS)}, found {'/'.join(labels)}"
        )
    fallback = meta.get("fallback_label")
    if fallback not in labels:
        raise ModelError(f"{path}: fallback_label {fallback!r} is not one of the labels")
    return meta


def _check_versions(meta: dict[str, Any], path: Path, spec: FeatureSpec) -> None:
    if not spec.words:
        return
    versions = meta.get("versions")
    trained = versions.get("rjieba") if isinstance(versions, dict) else None
    installed = rjieba_version()
    if trained != installed:
        raise ModelError(
            f"{path}: trained with rjieba {trained}, installed rjieba is {installed}; word "
            "features would differ. Install that rjieba version or retrain with `qa-audit train`"
        )


def load_model(model_dir: Path, eager: bool = True) -> tuple[LinearModel, dict[str, Any]]:
    """Load a model directory; raise ModelError with a clear message on any problem.

    `eager`: build the feature counter now, at start-up (else on first use: a turn model counts its
    n-grams itself and needs it only to explain a finding).
    """
    meta = read_meta(model_dir)
    meta_path = model_dir / META_FILE
    try:
        spec = FeatureSpec.from_json(meta["features"])
        temperature = float(meta["temperature"])
        threshold = float(meta["uncertain_threshold"])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # OverflowError: int(Infinity)
        raise ModelError(f"{meta_path}: bad or missing field ({exc})") from None
    low, high = TEMPERATURE_RANGE
    if not low <= temperature <= high or not 0 <= threshold <= 1:
        raise ModelError(
            f"{meta_path}: temperature {temperature!r} must be in [{low:g}, {high:g}] and "
            f"uncertain_threshold {threshold!r} in [0, 1]"
        )
    _check_versions(meta, meta_path, spec)
    weights = model_dir / str(meta.get("weights_file", WEIGHTS_FILE))
    if weights.parent != model_dir or not weights.is_file():
        raise ModelError(f"{weights}: weights file missing")
    if weights.stat().st_size > MAX_WEIGHTS_BYTES:
        raise ModelError(f"{weights}: {weights.stat().st_size} bytes, over the limit of {MAX_WEIGHTS_BYTES} bytes")
    if sha256_file(weights) != meta.get("weights_sha256"):
        raise ModelError(f"{weights}: sha256 differs from {META_FILE}; the file is corrupt or was replaced")
    arrays = _read_arrays(weights)
    labels = tuple(meta["labels"])
    vocab, idf, coef, intercept = (arrays[k] for k in ARRAYS)
    n = len(vocab)
    if idf.shape != (n,) or coef.shape != (len(labels), n) or intercept.shape != (len(labels),):
        raise ModelError(
            f"{weights}: array shapes do not match {len(labels)} labels and {n} features "
            f"(idf {idf.shape}, coef {coef.shape}, intercept {intercept.shape})"
        )
    vocabulary = {str(t): i for i, t in enumerate(vocab.tolist())}
    if len(vocabulary) != n:
        raise ModelError(f"{weights}: duplicate vocabulary entries")
    model = LinearModel(
        labels,
        spec,
        vocabulary,
        idf.astype(np.float64),
        coef.astype(np.float64),
        intercept.astype(np.float64),
        temperature,
    )
    if eager:
        model.fast  # noqa: B018 -- the automata and the word dictionary load now, at start-up
    return model, meta


def _check_members(weights: Path) -> None:
    """Refuse arrays too big to allocate, from the zip directory and the .npy headers alone."""
    with zipfile.ZipFile(weights) as zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > MAX_WEIGHTS_BYTES:
            raise ModelError(f"{weights}: arrays inflate to {total} bytes, over the limit of {MAX_WEIGHTS_BYTES}")
        for info in infos:
            with zf.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                else:
                    raise ValueError(f"unsupported .npy version {version}")
            declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if declared > info.file_size:
                raise ModelError(
                    f"{weights}: {info.filename} declares shape {shape} ({declared} bytes) but holds "
                    f"{info.file_size} bytes; refused before allocating"
                )


def _read_arrays(weights: Path) -> dict[str, np.ndarray]:
    try:
        _check_members(weights)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{weights}: corrupt weights file ({exc})") from None
    try:
        with np.load(weights, allow_pickle=False) as npz:
            names = set(npz.files)
            if names != set(ARRAYS):
                raise ModelError(f"{weights}: expected arrays {', '.join(ARRAYS)}, found {sorted(names)}")
            arrays = {k: npz[k] for k in ARRAYS}
    except ModelError:
        raise
    except ValueError as exc:
        # numpy raises ValueError for object arrays when allow_pickle=False: a pickle payload
        raise ModelError(f"{weights}: refused, the file holds Python objects, not plain arrays ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{weights}: corrupt weights file ({exc})") from None
    if arrays["vocab"].dtype.kind != "U":
        raise ModelError(f"{weights}: vocab must be a text array")
    for k in ("idf", "coef", "intercept"):
        arr = arrays[k]
        if arr.dtype.kind != "f" or not np.isfinite(arr).all():
            raise ModelError(f"{weights}: {k} must hold finite floats")
        if arr.size and (np.abs(arr).max() > MAX_WEIGHT or (k == "idf" and arr.min() <= 0)):
            raise ModelError(f"{weights}: {k} must lie within ±{MAX_WEIGHT:g} (idf above 0): damaged weights")
    return arrays
