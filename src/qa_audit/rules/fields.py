"""One place for the shape of a rule file: frozen dataclasses whose fields are the YAML keys.

A spec's fields give, in one place, the key, its type, its default and its documentation. From them
`schema_of` writes the JSON Schema (rules/schema.json is generated, see schema_gen.py) and `build`
turns a validated YAML mapping into the spec, so the schema, the loader and the engine cannot drift.

Field types understood: str, bool, int, float (converted with float()), `int | float` (a number kept
as written), Literal[...] (an enum), tuple[str, ...] (a phrase list), Cond (a condition), a nested
spec dataclass (an object), and `X | None` (optional). `meta(schema=...)` overrides the schema of
any other type.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeGuard

from qa_audit.rules.spec import Cond, meta

__all__ = ["COND", "PHRASES", "build", "cond_paths", "meta", "properties", "schema_of"]

PHRASES = {"$ref": "#/$defs/phrases"}
MODEL_FOLDER = r"[a-z][a-z0-9_]{0,63}"  # a turn model: a folder name of the packaged models
COND = {"$ref": "#/$defs/cond"}

MakeCond = Callable[[dict[str, Any], str], Cond]


def yaml_key(f: dataclasses.Field) -> str:
    """The YAML key of a spec field."""
    return f.metadata.get("key") or f.name


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type(cls: type, name: str) -> Any:
    """The type of field `name` of `cls`, without `| None` (a key that may be absent)."""
    tp = _hints(cls)[name]
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else functools.reduce(operator.or_, args)
    return tp


def _is_spec(tp: Any) -> TypeGuard[type]:
    """True for a nested spec: a dataclass type (not an instance)."""
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _is_number(tp: Any) -> bool:
    return set(typing.get_args(tp)) == {int, float}


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if tp is Cond:
        return dict(COND)
    if _is_spec(tp):
        name = tp.__name__.lower()
        if name not in defs:
            defs[name] = None  # placeholder against recursion
            defs[name] = schema_of(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    if typing.get_origin(tp) is Literal:
        return {"enum": list(typing.get_args(tp))}
    if typing.get_origin(tp) is tuple and typing.get_args(tp) == (str, ...):
        return dict(PHRASES)
    if _is_number(tp) or tp is float:
        return {"type": "number"}
    simple = {str: "string", bool: "boolean", int: "integer"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"no JSON Schema for field type {tp!r}; give meta(schema=...)")


def field_schema(cls: type, f: dataclasses.Field, defs: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one field of spec `cls` (type, bounds, default, description)."""
    m = f.metadata
    tp = _type(cls, f.name)
    out = dict(m["schema"]) if m.get("schema") else _type_schema(tp, defs)
    out.update(m.get("bounds") or {})
    default = f.default
    if default is not dataclasses.MISSING and default is not None and not dataclasses.is_dataclass(default):
        out["default"] = list(default) if isinstance(default, tuple) else default
    if m.get("description"):
        out["description"] = m["description"]
    return out


def properties(cls: type, defs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The JSON Schema properties of a spec's fields and the keys it requires."""
    props, required = {}, []
    for f in dataclasses.fields(cls):
        props[yaml_key(f)] = field_schema(cls, f, defs)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(yaml_key(f))
    return props, required


def schema_of(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    """A closed JSON Schema object for a spec dataclass (unknown keys refused)."""
    props, required = properties(cls, defs)
    out: dict[str, Any] = {"type": "object", "additionalProperties": False}
    doc = (cls.__doc__ or "").strip().splitlines()
    if doc:
        out["description"] = doc[0]
    if required:
        out["required"] = required
    out["properties"] = props
    return out


def build(cls: type, raw: dict[str, Any], make_cond: MakeCond, prefix: str) -> Any:
    """Build a spec from a validated YAML mapping; absent keys take the field's default.

    A condition field becomes `make_cond(raw, prefix + ':' + cond_key)` (its key in the caches).
    """
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        key = yaml_key(f)
        if key not in raw:
            continue
        tp = _type(cls, f.name)
        value = raw[key]
        if value is None:
            kwargs[f.name] = None
        elif tp is Cond:
            kwargs[f.name] = make_cond(value, f"{prefix}:{f.metadata.get('cond_key') or key}")
        elif _is_spec(tp):
            kwargs[f.name] = build(tp, value, make_cond, prefix)
        elif tp in (float, int, bool):
            kwargs[f.name] = tp(value)
        elif typing.get_origin(tp) is tuple:
            kwargs[f.name] = tuple(value)
        else:
            kwargs[f.name] = value
    return cls(**kwargs)


def cond_paths(cls: type, raw: dict[str, Any], where: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(YAML path, raw condition) of every condition field of a spec present in `raw`."""
    for f in dataclasses.fields(cls):
        key = yaml_key(f)
        if key not in raw:
            continue
        tp = _type(cls, f.name)
        if tp is Cond:
            yield (*where, key), raw[key]
        elif _is_spec(tp) and isinstance(raw[key], dict):
            yield from cond_paths(tp, raw[key], (*where, key))
