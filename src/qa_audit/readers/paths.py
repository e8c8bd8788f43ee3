"""Turn the user's INPUT arguments (files, directories, globs) into an ordered list of files."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path

SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".xlsx", ".txt")
_GLOB_CHARS = frozenset("*?[")


class ReadError(Exception):
    """A usage error in the inputs (missing path, empty glob, bad option); the CLI exits with 2."""


def expand_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """Return the input files in a deterministic order, each file once.

    - a file is taken as given (its suffix must be one of `SUFFIXES`, case-insensitive);
    - a directory is searched recursively for files with a known suffix, sorted by relative path;
    - anything else containing `* ? [` is a glob (`**` recursive); matched directories are searched
      as above, matched files with an unknown suffix are ignored; matches are sorted.
    Hidden files and directories (`.name`) and Excel lock files (`~$name`) are skipped in
    directories and globs. A file reached twice (e.g. a directory and a file inside it) is read
    once, at its first position. Raises `ReadError` when an input does not exist or yields no file.
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    out: list[Path] = []
    seen: set[str] = set()
    for item in inputs:
        for path in _expand_one(str(item)):
            key = os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                out.append(path)
    if not out:
        raise ReadError("no input given (没有输入文件)")
    return out


def _expand_one(text: str) -> list[Path]:
    path = Path(text)
    if path.is_dir():
        found = _walk(path)
        if not found:
            raise ReadError(f"{text}: no input files ({' '.join(SUFFIXES)}) in this directory (目录中没有输入文件)")
        return found
    if path.exists():
        if path.suffix.lower() not in SUFFIXES:
            raise ReadError(
                f"{text}: unsupported file type {path.suffix or '(none)'!r} (不支持的文件类型); "
                f"expected one of {' '.join(SUFFIXES)}"
            )
        return [path]
    if _GLOB_CHARS & set(text):
        found = []
        for match in sorted(glob.glob(text, recursive=True)):
            m = Path(match)
            if m.is_dir():
                found.extend(_walk(m))
            elif _wanted(m):
                found.append(m)
        if not found:
            raise ReadError(f"{text}: pattern matches no input files (没有匹配的输入文件)")
        return found
    raise ReadError(f"{text}: no such file or directory (文件不存在)")


def _wanted(path: Path) -> bool:
    name = path.name
    return path.suffix.lower() in SUFFIXES and not name.startswith((".", "~$")) and path.is_file()


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found.extend(p for p in (Path(dirpath) / f for f in filenames) if _wanted(p))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())
