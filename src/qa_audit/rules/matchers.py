"""The compiled matchers every rule shares: one phrase automaton, one RE2 set, fuzzy (similarity: similarity.py).

Built once per rule set at start-up; per turn each engine runs once, whatever the number of rules.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import ahocorasick_rs
import re2

from qa_audit.normalize import normalize_phrase

Span = tuple[int, int]
_V = TypeVar("_V")
_MISSING = object()


class BoundedMemo:
    """Results remembered by key and all forgotten at once when `size` are held.

    Agents repeat their turns and clauses all day, so repeats cost one lookup; memory stays bounded
    whatever the input.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._found: dict[Hashable, Any] = {}

    def get(self, key: Hashable, compute: Callable[[], _V]) -> _V:
        """The result for `key`, from `compute()` the first time (or again after the memo was cleared)."""
        found = self._found.get(key, _MISSING)
        if found is _MISSING:
            if len(self._found) >= self.size:
                self._found.clear()
            found = self._found[key] = compute()
        return found

    def __len__(self) -> int:
        return len(self._found)


class lazy(Generic[_V]):  # lower case: a decorator, like functools.cached_property
    """functools.cached_property without its lock: Python 3.11's takes an RLock on every first access,
    which costs more than most of a prepared turn's properties (one object is used by one thread)."""

    def __init__(self, compute: Callable[[Any], _V]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> _V:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


class PhraseIndex:
    """All phrases of all rules in one Aho-Corasick automaton (overlapping matches)."""

    def __init__(self, phrases: set[str]) -> None:
        self.phrases = sorted({normalize_phrase(p) for p in phrases} - {""})
        self.ids = {p: i for i, p in enumerate(self.phrases)}
        self._raw_ids = {p: self.ids[normalize_phrase(p)] for p in phrases if normalize_phrase(p)}
        self._sets: dict[tuple[str, ...], frozenset[int]] = {}
        self._ac = ahocorasick_rs.AhoCorasick(self.phrases) if self.phrases else None

    def find(self, text: str) -> dict[int, list[Span]]:
        """Return phrase id -> spans of every occurrence in `text` (normalised)."""
        hits: dict[int, list[Span]] = defaultdict(list)
        if self._ac is not None and text:
            for pid, start, end in self._ac.find_matches_as_indexes(text, overlapping=True):
                hits[pid].append((start, end))
        return dict(hits)  # a plain dict: lookups of absent ids must not add keys (scans are shared)

    def ids_of(self, phrases: tuple[str, ...]) -> frozenset[int]:
        """Return the ids of a condition's (raw) phrases, computed once per phrase list."""
        found = self._sets.get(phrases)
        if found is None:
            found = self._sets[phrases] = frozenset(self._raw_ids[p] for p in phrases if p in self._raw_ids)
        return found


_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED


class RegexIndex:
    """Every regex of every rule in one RE2 filter for presence, then RE2 per matching regex for spans.

    Presence is RE2's FilteredRE2: the literal atoms every pattern needs are found in one pass of a
    literal set, and only the patterns whose atoms occur (or that have none) are run; on real text
    that never repeats this is ~9x cheaper than one RE2 set of all the patterns, whose lazily built
    DFA meets new states on every new text. The answer is the same: the ids of the patterns that
    match somewhere in the text.
    """

    def __init__(self, patterns: set[str]) -> None:
        self.patterns = sorted(patterns)
        self.ids = {p: i for i, p in enumerate(self.patterns)}
        self._compiled = [re2.compile(p) for p in self.patterns]
        self._filter = None
        if self.patterns:
            self._filter = re2.Filter()
            for p in self.patterns:
                self._filter.Add(p)
            self._filter.Compile()

    def present(self, text: str) -> frozenset[int]:
        """Return the ids of the regexes that match somewhere in `text` (one pass of the atoms, then the candidates)."""
        if self._filter is None or not text:
            return frozenset()
        return frozenset(self._filter.Match(text) or ())

    def spans(self, rid: int, text: str, data: bytes | None = None) -> list[Span]:
        """The character spans of regex `rid`'s non-empty matches in `text`, as re2's `finditer` gives them.

        `data`: `text` in UTF-8 when already encoded (a turn's regexes share one encoding). The
        search loop is `finditer`'s own (the same start after every match, one character on after
        an empty one) on the compiled RE2, without its per-match Python objects; byte offsets
        become character offsets by decoding from the previous offset (matches end on characters).
        """
        if data is None:
            data = text.encode("utf-8")
        ascii_only = len(data) == len(text)
        match = self._compiled[rid]._regexp.Match
        end, pos = len(data), 0
        last_byte = last_char = 0
        out: list[Span] = []
        while True:
            found = match(_UNANCHORED, data, pos, end)[0]
            start, stop = found
            if start < 0:
                break
            if stop > start:
                if ascii_only:
                    out.append((start, stop))
                else:
                    first = last_char + len(data[last_byte:start].decode("utf-8"))
                    last_char = first + len(data[start:stop].decode("utf-8"))
                    last_byte = stop
                    out.append((first, last_char))
            if pos == end:
                break
            if pos == stop:  # an empty match where the search started: on by one character
                pos += 1
                while pos < end and data[pos] & 0xC0 == 0x80:
                    pos += 1
            else:
                pos = stop
        return out


def re2_set_compiles(patterns: list[str]) -> bool:
    """Whether RE2 can compile `patterns` as one set (within RE2's default memory budget)."""
    regex_set = re2.Set.SearchSet(re2.Options())
    try:
        for p in patterns:
            regex_set.Add(p)
        regex_set.Compile()
    except re2.error:
        return False
    return True


@lru_cache(maxsize=1)
def _readings() -> dict[int, str]:
    """pypinyin's table of single-character readings ('zhōng,zhòng'), loaded without the package.

    `import pypinyin` also loads its phrase dictionary (~0.15 s per process), which single characters
    never use; the table module is plain data. A test checks `reading` against pypinyin's lazy_pinyin
    for every character of the table.
    """
    spec = importlib.util.find_spec("pypinyin")  # a top-level package is located, not run
    if spec is None or spec.origin is None:
        raise ImportError("pypinyin is not installed (pip install pypinyin)")
    table = importlib.util.spec_from_file_location(
        "qa_audit._pinyin_readings", Path(spec.origin).with_name("pinyin_dict.py")
    )
    assert table is not None and table.loader is not None  # a .py path always has a source loader
    module = importlib.util.module_from_spec(table)
    table.loader.exec_module(module)
    return module.pinyin_dict


def reading(ch: str) -> str | None:
    """Tone-less pinyin of one character as pypinyin's lazy_pinyin(style=NORMAL) gives it (ü as v)."""
    readings = _readings().get(ord(ch))
    if readings is None:
        return None
    first = unicodedata.normalize("NFD", readings.split(",")[0])
    return "".join(c for c in first if c == "\u0308" or unicodedata.category(c) != "Mn").replace("u\u0308", "v")


@lru_cache(maxsize=65536)
def _syllable(ch: str) -> str:
    """Tone-less pinyin of one character, folded for common ASR/dialect confusions."""
    s = reading(ch) if len(ch) == 1 else None
    if not s or not s.isalpha():
        return ch
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if s.startswith(a):
            s = b + s[len(a) :]
    if s.endswith("ng"):
        s = s[:-1]
    if s.startswith("l"):
        s = "n" + s[1:]
    return s


def _near(a: str, b: str) -> bool:
    """Syllables equal, or one letter added/removed at the end (nin ~ ni, hao ~ hao)."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(long_) - len(short) == 1 and long_.startswith(short) and len(short) >= 2


@dataclass(frozen=True)
class FuzzyHit:
    """A pinyin-tolerant match: where, which phrase, and the characters actually heard."""

    span: Span
    phrase: str
    variant: str


class FirstSyllables:
    """Which phrase-first syllables each character's syllable is equal or `_near` to, per character once."""

    SIZE = 100_000  # characters remembered (all forgotten at once beyond: hostile input stays bounded)

    def __init__(self, targets: Iterable[str]) -> None:
        self.targets = tuple(sorted(set(targets)))
        self._of: dict[str, tuple[str, ...]] = {}
        self.never: set[str] = set()  # characters already known to start no match (most of them)

    def of(self, ch: str) -> tuple[str, ...]:
        """The targets a match may start at `ch` for."""
        found = self._of.get(ch)
        if found is None:
            if len(self._of) >= self.SIZE:
                self._of.clear()
                self.never.clear()
            s = _syllable(ch)
            found = self._of[ch] = tuple(t for t in self.targets if s == t or _near(s, t))
            if not found:
                self.never.add(ch)
        return found


class Pinyin:
    """Where a fuzzy match may start in a text: one pass over its distinct characters for every fuzzy condition."""

    __slots__ = ("chars", "text")

    def __init__(self, text: str, first: FirstSyllables) -> None:
        self.text = text
        self.chars: dict[str, list[str]] = defaultdict(list)  # target syllable -> characters near it
        of = first.of
        for ch in set(text) - first.never:  # one set difference leaves the few that may start a match
            for t in of(ch):
                self.chars[t].append(ch)

    def starts(self, target: str, last: int) -> list[int]:
        """Positions up to `last` whose syllable is `target` or `_near` it, in text order."""
        text, out = self.text, []
        for ch in self.chars.get(target, ()):
            i = text.find(ch, 0, last + 1)
            while i >= 0:
                out.append(i)
                i = text.find(ch, i + 1, last + 1)
        out.sort()
        return out


class FuzzyMatcher:
    """Pinyin-tolerant phrase matching for ASR errors: 您好 heard as 你号, 抱歉 written 报歉."""

    def __init__(self, phrases: tuple[str, ...]) -> None:
        self.phrases = tuple(normalize_phrase(p) for p in phrases)
        self._sylls = [tuple(_syllable(c) for c in p) for p in self.phrases]
        self.first = FirstSyllables(t[0] for t in self._sylls if t)
        self.firsts = frozenset(self.first.targets)  # a match starts on a character near one of these

    def find(self, text: str, pinyin: Pinyin | None = None) -> list[FuzzyHit]:
        """Return matches whose pinyin is near a phrase's; exact matches are included too.

        `pinyin`: the text's start characters when already found (one pass per turn for all conditions,
        over a FirstSyllables holding this matcher's first syllables).
        """
        if not text:
            return []
        py = pinyin or Pinyin(text, self.first)
        hits: list[FuzzyHit] = []
        for phrase, target in zip(self.phrases, self._sylls, strict=True):
            k = len(target)
            if k > len(text):
                continue
            # a match starts on a syllable near the phrase's first one (an exact match on that very syllable)
            for i in py.starts(target[0], len(text) - k):
                window = text[i : i + k]
                if heard_as(window, [_syllable(c) for c in window], phrase, target):
                    hits.append(FuzzyHit((i, i + k), phrase, window))
        return hits


def heard_as(window: str, sylls: list[str], phrase: str, target: tuple[str, ...]) -> bool:
    """Whether `window` (syllables `sylls`) is `phrase` (syllables `target`) or what ASR makes of it.

    Every syllable near the phrase's, at most half of them inexact, and about half the characters the same.
    """
    if window == phrase:
        return True
    k = len(target)
    inexact = sum(1 for s, t in zip(sylls, target, strict=True) if s != t)
    return (
        all(_near(s, t) for s, t in zip(sylls, target, strict=True))
        and inexact <= max(1, k // 2)
        and sum(1 for a, b in zip(window, phrase, strict=True) if a == b) >= (k + 1) // 2 - (k == 2)
    )
