"""Feature extraction shared by training and prediction: character n-grams and jieba words.

Training and prediction call the same `analyze`, so the model file only needs the vocabulary and
the idf weights; no scikit-learn object is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_audit.classify.text import jieba_tokenizer

# Bump when `analyze` changes: a model trained with other features must not load silently.
FEATURES_VERSION = 1


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model uses: char n-grams of length char_min..char_max and/or jieba words."""

    char_min: int = 1
    char_max: int = 3
    words: bool = True

    def __post_init__(self) -> None:
        if self.char_max and not 1 <= self.char_min <= self.char_max:
            raise ValueError(f"bad char n-gram range {self.char_min}..{self.char_max}")
        if not self.char_max and not self.words:
            raise ValueError("a feature spec needs char n-grams or words")

    @property
    def name(self) -> str:
        """Return a short readable name, e.g. 'words+char1-3'."""
        parts = ["words"] if self.words else []
        if self.char_max:
            parts.append(f"char{self.char_min}-{self.char_max}")
        return "+".join(parts)

    def to_json(self) -> dict[str, Any]:
        """Return the spec as stored in model.json."""
        return {"char_min": self.char_min, "char_max": self.char_max, "words": self.words}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpec:
        """Build a spec from model.json (raises ValueError / TypeError on bad values)."""
        return cls(int(data["char_min"]), int(data["char_max"]), bool(data["words"]))


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def analyze(text: str, spec: FeatureSpec) -> list[str]:
    """Return the feature tokens of cleaned `text`: 'c:' + char n-grams, 'w:' + jieba words."""
    out: list[str] = []
    if spec.char_max:
        n_chars = len(text)
        for n in range(spec.char_min, spec.char_max + 1):
            for i in range(n_chars - n + 1):
                gram = text[i : i + n]
                if not gram.isspace():
                    out.append("c:" + gram)
    if spec.words:
        out.extend("w:" + w for w in jieba_tokenizer().lcut(text) if _is_word(w))
    return out


def display(token: str) -> str:
    """Return a feature token as shown to QA staff (without its kind prefix)."""
    return token[2:]
