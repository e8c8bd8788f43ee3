"""The engine's per-turn shortcuts give what the plain definitions give, on the default pack.

Shortcuts: conditions settled from the automaton and RE2 ids (no hit possible), the n-grams of a
turn from one automaton pass, the batched similarity screen, the fuzzy starts from one pinyin pass.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_audit.model import Conversation, Turn
from qa_audit.rules import Engine, load_ruleset
from qa_audit.rules.conditions import evaluate
from qa_audit.rules.prepared import PreparedTurn
from qa_audit.rules.similarity import clause_units

RULES = Path(__file__).resolve().parents[1] / "rules"
SAMPLES = Path(__file__).resolve().parents[1] / "sample_transcripts"
# characters of the default pack's phrases and exemplars, and punctuation: texts that do hit
ALPHABET = "您你好请问稍等一下这个不归我们管没有办法找谁去抱歉对起再见谢马上帮查看，。！？ "


@cache
def engine() -> Engine:
    return Engine(load_ruleset(RULES))


def _texts() -> list[str]:
    from qa_audit.readers import read_inputs

    out = []
    for item in read_inputs([str(SAMPLES)]):
        if isinstance(item, Conversation):
            out += [t.text for t in item.turns]
    return out


def _reference_counts(text: str, spans: list[tuple[int, int]], index: dict[str, int]) -> np.ndarray:
    """The definition: per span, 1 + log(count) of each of its character 1-3-grams in the vocabulary."""
    out = np.zeros((len(spans), len(index)))
    for r, (a, b) in enumerate(spans):
        unit = text[a:b]
        grams = Counter(unit[i : i + n] for n in (1, 2, 3) for i in range(len(unit) - n + 1))
        for g, c in grams.items():
            if g in index:
                out[r, index[g]] = 1.0 + math.log(c)
    return out


def _check_turn(text: str) -> int:
    """Check one turn; return how many `similar` conditions hit on it."""
    eng = engine()
    turn = PreparedTurn(Turn(0, "agent", text), eng.matchers)
    space = eng.matchers.similar
    spans = clause_units(turn.text)
    counts = space.counts(turn.text, spans)
    assert np.array_equal(counts, _reference_counts(turn.text, spans, space.index))
    may_hit = space.screen(counts)
    reach = space.reachable(turn.text)
    hit = 0
    for key in space.matchers:
        if space.find(key, spans, counts):
            assert key in may_hit, (key, text)
            assert key in reach, (key, text)
            hit += 1
    _check_bound(turn.text, spans, reach)
    for rule in eng.ruleset.rules:
        for cond in rule.conditions():
            for negation, quoted in ((False, "count"), (True, "ignore")):
                assert turn._evaluate(cond, negation, quoted) == evaluate(cond, turn, negation=negation, quoted=quoted)
    return hit


def _check_bound(text: str, spans: list[tuple[int, int]], reach: frozenset[str] | None) -> None:
    """`reachable` is sound: each condition's bound, from the turn's n-grams, is at least its best span score."""
    space = engine().matchers.similar
    grams = np.flatnonzero(_reference_counts(text, [(0, len(text))], space.index)[0]) if text else []
    expected = set()
    for key, matcher in space.matchers.items():
        weights = np.zeros(len(space.index))
        for row in matcher._pos:
            weights[space._cols[key]] = row
            bound = math.sqrt(sum(weights[g] ** 2 for g in grams))
            if spans:
                counts = _reference_counts(text, spans, space.index)[:, space._cols[key]]
                norms = np.linalg.norm(counts, axis=1)
                norms[norms == 0] = 1.0
                assert ((counts @ row) / norms).max() <= bound + 1e-12, (key, text)
            if bound >= matcher.threshold - space.SCREEN_MARGIN:
                expected.add(key)
    assert reach == expected, text


def test_the_similarity_bound_lets_through_a_turn_near_an_exemplar() -> None:
    space = engine().matchers.similar
    assert space.reachable("好的，这个问题跟我们没关系啊") == {"dont.blame_shift:match.or17"}
    assert space.reachable("好的，请您稍等") == frozenset()


def test_shortcuts_agree_with_the_definitions_on_every_sample_turn() -> None:
    texts = _texts()
    assert len(texts) > 300
    assert sum(_check_turn(text) for text in texts) > 0  # the similarity screen is exercised


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_shortcuts_agree_with_the_definitions_on_generated_turns(text: str) -> None:
    _check_turn(text)


def test_a_span_repeating_an_ngram_hundreds_of_times_is_counted_exactly() -> None:
    space = engine().matchers.similar
    text = "好" * 600 + "，谁给您承诺的您找谁去"
    spans = clause_units(text)
    assert np.array_equal(space.counts(text, spans), _reference_counts(text, spans, space.index))


def test_a_long_turn_screened_chunk_by_chunk_gives_the_hits_of_the_whole_turn() -> None:
    import copy

    space = copy.copy(engine().matchers.similar)
    space.CHUNK, space.WINDOW = 64, 97  # many chunks, and n-grams across the automaton's window edges
    said = ["谁给您承诺的您找谁去", "这个问题跟我们没关系啊", "你自己不会看吗", "好的", "您好请问有什么可以帮您"]
    text = "，".join(said[i % len(said)] + "第" * (i % 3) for i in range(300)) + "。这是快递公司的事情你去找他们吧"
    spans = clause_units(text)
    assert len(spans) > 4 * space.CHUNK
    whole = _reference_counts(text, spans, space.index)
    long_turn = space.counts(text, spans)
    total = 0
    for key, matcher in space.matchers.items():
        expected = matcher.find(spans, whole[:, space._cols[key]])
        assert space.find(key, spans, long_turn) == expected, key
        assert (key in space.screen(long_turn)) == bool(expected)
        total += len(expected)
    assert total > 100


def _set_present(patterns: list[str], text: str) -> frozenset[int]:
    """The definition: the patterns an RE2 set finds somewhere in `text` (ids in sorted-pattern order)."""
    import re2

    options = re2.Options()
    options.max_mem = 64 << 20
    regex_set = re2.Set.SearchSet(options)
    for p in patterns:
        regex_set.Add(p)
    regex_set.Compile()
    return frozenset(regex_set.Match(text) or ()) if text else frozenset()


def test_regex_presence_from_the_filter_is_what_one_re2_set_finds() -> None:
    from qa_audit.normalize import normalize

    regexes = engine().matchers.regexes
    texts = [normalize(t).text for t in _texts()]
    found = [regexes.present(t) for t in texts]
    assert found == [_set_present(regexes.patterns, t) for t in texts]
    assert sum(map(len, found)) > 50  # the packaged patterns do match on the samples


def test_regex_presence_of_patterns_without_literal_atoms() -> None:
    from qa_audit.rules.matchers import RegexIndex

    patterns = {"^.{2}$", "[0-9]+", "(?i)HELLO", "你好|您好", "a*"}
    index = RegexIndex(patterns)
    for text in ("ab", "12", "hello 你好", "HeLLo", "您好呀", "", "x"):
        assert index.present(text) == _set_present(index.patterns, text), text


def _finditer_spans(pattern: str, text: str) -> list[tuple[int, int]]:
    """The definition: the non-empty matches re2's finditer gives, as character spans."""
    import re2

    return [m.span() for m in re2.compile(pattern).finditer(text) if m.end() > m.start()]


