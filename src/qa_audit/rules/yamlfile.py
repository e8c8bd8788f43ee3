"""Load a YAML rule file safely and remember where every key and value is, for file:line:col errors.

Rule files come from many hands, so loading is bounded whatever the file holds:
- only plain data is built (the safe constructor: `!!python/object` and other object tags are refused);
- a file larger than `MAX_FILE_BYTES` is refused before it is parsed;
- nesting deeper than `MAX_DEPTH` is refused from the event stream, before a tree is built (the C
  composer recurses and would crash on a file of ten thousand `[`);
- a file whose anchors and aliases (`&a` / `*a`) expand to more than `MAX_NODES` values is refused
  before it is expanded (the "billion laughs": 9 aliases of 9 aliases... is 10 lines and 10^9 values);
- YAML 1.1's implicit dates (`2026-11-21`), base-60 numbers (`1:30`, and `1:1:1:...`, whose conversion
  is quadratic) and integers of more than `MAX_INT_DIGITS` digits are refused with their line and a
  hint to quote them: a rule file has no use for them, and each was an internal error or a hang.
Time and memory are therefore linear in a file of at most `MAX_FILE_BYTES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[Any, ...]
Mark = tuple[int, int]  # 1-based line and column

MAX_FILE_BYTES = 16 << 20
MAX_DEPTH = 40  # a rule is ~4 levels deep and conditions rarely nest 5 more; deeper is a mistake or an attack
MAX_NODES = 500_000  # values after expanding aliases; ~10 times the largest realistic phrase list
MAX_INT_DIGITS = 18  # points, seconds and counts are small; int() of thousands of digits is slow or fails

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser is ~10x faster
_QUOTE = "; put it in quotes if it is text (加引号)"


class _Loader(_Base):
    """The safe loader without YAML 1.1's implicit dates, base-60 numbers and huge integers."""


def _refuse(what: str):
    def construct(loader: Any, node: yaml.ScalarNode) -> Any:
        raise yaml.constructor.ConstructorError(None, None, f"{what} {node.value[:40]!r}{_QUOTE}", node.start_mark)

    return construct


