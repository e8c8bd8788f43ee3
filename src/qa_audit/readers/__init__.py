"""Read transcripts (JSONL, JSON, CSV/TSV, XLSX, plain text) into Conversations, never raising on bad records.

Every input record ends as exactly one `Conversation` or one `Rejected` (read = audited +
quarantined). A conversation id seen again later in the same run is a duplicate: the first
readable conversation with that id is kept and every later one is rejected, naming where the
first was read. Errors in the arguments themselves (a missing path, an unknown encoding or
column mapping) raise `ReadError` at call time, before anything is read.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path

from ..model import Conversation, Rejected
from .asr import FORMATS as ASR_FORMATS
from .asr import SpeakerMap, looks_like_asr, parse_speaker_map, read_asr
from .build import reject
from .encoding import check_encoding, detect_encoding
from .headers import normalize_overrides
from .jsonl import read_json, read_jsonl
from .paths import SUFFIXES, ReadError, expand_inputs
from .tabular import is_tab_table, read_csv
from .text import read_text
from .xlsx import read_xlsx

__all__ = [
    "ASR_FORMATS",
    "SUFFIXES",
    "DuplicateIds",
    "ReadError",
    "SpeakerMap",
    "expand_inputs",
    "parse_speaker_map",
    "read_file",
    "read_inputs",
]


def read_inputs(
    inputs: Sequence[str | Path],
    *,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    speakers: SpeakerMap | None = None,
    asr_format: str | None = None,
) -> Generator[Conversation | Rejected, None, None]:
    """Stream every conversation of `inputs` (files, directories, globs) in input order.

    `encoding` overrides per-file detection for text formats; `columns` maps a spreadsheet header
    to a canonical field (e.g. {"坐席": "agent_id"}); `speakers` maps ASR speaker ids to roles;
    `asr_format` forces the vendor of every .json file. Raises ReadError for bad arguments.
    """
    if asr_format is not None and asr_format not in ASR_FORMATS:
        raise ReadError(f"unknown ASR format {asr_format!r}; expected one of {' '.join(ASR_FORMATS)}")
    paths = expand_inputs(inputs)
    overrides = normalize_overrides(columns)
    if encoding is not None:
        try:
            encoding = check_encoding(encoding)
        except LookupError:
            raise ReadError(f"unknown encoding {encoding!r} (未知编码)") from None
    return _read_all(paths, encoding, overrides, speakers or SpeakerMap(), asr_format)


class DuplicateIds:
    """The duplicate-id check of a run over `paths`: the first conversation read with an id is kept.

    Used by `read_inputs`, and by the Dask engine on the merged results of its per-file tasks, so
    that both quarantine the same records with the same reason.
    """

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.paths = list(paths)
        self.first: dict[str, tuple[int, int | None]] = {}  # id -> (index in paths, line) of the kept one

    def check(self, k: int, conv: Conversation) -> Rejected | None:
        """Return None when `conv` (read from `paths[k]`) is kept, else its quarantine record."""
        seen = self.first.get(conv.conversation_id)
        if seen is None:
            self.first[conv.conversation_id] = (k, conv.line)
            return None
        where = f"{self.paths[seen[0]]}:{seen[1]}" if seen[1] is not None else str(self.paths[seen[0]])
        reason = f"duplicate conversation_id (重复的会话ID) {conv.conversation_id!r}; first read at {where}"
        return reject(conv.source, conv.line, reason, conv.conversation_id, _summary(conv))


def _read_all(
    paths: list[Path],
    encoding: str | None,
    overrides: Mapping[str, str],
    speakers: SpeakerMap,
    asr_format: str | None,
) -> Generator[Conversation | Rejected, None, None]:
    duplicates = DuplicateIds(paths)
    for k, path in enumerate(paths):
        for item in read_file(path, encoding=encoding, columns=overrides, speakers=speakers, asr_format=asr_format):
            if isinstance(item, Conversation):
                yield duplicates.check(k, item) or item
            else:
                yield item


def read_file(
    path: str | Path,
    *,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    speakers: SpeakerMap | None = None,
    asr_format: str | None = None,
) -> Iterator[Conversation | Rejected]:
    """Stream the conversations of one file, chosen by suffix (no duplicate check across calls).

    `columns` must already be normalised (`headers.normalize_overrides`) when coming from
    `read_inputs`; a plain mapping works too. A .json file shaped like a cloud ASR result (or any
    .json with `asr_format`) is read as one call (`readers.asr`).
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return read_jsonl(path, source, encoding)
    if suffix == ".json":
        if asr_format or looks_like_asr(path):
            return read_asr(path, source, encoding, speakers or SpeakerMap(), asr_format)
        return read_json(path, source, encoding)
    if suffix in (".csv", ".tsv"):
        return read_csv(path, source, encoding, normalize_overrides(columns), "\t" if suffix == ".tsv" else None)
    if suffix == ".xlsx":
        return read_xlsx(path, source, normalize_overrides(columns))
    if suffix == ".txt":
        try:
            enc = encoding or detect_encoding(path)  # once, for the table check and the reader alike
        except OSError:
            return read_text(path, source, encoding)  # which reports it as a quarantined file
        overrides = normalize_overrides(columns)
        if is_tab_table(path, enc, overrides):
            return read_csv(path, source, enc, overrides, "\t")
        return read_text(path, source, enc)
    raise ReadError(f"{path}: unsupported file type {suffix or '(none)'!r}; expected one of {' '.join(SUFFIXES)}")


def _summary(conv: Conversation) -> str:
    """A short JSON view of a conversation for the quarantine `raw` field."""
    turns = [{"role": t.role, "text": t.text[:200]} for t in conv.turns[:10]]
    return json.dumps({"conversation_id": conv.conversation_id, "turns": turns}, ensure_ascii=False)
