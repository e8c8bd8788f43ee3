from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_audit import normalize as norm_mod
from qa_audit.normalize import FILLERS, NormText, normalize, normalize_phrase

# Pieces of realistic dirty transcripts. Traditional characters here convert the same way alone or in
# context; 甚麼 / 乾淨 (converted as phrases by OpenCC) are left to the idempotence test, see GUARANTEE.
PIECES = [
    *"您好请问有什么可以帮的吗我不清楚归们管再见嗯呃",
    *"請問還說們這樣為話謝錢貨單號",
    *"ＡＢＣａｂｃ１２３，？！：；（）＿　",
    *"aB3 ,.?_\\<>[]()x0d",
    *" \t\n\r\u3000\u00a0\u200b\u200d\ufeff\u00ad\x00\x07\x85",
    *"…㈱①ﬁ㎏½´",
    "😀\ufe0f",
    "\udc80",
    "<sil>",
    "[NOISE]",
    "(笑)",
    "【静音】",
    "\\x0d\\",
    "\\ x0d \\",
    "\\x0a",
    "[订单x]",
]
dirty = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
with_phrases = st.lists(st.sampled_from([*PIECES, "甚", "麼", "乾", "淨"]), max_size=40).map("".join)
any_text = st.one_of(dirty, st.text(max_size=60), with_phrases)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_normalize_is_idempotent(s: str) -> None:
    once = normalize(s).text
    assert normalize(once).text == once
    assert normalize_phrase(s) == once


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_offsets_are_a_monotone_map_into_the_original(s: str) -> None:
    n = normalize(s)
    assert len(n.offsets) == len(n.text) + 1 and len(n.ends) == len(n.text)
    assert n.offsets[-1] == len(s)
    assert all(0 <= o <= len(s) for o in n.offsets)
    assert list(n.offsets) == sorted(n.offsets)
    # every normalised char comes from at least one original char; spans never run backwards
    assert all(n.offsets[i] < n.ends[i] <= len(s) for i in range(len(n.text)))
    assert list(n.ends) == sorted(n.ends)


def _clean_cut(n: NormText, start: int, end: int) -> bool:
    """GUARANTEE: the round trip holds for a non-empty span [start, end) of the normalised text when
    (1) it neither starts nor ends with a space (a space stands for a whole run of whitespace, and the
    ends of a text are trimmed), (2) it does not cut through the several characters one original
    character expands to (… -> ..., ㈱ -> (株)), and (3) it does not cut through a Traditional phrase
    that OpenCC converts as a unit (乾淨 -> 干净, 甚麼 -> 什么; the PIECES above contain none)."""
    t = n.text
    if not 0 <= start < end <= len(t) or t[start] == " " or t[end - 1] == " ":
        return False
    if start > 0 and n.offsets[start - 1] == n.offsets[start]:
        return False
    return not (end < len(t) and n.offsets[end] == n.offsets[end - 1])


@settings(max_examples=400, deadline=None)
@given(dirty, st.data())
def test_span_round_trips_through_the_original(s: str, data: st.DataObject) -> None:
    n = normalize(s)
    if not n.text:
        return
    start = data.draw(st.integers(0, len(n.text) - 1))
    end = data.draw(st.integers(start + 1, len(n.text)))
    if not _clean_cut(n, start, end):
        return
    a, b = n.to_original(start, end)
    assert normalize(s[a:b]).text == n.text[start:end]


def test_every_clean_span_of_a_dirty_turn_round_trips() -> None:
    s = "  請問 <sil> 還有\r\n甚麼可以幫您_的嗎？\\x0d\\\\x0d\\ ＡＢＣ…１２３  "
    n = normalize(s)
    assert n.text == "请问 还有 什么可以帮您的吗? abc...123"
    for start in range(len(n.text)):
        for end in range(start + 1, len(n.text) + 1):
            if _clean_cut(n, start, end) and not (start <= 6 < end):  # 6: 什 from 甚麼, a phrase
                a, b = n.to_original(start, end)
                assert normalize(s[a:b]).text == n.text[start:end], (start, end)


def test_full_width_letters_digits_and_punctuation() -> None:
    n = normalize("ＡＢＣ１２３，請問？！：；（）")
    assert n.text == "abc123,请问?!:;()"
    assert n.offsets == tuple(range(len(n.text) + 1))


def test_chinese_punctuation_without_nfkc_mapping_is_kept() -> None:
    assert normalize("好。好、「好」“好”").text == "好。好、「好」“好”"
    assert normalize_phrase("您好，请问？") == normalize("您好,请问?").text == "您好,请问?"


def test_traditional_to_simplified_keeps_the_phrase() -> None:
    assert normalize("請問還有甚麼").text == "请问还有什么"
    assert normalize("乾淨").text == "干净"
    assert normalize("乾隆").text == "乾隆"  # phrase context, not char by char
    assert normalize("妳好").text == "你好"  # must.nin must see 妳好 as 你好


def test_literal_x0d_escapes_from_the_seeds_are_removed() -> None:
    s = "解决问题。\\x0d\\\\x0d\\目前以一楼\\ x0d \\树立 通过\\x0d\\电话"
    n = normalize(s)
    assert n.text == "解决问题。目前以一楼树立 通过电话"
    start = n.text.index("电话")
    a, b = n.to_original(start, start + 2)
    assert s[a:b] == "电话"
    assert normalize("条件:\\x0d\\\\x0d。").text == "条件:。"  # two escapes sharing a backslash run
    assert normalize("x0d").text == "x0d"  # without a backslash it may be a real token


def test_asr_pause_marks_and_tags_are_removed_placeholders_kept() -> None:
    assert normalize("您好_请问＿有什么").text == "您好请问有什么"
    assert normalize("<sil>您好 [NOISE] 请问(笑)<unk>").text == "您好 请问"
    assert normalize("[订单x]已发货[微笑]").text == "[订单x]已发货[微笑]"


def test_crlf_and_whitespace_runs() -> None:
    s = " 您好\r\n请问\t\u3000 有什么 "
    n = normalize(s)
    assert n.text == "您好 请问 有什么"
    assert "\r" not in normalize("您好\r请问").text
    a, b = n.to_original(n.text.index("请问"), n.text.index("请问") + 2)
    assert s[a:b] == "请问"
    space = n.text.rindex(" ")
    assert s[slice(*n.to_original(space, space + 1))] == "\t\u3000 "  # one space covers its whole run


def test_invisible_and_control_characters_are_removed() -> None:
    assert normalize("\u200b您\ufeff好\u00ad\x00\u200d😀\ufe0f").text == "您好😀"
    assert normalize("\udc80好").text == "\ufffd好"  # a lone surrogate never reaches OpenCC


def test_fillers_stay_in_the_text() -> None:
    assert normalize("嗯嗯,呃您好").text == "嗯嗯,呃您好"
    assert {"嗯", "呃"} <= FILLERS


def test_expansion_maps_back_to_its_single_original_character() -> None:
    n = normalize("好…吧")
    assert n.text == "好...吧"
    assert n.to_original(1, 4) == (1, 2)
    assert n.to_original(2, 3) == (1, 2)
    assert n.to_original(4, 4) == (2, 2)
    with pytest.raises(ValueError, match="outside"):
        n.to_original(3, 9)


def test_skipped_blocks_of_the_table_are_really_fixed_points() -> None:
    table, _ = norm_mod._tables()
    missed = [cp for cp in range(0x110000) if cp not in table and norm_mod._map_one(chr(cp)) != chr(cp)]
    assert missed == []