def _number(base: Any):
    def construct(loader: Any, node: yaml.ScalarNode) -> Any:
        value = str(node.value)
        if ":" in value:
            raise yaml.constructor.ConstructorError(
                None, None, f"base-60 number {value[:40]!r} (YAML 1.1){_QUOTE}", node.start_mark
            )
        if sum(c.isdigit() for c in value.partition(".")[0]) > MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of more than {MAX_INT_DIGITS} digits{_QUOTE}", node.start_mark
            )
        return base(loader, node)

    return construct


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _refuse("a date or time"))
_Loader.add_constructor("tag:yaml.org,2002:int", _number(yaml.constructor.SafeConstructor.construct_yaml_int))
_Loader.add_constructor("tag:yaml.org,2002:float", _number(yaml.constructor.SafeConstructor.construct_yaml_float))
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document with the marks of its paths: `marks` where a key (or a list item) starts,
    `value_marks` where the value of a key starts."""

    path: Path
    data: Any
    marks: dict[Path_, Mark] = field(hash=False, compare=False)
    value_marks: dict[Path_, Mark] = field(default_factory=dict, hash=False, compare=False)
    duplicates: tuple[tuple[Path_, Mark], ...] = ()

    def mark_of(self, where: Path_, *, value: bool = False) -> Mark:
        """Return the (line, column) of `where` (with value=True: of its value), or of its nearest
        ancestor that has one."""
        where = tuple(where)
        if value and where in self.value_marks:
            return self.value_marks[where]
        while where:
            if where in self.marks:
                return self.marks[where]
            where = where[:-1]
        return self.marks.get((), (1, 1))

    def line_of(self, where: Path_) -> int:
        """Return the line of `where`, or of its nearest ancestor that has one."""
        return self.mark_of(where)[0]


class YamlError(Exception):
    """The file is not valid YAML, is too big or too deep, or tries to construct objects."""

    def __init__(self, path: Path, line: int, message: str, col: int = 1) -> None:
        super().__init__(f"{path}:{line}:{col}: {message}")
        self.path, self.line, self.col, self.message = path, line, col, message


def load_yaml(path: Path, *, max_nodes: int = MAX_NODES) -> YamlDoc:
    """Parse `path` with the safe loader, within the bounds of the module docstring."""
    text = _read(path)
    _check_depth(path, text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_size(path, node, max_nodes)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _marked(path, exc) from exc
    except yaml.YAMLError as exc:
        raise YamlError(path, 1, f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    marks: dict[Path_, Mark] = {}
    values: dict[Path_, Mark] = {}
    dups: list[tuple[Path_, Mark]] = []
    if node is not None:
        _walk(node, marks, values, dups)
    return YamlDoc(path=path, data=data, marks=marks, value_marks=values, duplicates=tuple(dups))


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlError(
                path,
                1,
                f"rule file is {size / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES >> 20} MB "
                "(split it, or keep huge word lists out of rule files)",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlError(path, 1, f"cannot read rule file: {exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlError(
            path, line, f"not UTF-8 (规则文件须为UTF-8编码): byte {raw[exc.start]:#04x} at line {line}"
        ) from exc


def _marked(path: Path, exc: yaml.MarkedYAMLError) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    line, col = _mark(mark) if mark else (1, 1)
    if "maximum nesting depth" in str(exc.problem):  # libyaml's own limit, met while it scans ahead
        return YamlError(path, line, f"nested more than {MAX_DEPTH} levels deep (嵌套过深)", col)
    hint = " (object tags such as !!python/object are refused)" if "constructor" in str(exc) else ""
    return YamlError(path, line, f"invalid YAML: {exc.problem or exc}{hint}", col)


def _mark(mark: Any) -> Mark:
    return mark.line + 1, mark.column + 1


def _check_depth(path: Path, text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, reading events only (no tree, no recursion)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlError(
                        path,
                        event.start_mark.line + 1,
                        f"nested more than {MAX_DEPTH} levels deep (嵌套过深)",
                        event.start_mark.column + 1,
                    )
            elif isinstance(event, _CLOSE):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        raise _marked(path, exc) from exc
    except yaml.YAMLError as exc:
        raise YamlError(path, 1, f"invalid YAML: {exc}") from exc


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_size(path: Path, root: yaml.Node, max_nodes: int) -> None:
    """Refuse a document that expands to more than `max_nodes` values (an alias counts its whole value
    again each time) or that contains itself (a recursive alias: YAML allows it, plain data cannot)."""
    size: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            total = 1 + sum(size[id(k)] for k in _children(node))
            if total > max_nodes:
                raise YamlError(
                    path,
                    node.start_mark.line + 1,
                    f"expands to more than {max_nodes:,} values (anchors/aliases &x/*x used too "
                    "many times, or an enormous list); split the file",
                    node.start_mark.column + 1,
                )
            size[nid] = total
            open_.discard(nid)
            continue
        if nid in size:
            continue
        if nid in open_:
            line, col = _mark(node.start_mark)
            raise YamlError(path, line, "a value that contains itself (recursive alias)", col)
        open_.add(nid)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def _key(node: yaml.Node) -> Any:
    return node.value if isinstance(node, yaml.ScalarNode) else f"<{node.tag}>"


def _walk(root: yaml.Node, marks: dict[Path_, Mark], values: dict[Path_, Mark], dups: list[tuple[Path_, Mark]]) -> None:
    """Record the mark of every path, iteratively; a value reached again through an alias is not
    walked again (its paths fall back to the mark of the alias)."""
    stack: list[tuple[yaml.Node, Path_]] = [(root, ())]
    walked: set[int] = set()
    while stack:
        node, where = stack.pop()
        marks.setdefault(where, _mark(node.start_mark))
        values.setdefault(where, _mark(node.start_mark))
        if id(node) in walked:
            continue
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = _key(key_node)
                if key in seen:
                    dups.append((where + (key,), _mark(key_node.start_mark)))
                seen.add(key)
                marks[where + (key,)] = _mark(key_node.start_mark)
                stack.append((value_node, where + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                marks[where + (i,)] = _mark(item.start_mark)
                stack.append((item, where + (i,)))
