"""Word segmentation of normalised text with jieba: one silent tokenizer per process.

Precise mode without HMM (``Tokenizer.tokenize(text, HMM=False)``): the HMM only guesses words for
runs of characters missing from the dictionary, it is ~1.3x slower, and its guesses glue characters
onto the edges of rule phrases (see the README). Tokens cover the text contiguously, spaces and
punctuation included (one token per character outside jieba's word blocks).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa_audit.normalize import normalize_phrase

if TYPE_CHECKING:
    import jieba

__all__ = ["Token", "add_user_words", "dictionary_word", "segment"]

# jieba.suggest_freq(word) is the least frequency that keeps a word whole on its own; rule phrases get
# a margin over it so that they also win against overlapping dictionary words in context.
_USER_FREQ_FACTOR = 100

# a word of jieba's own dictionary at least this frequent is a real word (钱包 98, 预约 143; junk entries ~0)
_WORD_FREQ = 20

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_added: set[str] = set()
_pending: list[str] = []  # added words not yet in the tokenizer (it is built on first use)


@dataclass(frozen=True)
class Token:
    """One word of the normalised text: `text == normalised[start:end]`."""

    text: str
    start: int
    end: int


def _get() -> jieba.Tokenizer:
    """Return the process-wide tokenizer with every added word, creating it (silently) on first use.

    jieba and its dictionary (~0.5 s) load only here, so a rule set that never segments costs nothing.
    """
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                # jieba logs "Building prefix dict ..." at DEBUG to stderr through its own handler
                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                _tokenizer = tok
    if _pending:
        with _lock:
            for word in _pending:
                _tokenizer.add_word(word, freq=_tokenizer.suggest_freq(word, tune=False) * _USER_FREQ_FACTOR)
            _pending.clear()
    return _tokenizer


def segment(text: str) -> tuple[Token, ...]:
    """Split normalised `text` into tokens whose offsets cover it from 0 to len(text) without gaps."""
    if not text:
        return ()
    return tuple(Token(w, a, b) for w, a, b in _get().tokenize(text, HMM=False))


def add_user_words(words: Iterable[str]) -> None:
    """Make each rule phrase come back from `segment` as one token; adding a word twice does nothing.

    Phrases are normalised first (as rule phrases always are). Call it in every worker process before
    segmenting; a phrase with characters jieba never joins (punctuation, spaces) cannot become one token.
    """
    with _lock:
        for raw in words:
            word = normalize_phrase(raw)
            if len(word) < 2 or word in _added:
                continue
            _pending.append(word)
            _added.add(word)


def dictionary_word(word: str) -> bool:
    """True when `word` is a common word of jieba's own dictionary; rule phrases added as user words do not count.

    Only words of 2 or 3 characters are known (the lengths `word_cut` asks about); ValueError for others.
    """
    if not 2 <= len(word) <= 3:
        raise ValueError(f"dictionary_word knows words of 2 or 3 characters, not {word!r}")
    if normalize_phrase(word) in _added:
        return False
    return word in _common_words()


@functools.cache
def _common_words() -> frozenset[str]:
    """The 2- and 3-character words of jieba's dictionary file at least _WORD_FREQ frequent, as jieba reads them.

    Read from the file, parsing only the lines of such words, rather than by building the tokenizer
    (several times slower), which the rules need only for `words` conditions; tests/test_segment.py
    checks the set against the tokenizer's FREQ.
    """
    spec = importlib.util.find_spec("jieba")  # located, not imported
    if spec is None or spec.origin is None:
        raise ImportError("jieba is not installed (pip install jieba)")
    text = Path(spec.origin).with_name("dict.txt").read_text(encoding="utf-8")
    freq = dict(_DICT_LINE.findall(text))  # a later line wins, as in jieba
    return frozenset(word for word, n in freq.items() if int(n) >= _WORD_FREQ)


_DICT_LINE = re.compile(r"^([^ \n]{2,3}) (\d+)", re.MULTILINE)
