"""Big5 (Traditional Chinese exports) is told from GB18030 by how the text reads, not by whether it decodes.

Big5 bytes are nearly always valid GB18030, and a Big5 file was read as GB18030 mojibake and audited
(a greeting in it was not found, so must.greeting deducted). How often the detection is right on real
text: docs/encodings.md.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.model import Conversation
from qa_audit.normalize import to_simplified
from qa_audit.readers import read_inputs
from qa_audit.readers.encoding import detect_encoding
from qa_audit.readers.hanzi import chinese_share, common_hanzi

ROOT = Path(__file__).resolve().parents[1]
GREETING = "您好，很高興為您服務，請問有什麼可以幫您？"
CONVERSATION = {
    "conversation_id": "HK-1",
    "channel": "chat",
    "agent_id": "A1",
    "turns": [
        {"role": "agent", "text": GREETING},
        {"role": "customer", "text": "我的訂單三天了還沒有發貨，請問怎麼回事？"},
        {"role": "agent", "text": "非常抱歉讓您久等了，我馬上幫您查詢物流狀態。"},
    ],
}


def _line(conv: dict) -> str:
    return json.dumps(conv, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("codec", ["big5", "cp950", "big5hkscs"])
def test_a_big5_jsonl_file_is_read_as_written_without_an_encoding_option(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "hk.jsonl"
    path.write_bytes(_line(CONVERSATION).encode(codec))
    assert path.read_bytes().decode("gb18030")  # the bytes are valid GB18030: decoding alone cannot tell
    [conv] = list(read_inputs([path]))
    assert isinstance(conv, Conversation)
    assert [t.text for t in conv.turns] == [t["text"] for t in CONVERSATION["turns"]]


def test_a_big5_csv_file_with_traditional_headers_and_roles_is_read_as_written(tmp_path: Path) -> None:
    role = {"agent": "客服", "customer": "客戶"}  # 客戶: the traditional form of 客户
    rows = ["會話ID,角色,內容", *(f"HK-2,{role[t['role']]},{t['text']}" for t in CONVERSATION["turns"])]
    path = tmp_path / "hk.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("cp950"))
    [conv] = list(read_inputs([path]))
    assert isinstance(conv, Conversation)
    assert [(t.role, t.text) for t in conv.turns] == [(t["role"], t["text"]) for t in CONVERSATION["turns"]]


@pytest.mark.parametrize(
    "text", ["您好，请问有什么可以帮您", "好的，我帮您查一下物流", "亲，已经为您登记了，请耐心等待"]
)
def test_a_short_gbk_file_that_is_also_valid_big5_stays_gbk(tmp_path: Path, text: str) -> None:
    line = _line({"conversation_id": "G1", "turns": [{"role": "agent", "text": text}]}).encode("gbk")
    line.decode("cp950")  # valid Big5 too (UnicodeDecodeError here would make the test pointless)
    path = tmp_path / "g.jsonl"
    path.write_bytes(line)
    assert detect_encoding(path) == "gb18030"
    [conv] = list(read_inputs([path]))
    assert isinstance(conv, Conversation) and conv.turns[0].text == text


def test_a_big5_greeting_is_found_by_the_audit(tmp_path: Path) -> None:
    path = tmp_path / "hk.jsonl"
    path.write_bytes(_line(CONVERSATION).encode("cp950"))
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(path), "-o", str(out), "-q", "--workers", "1"])
    assert res.exit_code in (0, 1), res.output
    rules = [json.loads(ln)["rule_id"] for ln in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rules and "must.greeting" not in rules  # mojibake of the greeting had no greeting in it


def test_mojibake_reads_far_less_like_chinese_than_the_text() -> None:
    data = GREETING.encode("big5")
    right, n = chinese_share(data.decode("big5"))
    wrong, _ = chinese_share(data.decode("gb18030"))
    assert n == len(GREETING) and right == 1.0 and wrong < 0.5


def test_the_common_characters_are_what_the_build_script_counts_from_jiebas_dictionary() -> None:
    spec = importlib.util.spec_from_file_location("build_common_hanzi", ROOT / "eval" / "build_common_hanzi.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    ranked = build.ranked()
    assert len(ranked) == 3000 and ranked[:2] == ["一", "是"]
    assert common_hanzi() >= set(ranked) and len(common_hanzi() - set(ranked)) < 40  # + punctuation


def test_a_role_or_header_with_undecodable_bytes_is_left_as_it_is() -> None:
    assert to_simplified("客戶\udcff") == "客戶\udcff"  # OpenCC cannot take lone surrogates: not raised
    assert to_simplified("客戶") == "客户"
