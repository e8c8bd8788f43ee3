"""Labelled training data: user tables (CSV/TSV/XLSX), the JDDC intents in data/, and the held-out split.

Every problem with the data is a DataError whose message names the file, the column or the rows.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from qa_audit.classify.text import clean
from qa_audit.paths import checkout_path, packaged_models_dir

HOLDOUT_EVERY = 5  # one text group in five (20 %) of every class is held out
MIN_PER_CLASS = 10
MAX_ROWS_SHOWN = 8


class DataError(ValueError):
    """Training or evaluation data that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Dataset:
    """Labelled texts (original, uncleaned) with where they came from."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    source: str
    strata: tuple[str, ...] = ()  # finer labels to stratify the split by (JDDC intents); else labels

    def sha256(self) -> str:
        """Return a hash of the (text, label) rows: the training-data fingerprint in the model card."""
        h = hashlib.sha256()
        for text, label in zip(self.texts, self.labels, strict=True):
            h.update(f"{text}\t{label}\n".encode())
        return h.hexdigest()

    def subset(self, idx: list[int]) -> Dataset:
        """Return the rows at `idx`, in that order."""
        strata = tuple(self.strata[i] for i in idx) if self.strata else ()
        return Dataset(tuple(self.texts[i] for i in idx), tuple(self.labels[i] for i in idx), self.source, strata)


def _rows(idx: list[int], offset: int) -> str:
    shown = ", ".join(str(i + offset) for i in idx[:MAX_ROWS_SHOWN])
    return shown + (f" … ({len(idx)} in all)" if len(idx) > MAX_ROWS_SHOWN else "")


def read_table(path: Path, text_col: str, label_col: str, *, encoding: str | None = None) -> Dataset:
    """Read a labelled CSV / TSV / XLSX with a header row; reject empty texts and labels by row."""
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
            first_row = 2  # row 1 is the header in Excel's own numbering
        elif suffix in (".csv", ".tsv", ".txt"):
            sep = "\t" if suffix == ".tsv" else ","
            frame = None
            for enc in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
                try:
                    frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=enc)
                    break
                except UnicodeDecodeError:
                    continue
            if frame is None:
                raise DataError(f"{path}: not UTF-8 or GB18030 text; give --encoding")
            first_row = 2  # line 1 is the header
        else:
            raise DataError(f"{path}: unsupported file type {suffix!r}; use .csv, .tsv or .xlsx")
    except DataError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many types for broken files
        raise DataError(f"{path}: cannot read: {exc}") from None
    for col, opt in ((text_col, "--text-col"), (label_col, "--label-col")):
        if col not in frame.columns:
            cols = ", ".join(map(str, frame.columns))
            raise DataError(f"{path}: no column {col!r} ({opt}); the columns are: {cols}")
    texts = [str(t) for t in frame[text_col]]
    labels = [str(v).strip() for v in frame[label_col]]
    empty = [i for i, t in enumerate(texts) if not clean(t)]
    if empty:
        raise DataError(
            f"{path}: empty text in column {text_col!r} on rows {_rows(empty, first_row)}; "
            "fill them in or delete those rows"
        )
    unlabelled = [i for i, v in enumerate(labels) if not v]
    if unlabelled:
        raise DataError(f"{path}: empty label in column {label_col!r} on rows {_rows(unlabelled, first_row)}")
    return Dataset(tuple(texts), tuple(labels), str(path))


def check_trainable(data: Dataset, min_per_class: int = MIN_PER_CLASS) -> None:
    """Raise DataError unless there are two or more classes with `min_per_class` examples each."""
    counts = Counter(data.labels)
    if len(counts) < 2:
        only = next(iter(counts), "nothing")
        raise DataError(f"{data.source}: only one class ({only!r}); a classifier needs at least two labels")
    small = sorted((n, label) for label, n in counts.items() if n < min_per_class)
    if small:
        listed = ", ".join(f"{label!r} ({n})" for n, label in small)
        raise DataError(
            f"{data.source}: too few examples for {listed}; every class needs at least "
            f"{min_per_class} (some are held out for the report); add examples or merge classes"
        )


def holdout_split(data: Dataset) -> tuple[list[int], list[int]]:
    """Return (train, held-out) row indices: 1 in 5 text groups of every class, chosen by hash.

    Rows whose cleaned text is identical form one group and fall on the same side, so a duplicate
    can never leak into the held-out part. The choice depends on the text only (sha256 order within
    each stratum), not on a random generator or a library version.
    """
    strata = data.strata or data.labels
    groups: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(data.texts):
        groups[clean(text)].append(i)
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for key, rows in groups.items():
        by_stratum[strata[rows[0]]].append(key)
    held: set[str] = set()
    for keys in by_stratum.values():
        keys.sort(key=lambda k: hashlib.sha256(k.encode()).hexdigest())
        held.update(keys[HOLDOUT_EVERY - 1 :: HOLDOUT_EVERY])
    train = [i for i, t in enumerate(data.texts) if clean(t) not in held]
    test = [i for i, t in enumerate(data.texts) if clean(t) in held]
    return train, test


# ---- the JDDC intents in data/ ------------------------------------------------------------------------

# in the source repository only (not in the wheel): from a wheel, run in a clone's root or give --jddc-dir
JDDC_DIR = checkout_path("data/jddc_intents") or Path("data", "jddc_intents")
MAPPING_FILE = packaged_models_dir() / "intent_mapping.csv"
JDDC_SOURCE = "jddc_intents dev.tsv + test.tsv"


def read_mapping(path: Path = MAPPING_FILE) -> dict[str, str]:
    """Return intent -> complaint type from the reviewed mapping file."""
    if not path.is_file():
        raise DataError(f"{path}: intent mapping not found")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    mapping = {r["intent"].strip(): r["label"].strip() for r in rows if r.get("intent")}
    if not mapping:
        raise DataError(f"{path}: no rows (columns intent,label,note)")
    return mapping


def read_jddc(data_dir: Path = JDDC_DIR, mapping_path: Path = MAPPING_FILE) -> Dataset:
    """Read dev.tsv + test.tsv of the JDDC intents, labelled through the mapping file."""
    mapping = read_mapping(mapping_path)
    texts: list[str] = []
    labels: list[str] = []
    intents: list[str] = []
    for name in ("dev.tsv", "test.tsv"):
        path = data_dir / name
        if not path.is_file():
            raise DataError(
                f"{path}: JDDC intents not found (they come with the source repository, data/jddc_intents/)"
            )
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3:
                    raise DataError(f"{path}:{lineno}: expected id<TAB>query<TAB>intent")
                _, query, intent = (p.strip() for p in parts)
                if intent not in mapping:
                    raise DataError(f"{path}:{lineno}: intent {intent!r} is missing from {mapping_path}")
                if clean(query):
                    texts.append(query)
                    labels.append(mapping[intent])
                    intents.append(intent)
    return Dataset(tuple(texts), tuple(labels), JDDC_SOURCE, tuple(intents))
