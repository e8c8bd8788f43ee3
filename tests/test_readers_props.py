"""Readers, property-based: arbitrary input never raises, and every record is accounted for."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qa_audit.model import Conversation, Rejected
from qa_audit.readers import read_inputs

WS = b" \t\r\n\f\v"
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# text that survives a round trip through a file: no NUL, no surrogates, no line breaks
LINE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r"), max_size=30)
JSONISH = st.sampled_from(
    [
        b"{",
        b"}",
        b"[",
        b"]",
        b'"',
        b":",
        b",",
        b"\n",
        b" ",
        b"\r\n",
        b'"conversation_id"',
        b'"turns"',
        b'"role"',
        b'"text"',
        b'"agent"',
        b'"\xe5\xae\xa2\xe6\x9c\x8d"',
        b"\xef\xbb\xbf",
        b"\xff",
        b"\x00",
        b"1",
        b"null",
    ]
)
RAW_BYTES = st.one_of(st.binary(max_size=400), st.lists(JSONISH | st.binary(max_size=5), max_size=60).map(b"".join))


def read_bytes(data: bytes, suffix: str) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        items = list(read_inputs([path]))
    for item in items:
        assert isinstance(item, (Conversation, Rejected))
        assert item.source == str(path)
        if isinstance(item, Rejected):  # the quarantine row can always be written
            json.dumps(item.to_json(), ensure_ascii=False).encode("utf-8")
            assert len(item.raw) <= 2000
        else:
            assert item.turns and all(isinstance(t.text, str) for t in item.turns)
            json.dumps([t.text for t in item.turns], ensure_ascii=False).encode("utf-8")
    return items


def nonblank_lines(data: bytes) -> list[int]:
    data = data.removeprefix(b"\xef\xbb\xbf")
    return [n for n, line in enumerate(data.split(b"\n"), start=1) if line.strip(WS)]


def no_utf16_bom(data: bytes) -> bool:
    return not data.startswith((b"\xff\xfe", b"\xfe\xff"))


@SETTINGS
@given(RAW_BYTES)
def test_jsonl_every_nonblank_line_is_one_record(data):
    assume(no_utf16_bom(data))
    items = read_bytes(data, ".jsonl")
    assert [i.line for i in items] == nonblank_lines(data)


@SETTINGS
@given(RAW_BYTES)
def test_json_never_raises(data):
    read_bytes(data, ".json")


@SETTINGS
@given(RAW_BYTES)
def test_text_without_directives_is_one_record(data):
    assume(no_utf16_bom(data) and b"#@" not in data)
    items = read_bytes(data, ".txt")
    lines = nonblank_lines(data)
    assert [i.line for i in items] == lines[:1]


@SETTINGS
@given(RAW_BYTES)
def test_csv_never_raises(data):
    read_bytes(b"conversation_id,role,text\n" + data, ".csv")
    read_bytes(data, ".tsv")


TXT_LINE = st.one_of(
    st.tuples(st.just("turn"), st.sampled_from(["客服", "客户", "agent", "用户", "经理"]), LINE_TEXT),
    st.tuples(st.just("meta"), st.sampled_from(["team", "agent_id", "agent_name"]), LINE_TEXT),
    st.tuples(st.just("cid"), st.just(""), st.just("")),
    st.tuples(st.just("junk"), st.just(""), LINE_TEXT.filter(lambda s: not s.startswith("#@"))),
    st.tuples(st.just("annot"), st.sampled_from(["expect", "ok", "turn.expect", "turn.ok"]), LINE_TEXT),
)


@SETTINGS
@given(st.lists(TXT_LINE, max_size=25), st.sampled_from(["utf-8", "gb18030"]))
def test_text_one_record_per_conversation(lines, encoding):
    out, cids, preamble_content, preamble_any = [], 0, False, False
    for kind, key, text in lines:
        if kind == "cid":
            cids += 1
            out.append(f"#@ conversation_id: C{cids}")
            continue
        out.append({"turn": f"{key}：{text}", "meta": f"#@ {key}: {text}", "junk": text}.get(kind, f"#@ {key}: {text}"))
        blank = not out[-1].strip(" \t\r\n\f\v")
        if cids == 0 and not blank:
            preamble_any = True
            # metadata and conversation-level expect/ok before the first id are file defaults
            preamble_content = preamble_content or not (kind == "meta" or key in ("expect", "ok"))
    data = ("\n".join(out) + "\n").encode(encoding)
    items = read_bytes(data, ".txt")
    expected = cids + (preamble_content if cids else preamble_any)
    assert len(items) == expected
    ids = [getattr(i, "conversation_id", None) or i.record_id for i in items]
    assert ids[len(ids) - cids :] == [f"C{n}" for n in range(1, cids + 1)]


CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
ROW = st.tuples(
    st.sampled_from(["A", " A", "B", "", " ", "C\n", "中文"]), st.sampled_from(["客服", "user", "", "?"]), CELL
)


@SETTINGS
@given(st.lists(ROW, max_size=30), st.sampled_from(["utf-8", "gb18030", "utf-8-sig"]), st.sampled_from([",", "\t"]))
def test_csv_one_record_per_conversation_id_and_per_row_without_id(rows, encoding, delimiter):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(["会话ID", "角色", "内容"])
    writer.writerows(rows)
    items = read_bytes(buf.getvalue().encode(encoding), ".csv")
    expected_ids, orphans = set(), 0
    for row in rows:
        cells = [c.replace("\r", "") for c in row]
        if all(not c.strip() for c in cells):
            continue
        if cells[0].strip():
            expected_ids.add(cells[0].strip())
        else:
            orphans += 1
    assert len(items) == len(expected_ids) + orphans
    got = {getattr(i, "conversation_id", None) or i.record_id for i in items} - {None}
    assert got == expected_ids
