"""Feature extraction shared by training and prediction: character n-grams and rjieba words.

`analyze` is the one definition of the features: training calls it, and prediction's fast path
(`fastvec.FastVectorizer`) is tested to give exactly `Counter(analyze(text))` on the vocabulary. The
model file only needs the vocabulary and the idf weights; no scikit-learn object is stored.

Words come from rjieba (the Rust port of jieba, same dictionary and algorithm, HMM on), about 15x
faster than jieba and without jieba's 0.5 s dictionary load. Its tokens equal jieba's `lcut` on
every JDDC intent text, but not always on ASCII runs joined by '-' or '.' (jieba splits `kf-35gw`,
rjieba keeps it whole), hence feature version 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_NGRAM = 8  # longest character n-gram a model may use: a damaged model.json must not ask for billions

# Bump when `analyze` changes: a model trained with other features must not load silently.
# 1: jieba lcut words; 2: rjieba words.
FEATURES_VERSION = 2
_WORD = re.compile(r"[^\W_]")  # a letter or digit: exactly str.isalnum() for every code point
_SURROGATE = re.compile(r"([\ud800-\udfff])")


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model uses: char n-grams of length char_min..char_max and/or words."""

    char_min: int = 1
    char_max: int = 3
    words: bool = True

    def __post_init__(self) -> None:
        if self.char_max and not 1 <= self.char_min <= self.char_max <= MAX_NGRAM:
            raise ValueError(f"bad char n-gram range {self.char_min}..{self.char_max} (lengths 1..{MAX_NGRAM})")
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
        char_min, char_max, words = data["char_min"], data["char_max"], data["words"]
        # exact types: int(inf) raises OverflowError, int(1.5) and bool("no") would silently change the model
        if type(char_min) is not int or type(char_max) is not int or type(words) is not bool:
            raise ValueError("features: char_min and char_max must be integers, words true or false")
        return cls(char_min, char_max, words)


@lru_cache(maxsize=1)
def word_tokenizer():
    """Return rjieba's process-wide tokenizer (the module; its dictionary loads on import, ~0.1 s).

    qa_audit never adds words to it, so it cuts with jieba's own dictionary, as training did; a private
    `rjieba.Jieba()` would load the same dictionary a second time in every process.
    """
    import rjieba

    return rjieba


def segment_words(text: str) -> list[str]:
    """Return the rjieba tokens of `text` (precise mode, HMM on), spaces and punctuation included."""
    try:
        return word_tokenizer().cut(text, hmm=True)
    except UnicodeEncodeError:
        # a lone surrogate (undecodable input kept as text) cannot cross into Rust: each one is a
        # token of its own, and the pieces between them are segmented as usual
        out: list[str] = []
        for piece in _SURROGATE.split(text):
            if _SURROGATE.fullmatch(piece):
                out.append(piece)
            elif piece:
                out.extend(word_tokenizer().cut(piece, hmm=True))
        return out


def is_word(token: str) -> bool:
    """Return whether a token is a word feature: it holds a letter or a digit (not only punctuation)."""
    return _WORD.search(token) is not None


def analyze(text: str, spec: FeatureSpec) -> list[str]:
    """Return the feature tokens of cleaned `text`: 'c:' + char n-grams, 'w:' + rjieba words."""
    out: list[str] = []
    if spec.char_max:
        n_chars = len(text)
        for n in range(spec.char_min, spec.char_max + 1):
            for i in range(n_chars - n + 1):
                gram = text[i : i + n]
                if not gram.isspace():
                    out.append("c:" + gram)
    if spec.words:
        out.extend("w:" + w for w in segment_words(text) if is_word(w))
    return out


def display(token: str) -> str:
    """Return a feature token as shown to QA staff (without its kind prefix)."""
    return token[2:]
