"""Masking on the view a reader gets: characters the normaliser drops cannot hide a number.

The numbers are the fake test numbers the masker's own docs use (138 0013 8000), never real ones.
"""

from __future__ import annotations

import unicodedata

import pytest

from qa_audit.privacy import mask_rejected, mask_text
from qa_audit.readers.build import reject

HIDDEN = {
    "zero-width space": "\u200b",
    "word joiner": "\u2060",
    "soft hyphen": "\u00ad",
    "NBSP": "\u00a0",
    "tab": "\t",
    "double space": "  ",
    "line separator": "\u2028",
    "BOM": "\ufeff",
}


def _as_read(text: str) -> str:
    """What a reader makes of the text: NFKC, invisible characters and all white space dropped."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if c.isalnum() or c in "*＊@.")


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_a_number_split_by_invisible_or_white_space_is_masked(name: str) -> None:
    sep = HIDDEN[name]
    text = f"我的手机是{sep.join(['138', '0013', '8000'])}，谢谢"
    masked = mask_text(text)
    assert len(masked) == len(text)
    assert "1380013" not in _as_read(masked) and _as_read(masked).endswith("8000谢谢")


@pytest.mark.parametrize(
    "digits",
    [
        "".join(chr(0x1D7CE + int(d)) for d in "13800138000"),  # mathematical bold
        "".join("⓪①②③④⑤⑥⑦⑧⑨"[int(d)] for d in "13800138000"),  # circled
        "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)] for d in "13800138000"),  # superscript
    ],
)
def test_a_number_in_styled_digits_is_masked(digits: str) -> None:
    masked = mask_text(f"电话{digits}")
    assert "1380013" not in _as_read(masked)


def test_quarantine_raw_is_never_cut_inside_a_number_before_masking() -> None:
    raw = "a" * 1995 + "13800138000" + "b" * 50
    masked = mask_rejected(reject("f.jsonl", 1, "bad", raw=raw))
    assert "13800" not in masked.raw  # not even the part before the cut