def test_regex_spans_from_one_utf8_encoding_are_what_finditer_gives() -> None:
    from qa_audit.rules.matchers import RegexIndex

    patterns = {"a*", "好|您", "^.{2}", "(你|您)好", "x?", "[😀-🙏]+", "\\b", "呀$", "(?i)hello"}
    index = RegexIndex(patterns)
    texts = ["", "aa好您", "您好您好aa", "é你好😀😀呀", "hello HELLO 呀", "ab", "😀a😀aa呀"]
    for text in texts:
        for rid, pattern in enumerate(index.patterns):
            assert index.spans(rid, text) == _finditer_spans(pattern, text), (pattern, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET + "aé😀0123456789", max_size=40))
def test_regex_spans_of_the_default_pack_are_what_finditer_gives(text: str) -> None:
    regexes = engine().matchers.regexes
    for rid, pattern in enumerate(regexes.patterns):
        assert regexes.spans(rid, text) == _finditer_spans(pattern, text), pattern


# an `or` of many children of every sort: phrase leaves (sharing phrases), regexes, fuzzy, none,
# nested and/or subtrees, and an `any` with exceptions: the live children found from the turn's bits
# give the outcome the definition gives
_WIDE_OR = {
    "or": [
        {"any": ["您好", "请问"]},
        {"any": ["请问", "稍等"], "unless": ["不"]},
        {"regex": "抱歉|对不起"},
        {"regex": "[0-9]+天"},
        {"fuzzy": ["谢谢"]},
        {"none": ["再见"]},
        {"and": [{"any": ["帮您"]}, {"regex": "查(一下|看)"}]},
        {"or": [{"any": ["没有办法"]}, {"regex": "找谁"}, {"fuzzy": ["不好意思"]}]},
        *({"any": [f"词{i}", "您好"]} for i in range(12)),
    ]
}


@cache
def _wide_engine() -> Engine:
    import tempfile

    import yaml

    rule = {"id": "t.wide", "kind": "forbid", "match": _WIDE_OR, "title": "t", "severity": "minor", "points": 1}
    rule |= {"message": "m", "source": "test", "examples": {"fire": ["您好"], "pass": ["再见"]}}
    folder = Path(tempfile.mkdtemp())
    (folder / "r.yaml").write_text(yaml.safe_dump({"rules": [rule]}, allow_unicode=True), encoding="utf-8")
    return Engine(load_ruleset(folder))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "您好",
                "请问",
                "稍等",
                "不",
                "抱歉",
                "3天",
                "谢谢",
                "泻泄",
                "再见",
                "帮您",
                "查一下",
                "没有办法",
                "找谁",
                "不好意思",
                "布好意思",
                "词3",
                "词11",
                "，",
                "啊",
            ]
        ),
        max_size=12,
    )
)
def test_an_or_settles_its_live_children_as_the_definition_does(words: list[str]) -> None:
    eng = _wide_engine()
    [cond] = eng.ruleset.rules[0].conditions()
    turn = PreparedTurn(Turn(0, "agent", "".join(words)), eng.matchers)
    for negation, quoted in ((False, "count"), (True, "ignore")):
        assert turn._evaluate(cond, negation, quoted) == evaluate(cond, turn, negation=negation, quoted=quoted)
