"""Load a YAML rule file safely and remember the line of every key, for file:line errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document with a map from a value's path to its 1-based line."""

    path: Path
    data: Any
    lines: dict[Path_, int] = field(hash=False, compare=False)
    duplicates: tuple[tuple[Path_, int], ...] = ()

    def line_of(self, where: Path_) -> int:
        """Return the line of `where`, or of its nearest ancestor that has one."""
        where = tuple(where)
        while where:
            if where in self.lines:
                return self.lines[where]
            where = where[:-1]
        return self.lines.get((), 1)


class YamlError(Exception):
    """The file is not valid YAML, or tries to construct objects."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


def load_yaml(path: Path) -> YamlDoc:
    """Parse `path` with the safe loader; never constructs Python objects."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(path, 1, f"cannot read rule file: {exc}") from exc
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)  # SafeLoader refuses object tags
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        hint = " (object tags such as !!python/object are refused)" if "constructor" in str(exc) else ""
        raise YamlError(path, line, f"invalid YAML: {exc.problem or exc}{hint}") from exc
    except yaml.YAMLError as exc:
        raise YamlError(path, 1, f"invalid YAML: {exc}") from exc
    lines: dict[Path_, int] = {}
    dups: list[tuple[Path_, int]] = []
    if node is not None:
        _walk(node, (), lines, dups)
    return YamlDoc(path=path, data=data, lines=lines, duplicates=tuple(dups))


def _walk(node: yaml.Node, where: Path_, lines: dict[Path_, int], dups: list[tuple[Path_, int]]) -> None:
    lines.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dups.append((where + (key,), key_node.start_mark.line + 1))
            seen.add(key)
            lines[where + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, where + (key,), lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[where + (i,)] = item.start_mark.line + 1
            _walk(item, where + (i,), lines, dups)
