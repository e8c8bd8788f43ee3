from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_audit import segment as seg_mod
from qa_audit.normalize import normalize
from qa_audit.segment import Token, add_user_words, segment

TEXTS = [
    "这个不归我们管,您打别的电话吧",
    "请问还有什么可以帮您的吗? 祝您生活愉快,再见!",
    "[订单x]还请您稍等,正在为您查询~ 大概需要[数字x]-[数字x]天.",
    "我的iphone 2.4g 路由器😀坏了,,, 嗯嗯",
]


def _assert_covers(text: str, tokens: tuple[Token, ...]) -> None:
    assert "".join(t.text for t in tokens) == text
    pos = 0
    for t in tokens:
        assert t.start == pos and t.end == pos + len(t.text) > t.start
        assert text[t.start : t.end] == t.text
        pos = t.end
    assert pos == len(text)


def test_tokens_cover_real_turns_contiguously() -> None:
    for text in TEXTS:
        _assert_covers(text, segment(text))
    assert segment("") == ()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*"您好请问不归我们管 ,.?abc123😀[]_\t", "再见", "2.4g"]), max_size=30).map("".join))
def test_tokens_cover_any_text_contiguously(text: str) -> None:
    _assert_covers(text, segment(text))


def _words(text: str) -> list[str]:
    return [t.text for t in segment(text)]


def test_added_rule_phrases_come_back_as_one_token() -> None:
    text = normalize("这个不归我们管,请问还有什么可以帮您的吗?").text
    add_user_words(["不归我们管", "请问还有什么可以帮您"])
    words = _words(text)
    assert "不归我们管" in words
    assert "请问还有什么可以帮您" in words


def test_phrases_are_normalised_before_they_are_added() -> None:
    add_user_words(["實在抱歉讓您久等"])  # Traditional in the rule file, Simplified in the transcript
    assert "实在抱歉让您久等" in _words(normalize("真是實在抱歉讓您久等了").text)


def test_adding_a_word_twice_changes_nothing() -> None:
    add_user_words(["帮您加急处理"])
    tok = seg_mod._get()
    before = (tok.total, tok.FREQ["帮您加急处理"])
    add_user_words(["帮您加急处理", "幫您加急處理"])
    assert (tok.total, tok.FREQ["帮您加急处理"]) == before
    assert "帮您加急处理" in _words("马上帮您加急处理")


def test_segmenting_prints_nothing(capfd) -> None:
    segment("您好,请问有什么可以帮您?")
    add_user_words(["有什么可以帮您"])
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_first_use_in_a_fresh_process_is_silent() -> None:
    code = (
        "from qa_audit.segment import add_user_words, segment\n"
        "add_user_words(['不归我们管'])\n"
        "assert '不归我们管' in [t.text for t in segment('这不归我们管')]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_common_words_read_from_the_file_are_those_of_jiebas_tokenizer() -> None:
    import jieba

    tok = jieba.Tokenizer()
    tok.initialize()
    expected = frozenset(w for w, f in tok.FREQ.items() if f >= seg_mod._WORD_FREQ and 2 <= len(w) <= 3)
    assert seg_mod._common_words() == expected
    assert "钱包" in expected and "预约" in expected and "不好意思" not in expected


def test_dictionary_word_refuses_lengths_it_does_not_know() -> None:
    assert seg_mod.dictionary_word("钱包") and not seg_mod.dictionary_word("包您")
    with pytest.raises(ValueError, match="2 or 3 characters"):
        seg_mod.dictionary_word("不好意思")
