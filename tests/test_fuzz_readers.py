"""Readers under hostile input: wrong types in every field, odd characters, huge and many turns.

Complements test_readers_props.py (random bytes) and test_readers.py (one bad field at a time):
here every field of a record is drawn valid or hostile at once, and a record must be quarantined
exactly when one of its fields is hostile, with its line; sizes are pushed to what exports produce.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_audit.model import Conversation, Rejected
from qa_audit.readers import read_inputs

N = settings.default.max_examples

# Text a transcript may carry: control characters, emoji, CJK, full-width, quotes, \r and \n.
# NUL and lone surrogates are not text (they are quarantined); they are drawn as hostile values.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
DEEP = st.integers(50, 400).map(lambda n: json.loads("[" * n + "]" * n))
WRONG_SCALAR = st.one_of(
    st.booleans(), st.lists(st.integers(), max_size=2), st.dictionaries(TEXT, st.integers(), max_size=2), DEEP
)
BAD_TEXT = st.one_of(TEXT.map(lambda s: s + "\x00"), st.tuples(TEXT, SURROGATE).map("".join))


def field(valid: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """(value, hostile?) pairs."""
    return st.one_of(valid.map(lambda v: (v, False)), hostile.map(lambda v: (v, True)))


ID_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12)
FIELDS = {
    "conversation_id": field(
        st.one_of(ID_TEXT, st.integers(0, 10**12)), st.one_of(st.none(), st.just("  "), WRONG_SCALAR, BAD_TEXT)
    ),
    "channel": field(
        st.sampled_from([None, "chat", "call", "电话", "在线"]),
        st.one_of(st.sampled_from(["email", "tv", 5]), WRONG_SCALAR),
    ),
    "agent_id": field(st.one_of(st.none(), ID_TEXT, st.integers(0, 9999)), st.one_of(WRONG_SCALAR, BAD_TEXT)),
    "agent_name": field(st.one_of(st.none(), TEXT), st.one_of(WRONG_SCALAR, BAD_TEXT)),
    "team": field(st.one_of(st.none(), TEXT), st.one_of(WRONG_SCALAR, BAD_TEXT)),
    "started_at": field(
        st.sampled_from([None, "2026-11-21T09:12:00+08:00", "2026/11/21 09:12"]),
        st.one_of(st.sampled_from(["yesterday", "2026-13-45", 20261121]), WRONG_SCALAR),
    ),
}
TURN_FIELDS = {
    "role": field(
        st.sampled_from(["agent", "customer", "system", "客服", "坐席", "用户", " Agent "]),
        st.one_of(st.sampled_from([None, "", "主管", 7]), WRONG_SCALAR, BAD_TEXT),
    ),
    "text": field(TEXT, st.one_of(st.none(), st.integers(), WRONG_SCALAR, BAD_TEXT)),
    "start": field(
        st.one_of(st.none(), st.floats(0, 1e6), st.sampled_from(["00:01:02", "2.5"])),
        st.one_of(st.sampled_from([-1, "abc", "nan", "inf", float("inf"), float("nan")]), WRONG_SCALAR),
    ),
    "ts": field(
        st.sampled_from([None, "2026-11-21T09:12:05", "09:12:05"]),
        st.one_of(st.sampled_from(["yesterday", "25:61"]), WRONG_SCALAR),
    ),
}


@st.composite
def records(draw: st.DrawFn) -> tuple[dict, bool, str]:
    """A record, whether it holds a hostile value, and its text for the JSONL line."""
    rec: dict = {}
    hostile = False
    for key, strat in FIELDS.items():
        value, bad = draw(strat)
        if value is not None or draw(st.booleans()):
            rec[key] = value
        hostile |= bad
    shape = draw(st.sampled_from(["list", "list", "list", "empty", "string", "missing"]))
    if shape == "list":
        turns = []
        for _ in range(draw(st.integers(1, 4))):
            turn = {}
            for key, strat in TURN_FIELDS.items():
                value, bad = draw(strat)
                turn[key] = value
                hostile |= bad
            turns.append(turn if draw(st.integers(0, 20)) != 0 else "not an object")
            hostile |= isinstance(turns[-1], str)
        rec["turns"] = turns
    else:
        hostile = True
        if shape != "missing":
            rec["turns"] = [] if shape == "empty" else "您好"
    line = json.dumps(rec, ensure_ascii=True)  # lone surrogates survive as \ud800 escapes
    return rec, hostile, line


def read_lines(lines: list[str], suffix: str = ".jsonl") -> list[Conversation | Rejected]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"in{suffix}"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return list(read_inputs([path]))


@settings(max_examples=N * 2)
@given(st.lists(records(), min_size=1, max_size=6, unique_by=lambda r: str(r[0].get("conversation_id"))))
def test_a_record_is_quarantined_exactly_when_a_field_is_hostile(batch):
    items = read_lines([line for _, _, line in batch])
    assert len(items) == len(batch)
    for n, (item, (rec, hostile, _)) in enumerate(zip(items, batch, strict=True), start=1):
        assert item.line == n
        if hostile:
            assert isinstance(item, Rejected), rec
            assert item.reason.strip()
            json.dumps(item.to_json(), ensure_ascii=False).encode("utf-8")  # the quarantine row can be written
        else:
            assert isinstance(item, Conversation), item
            assert [t.text for t in item.turns] == [t["text"].replace("\r", "") for t in rec["turns"]]


@settings(max_examples=N)
@given(
    st.lists(
        st.tuples(st.sampled_from(["C1", "C2", "C3"]), st.sampled_from(["客服", "客户"]), TEXT), min_size=1, max_size=12
    ),
    st.sampled_from(["utf-8", "utf-8-sig"]),
    st.sampled_from([",", "\t", ";"]),
)
def test_csv_cells_with_newlines_quotes_and_delimiters_round_trip(rows, encoding, delimiter):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(["会话ID", "角色", "内容"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        path.write_bytes(buf.getvalue().encode(encoding))
        items = list(read_inputs([path]))
    by_id = {i.conversation_id: i for i in items if isinstance(i, Conversation)}
    assert len(by_id) == len(items) == len({cid for cid, _, _ in rows})
    for cid, conv in by_id.items():
        expected = [text.replace("\r", "").strip() for c, _, text in rows if c == cid]
        assert [t.text for t in conv.turns] == expected


def test_lone_surrogates_and_nul_in_any_text_field_are_quarantined_and_printable(tmp_path):
    base = {"conversation_id": "C", "agent_name": "王丽", "turns": [{"role": "agent", "text": "您好"}]}
    variants = [
        {**base, "agent_name": "王\ud800丽"},
        {**base, "team": "\udfff"},
        {**base, "turns": [{"role": "agent", "text": "您\ud83d好"}]},
        {**base, "turns": [{"role": "agent\x00", "text": "您好"}]},
        {**base, "turns": [{"role": "agent", "text": "您好", "ts": "\ud800"}]},
    ]
    path = tmp_path / "a.jsonl"
    path.write_text(
        "\n".join(json.dumps({**v, "conversation_id": f"C{i}"}) for i, v in enumerate(variants)) + "\n",
        encoding="utf-8",
    )
    items = list(read_inputs([path]))
    assert all(isinstance(i, Rejected) for i in items) and len(items) == len(variants)
    for item in items:
        row = json.dumps(item.to_json(), ensure_ascii=False)
        row.encode("utf-8")  # strict: no surrogate reaches quarantine.jsonl
        assert "undecodable bytes or NUL" in item.reason


def test_control_characters_are_kept_in_the_text_read(tmp_path):
    text = "您好\x01\x07\x1b[31m请问\x7f\u200b\u202e有什么\x0b可以帮您"
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps({"conversation_id": "C", "turns": [{"role": "agent", "text": text}]}) + "\n", encoding="utf-8"
    )
    [conv] = read_inputs([path])
    assert conv.turns[0].text == text  # the original is kept; the normaliser drops them for matching


def test_nesting_inside_a_field_or_a_json_list_is_quarantined_not_a_crash(tmp_path):
    deep = "[" * 50_000 + "]" * 50_000
    good = json.dumps({"conversation_id": "G", "turns": [{"role": "agent", "text": "您好"}]})
    path = tmp_path / "a.jsonl"
    path.write_text(
        f'{good}\n{{"conversation_id": "D", "turns": [{{"role": "agent", "text": {deep}}}]}}\n'
        f"{good.replace('G', 'H')}\n",
        encoding="utf-8",
    )
    items = list(read_inputs([path]))
    assert [type(i).__name__ for i in items] == ["Conversation", "Rejected", "Conversation"]
    assert items[1].line == 2 and "invalid JSON" in items[1].reason
    listed = tmp_path / "b.json"
    listed.write_text(f"[{good},\n{deep},\n{good.replace('G', 'H')}]", encoding="utf-8")
    items = list(read_inputs([listed]))
    assert isinstance(items[0], Conversation) and isinstance(items[1], Rejected) and items[1].line == 2


BIG = "您好，这是一段很长的通话转写。" * 70_000  # ~1 M characters


@pytest.mark.parametrize("suffix", [".csv", ".txt"])
def test_a_one_megabyte_turn_is_read_whole_from_csv_and_text(tmp_path, suffix):
    path = tmp_path / f"a{suffix}"
    if suffix == ".csv":
        path.write_text(f'会话ID,角色,内容\nC1,客服,"{BIG}"\nC1,客户,好的\n', encoding="utf-8")
    else:
        path.write_text(f"#@ conversation_id: C1\n客服：{BIG}\n客户：好的\n", encoding="utf-8")
    [conv] = read_inputs([path])
    assert len(conv.turns) == 2 and conv.turns[0].text == BIG


TURNS = 30_000


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".txt"])
def test_tens_of_thousands_of_turns_make_one_conversation(tmp_path, suffix):
    roles = ["客服", "客户"]
    path = tmp_path / f"a{suffix}"
    if suffix == ".jsonl":
        turns = [{"role": roles[i % 2], "text": f"第{i}句"} for i in range(TURNS)]
        path.write_text(
            json.dumps({"conversation_id": "L", "turns": turns}, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    elif suffix == ".csv":
        path.write_text(
            "会话ID,角色,内容\n" + "".join(f"L,{roles[i % 2]},第{i}句\n" for i in range(TURNS)), encoding="utf-8"
        )
    else:
        path.write_text(
            "#@ conversation_id: L\n" + "".join(f"{roles[i % 2]}：第{i}句\n" for i in range(TURNS)), encoding="utf-8"
        )
    [conv] = read_inputs([path])
    assert len(conv.turns) == TURNS
    assert conv.turns[-1].text == f"第{TURNS - 1}句" and conv.turns[-1].index == TURNS - 1
