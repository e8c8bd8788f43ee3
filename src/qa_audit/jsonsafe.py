"""JSON text that is always standard JSON: no bare NaN or Infinity, whatever a value turned out to be.

Values are bounded where they are read (timings, model weights); this is the net under that: a
non-finite float that still reaches an output is written as null, never as `NaN`/`Infinity`, which
other tools' JSON parsers refuse.
"""

from __future__ import annotations

import json
import math
from typing import Any, TextIO


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(obj: Any, **kwargs: Any) -> str:
    """`json.dumps(obj, **kwargs)` with non-finite floats written as null."""
    try:
        return json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError:  # the rare case: walk the value once and dump it again
        return json.dumps(_finite(obj), allow_nan=False, **kwargs)


def dump(obj: Any, fh: TextIO, **kwargs: Any) -> None:
    """`json.dump(obj, fh, **kwargs)` with non-finite floats written as null."""
    fh.write(dumps(obj, **kwargs))
