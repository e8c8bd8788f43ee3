"""Complaint-type features: prediction's fast path equals `analyze`, the definition used in training."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_audit.classify.features import FeatureSpec, analyze, is_word, segment_words
from qa_audit.classify.linear import LinearModel
from qa_audit.classify.model_io import load_model
from qa_audit.classify.text import customer_text
from qa_audit.model import Conversation
from qa_audit.paths import default_model_dir
from qa_audit.readers import read_inputs

SAMPLES = Path(__file__).resolve().parents[1] / "sample_transcripts"
SEED_TEXTS = (
    "我的快递三天没动了，物流一直不更新！！",
    "发票抬头写错了，能帮我重新开一张增值税发票吗? kf-35gw 空调 3.5% 优惠",
    "退款退款退款 啊啊啊 aaa  a a  iphone12 pro-max example.invalid",
    "哈哈哈哈，，，？？ 。。 mercedes-benz 的配件怎么还没到",
)


@pytest.fixture(scope="module")
def default_model() -> LinearModel:
    return load_model(default_model_dir())[0]


def _char13_model() -> LinearModel:
    """A words+char1-3 model whose vocabulary comes from `analyze`, plus tokens `analyze` never makes."""
    spec = FeatureSpec(1, 3, True)
    tokens = sorted({t for text in SEED_TEXTS for t in analyze(text, spec)})
    tokens += ["c: ", "c:  ", "c:\t", "c:", "c:太长的一个", "w:，", "w: ", "x:快递"]  # never counted by analyze
    vocabulary = {t: i for i, t in enumerate(tokens)}
    n = len(tokens)
    rng = np.random.default_rng(0)
    return LinearModel(
        ("a", "b", "c"), spec, vocabulary, rng.uniform(1, 5, n), rng.normal(size=(3, n)), rng.normal(size=3), 0.5
    )


CHAR13 = _char13_model()


def _assert_same(model: LinearModel, text: str) -> None:
    ids, counts = model.fast.counts(text)
    want = Counter(analyze(text, model.spec))
    assert dict(zip(ids, counts, strict=True)) == {
        model.vocabulary[t]: k for t, k in want.items() if t in model.vocabulary
    }
    assert (ids, counts) == model.fast.reference_counts(text)  # same order too: identical float sums
    fast, ref = model.vectorize(text), model.vectorize_reference(text)
    assert np.array_equal(fast[0], ref[0]) and np.array_equal(fast[1], ref[1])


# CJK (common and rare), ASCII letters and digits, spaces of several kinds, ASCII and CJK
# punctuation, joiners that jieba and rjieba treat differently ('-', '.'), emoji and a long repeat
ALPHABET = st.sampled_from(
    list("快递物流退款发票订单的了吗我你好不没太慢啊哈")
    + list("abcxyz0123456789")
    + [" ", "  ", "\t", "\u3000", "\n"]
    + list("，。！？!?,.-_%#&+()[]【】“”")
    + ["😀", "𠀀", "é", "ﬁ"]
)
TEXTS = st.one_of(
    st.lists(ALPHABET, max_size=60).map("".join),
    st.text(max_size=40),
    st.tuples(ALPHABET, st.integers(1, 30)).map(lambda p: p[0] * p[1]),  # repeated characters
)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_fast_vectorize_equals_analyze_default_model(default_model, text):
    _assert_same(default_model, text)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_fast_vectorize_equals_analyze_char13(text):
    _assert_same(CHAR13, text)


@pytest.mark.parametrize("text", [*SEED_TEXTS, "", " ", "   ", "a", "啊", "a\ud800b快递\udfff", "\ud83d"])
def test_fast_vectorize_edge_cases(default_model, text):
    _assert_same(default_model, text)
    _assert_same(CHAR13, text)


def test_fast_vectorize_on_sample_transcripts(default_model):
    texts = [customer_text(c) for c in read_inputs([SAMPLES]) if isinstance(c, Conversation)]
    assert len(texts) > 20
    for text in texts:
        _assert_same(default_model, text)
        _assert_same(CHAR13, text)


def test_words_are_rjieba_tokens_with_a_letter_or_digit():
    assert segment_words("我的快递三天没动了") == ["我", "的", "快递", "三天", "没动", "了"]
    # rjieba keeps ASCII runs joined by '-' or '.' whole (jieba splits them): feature version 2
    assert "kf-35gw" in segment_words("空调型号kf-35gw")
    assert [t for t in analyze("快递，到了 ok", FeatureSpec(1, 1, True)) if t.startswith("w:")] == [
        "w:快递",
        "w:到",
        "w:了",
        "w:ok",
    ]
    assert not is_word("，") and not is_word(" ") and not is_word("_") and is_word("a_") and is_word("三")


def test_unpickled_model_predicts_the_same(default_model):
    # worker processes receive the model pickled: the automata are rebuilt there, not shipped
    copy = pickle.loads(pickle.dumps(default_model))
    assert "_fast" not in copy.__dict__
    for text in SEED_TEXTS:
        assert copy.predict(text) == default_model.predict(text)


def test_tagger_needs_neither_jieba_nor_sklearn():
    code = (
        "import sys\n"
        "from qa_audit.classify import ComplaintTagger\n"
        "from qa_audit.model import Conversation, Turn\n"
        "from qa_audit.paths import default_model_dir\n"
        "t = ComplaintTagger.load(default_model_dir())\n"
        "tag = t.tag(Conversation('c', (Turn(0, 'customer', '我的快递三天没动了，物流一直不更新'),)))\n"
        "assert tag.complaint_type == '物流配送', tag\n"
        "print(sorted(m for m in ('jieba', 'sklearn', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
