"""JSON text that is always standard JSON: no bare NaN or Infinity, whatever a value turned out to be.

Values are bounded where they are read (timings, model weights); this is the net under that: a
non-finite float that still reaches an output is written as null, never as `NaN`/`Infinity`, which
other tools' JSON parsers refuse.
"""

from __future__ import annotations

import json
import json.encoder
import math
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import IO, Any


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


def dump(obj: Any, fh: IO[str], **kwargs: Any) -> None:
    """`json.dump(obj, fh, **kwargs)` with non-finite floats written as null."""
    fh.write(dumps(obj, **kwargs))


def encoder(
    separators: tuple[str, str] = (", ", ": "), default: Callable[[Any], Any] | None = None
) -> Callable[[Any], str]:
    """`dumps(obj, ensure_ascii=False, separators=separators, default=default)`, its encoder set up once.

    json.dumps builds an encoder on every call (a few µs, as much as encoding a small object); the
    text is the same: this is the encoder json.dumps uses, without its check for circular references.
    """
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)  # CPython's C accelerator (not in the stubs)
    if c_make_encoder is None:  # without it: json.dumps itself
        kwargs = {"ensure_ascii": False, "separators": separators, "default": default}
        return lambda obj: dumps(obj, **kwargs)
    item_sep, key_sep = separators
    fallback = default if default is not None else json.JSONEncoder().default
    make = c_make_encoder(None, fallback, encode_basestring, None, key_sep, item_sep, False, False, False)

    def encode(obj: Any) -> str:
        try:
            return "".join(make(obj, 0))
        except ValueError:  # a non-finite float somewhere: as dumps does
            return "".join(make(_finite(obj), 0))

    return encode
