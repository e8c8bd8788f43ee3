"""A rebuilt model folder compared with a shipped one: exactly, but for the solver's last float32 bits.

A linear model's solver sums in float64 with the CPU's BLAS kernels, so another processor moves a few
coefficients by about 1e-7 before they are stored as float32. Everything else must be rebuilt exactly:
metadata (data hash, settings, every measured count), vocabulary, idf and the model card.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SOLVED = ("coef", "intercept")  # the arrays a solver computes; the rest are counted


def assert_same_model(built: Path, shipped: Path, extra: tuple[str, ...] = ()) -> None:
    """Fail unless `built` holds the model in `shipped` (plus the files `extra` byte for byte)."""
    new, old = (json.loads((d / "model.json").read_text(encoding="utf-8")) for d in (built, shipped))
    assert {**new, "weights_sha256": None} == {**old, "weights_sha256": None}
    with np.load(built / "weights.npz") as a, np.load(shipped / "weights.npz") as b:
        assert a.files == b.files
        for name in a.files:
            if name in SOLVED:
                np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=1e-5, err_msg=name)
            else:
                assert np.array_equal(a[name], b[name]), name
    for name in extra:
        assert (built / name).read_bytes() == (shipped / name).read_bytes(), name
