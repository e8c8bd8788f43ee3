"""Cloud ASR results (Alibaba, Tencent, Huawei SIS, iFLYTEK): shapes, roles, times, vendor values, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_audit.model import Conversation, Rejected
from qa_audit.readers import ReadError, parse_speaker_map, read_file, read_inputs
from qa_audit.readers.asr import MAX_BYTES, looks_like_asr
from qa_audit.rules.metrics import speech_rate

ASR = Path(__file__).parent / "fixtures" / "asr"
MIXED = ASR / "mixed"


def one(path: Path, **kw) -> Conversation | Rejected:
    [item] = list(read_file(path, **kw))
    return item


def texts_by_role(conv: Conversation, role: str) -> list[str]:
    return [t.text for t in conv.turns if t.role == role]


def test_alibaba_result_sentences_become_timed_turns_with_vendor_values() -> None:
    conv = one(MIXED / "CALL-ALI-0001.json")
    assert isinstance(conv, Conversation)
    assert conv.conversation_id == "CALL-ALI-0001" and conv.channel == "call"
    first = conv.turns[0]
    assert (first.start, first.end, first.speaker) == (0.3, 5.2, "1")
    assert first.text.startswith("您好，这里是售后服务热线")
    # SpeechRate is characters per minute at Alibaba; turns carry characters per second
    raw = json.loads((MIXED / "CALL-ALI-0001.json").read_text(encoding="utf-8"))["Result"]["Sentences"][0]
    assert first.extras["speech_rate"] == pytest.approx(raw["SpeechRate"] / 60, abs=0.01)
    assert first.extras["emotion_energy"] == raw["EmotionValue"]
    assert "silence" in first.extras
    assert conv.has_timing


def test_alibaba_agent_on_channel_1_is_inferred_without_a_map() -> None:
    conv = one(MIXED / "CALL-ALI-0001.json")
    assert conv.roles.source == "inferred" and conv.roles.confidence >= 0.7 and conv.roles.usable
    assert all(t.role == "agent" for t in conv.turns if t.speaker == "1")
    assert all(t.role == "customer" for t in conv.turns if t.speaker == "0")
    assert texts_by_role(conv, "agent")[-1] == "感谢您的来电，祝您生活愉快，再见！"


def test_alibaba_bare_sentences_with_lower_camel_keys_use_the_diarised_speaker() -> None:
    conv = one(ASR / "alibaba_camel.json")
    assert isinstance(conv, Conversation)
    assert {t.speaker for t in conv.turns} == {"1", "2"}  # speakerId wins over channelId
    assert texts_by_role(conv, "agent")[0] == "您好，很高兴为您服务，请问有什么可以帮您？"
    assert conv.turns[1].start == 4.5


def test_tencent_response_and_bare_data_object() -> None:
    wrapped = one(MIXED / "CALL-TEN-0002.json")
    bare = one(ASR / "tencent_data.json")
    assert isinstance(wrapped, Conversation) and isinstance(bare, Conversation)
    assert wrapped.turns[0].role == "agent" and wrapped.turns[0].speaker == "0"
    assert bare.turns[0].role == "agent" and bare.turns[0].speaker == "1"  # the agent is speaker 1 here
    angry = next(t for t in bare.turns if "别再拖了" in t.text)
    assert angry.extras["emotion"] == "angry" and angry.role == "customer"
    assert angry.extras["silence"] == pytest.approx(0.8)  # SilenceTime is ms
    assert angry.extras["speech_rate"] > 0


def test_huawei_roles_are_taken_from_the_analysis_info() -> None:
    conv = one(MIXED / "CALL-HW-0003.json")
    assert conv.roles.source == "given" and conv.roles.confidence == 1.0
    assert conv.turns[0].role == "agent" and conv.turns[1].role == "customer"
    assert [t.extras["emotion"] for t in conv.turns].count("angry") == 1
    assert conv.turns[0].extras["speech_rate"] > 0


def test_iflytek_json_1best_strings_are_decoded_into_words() -> None:
    wrapped = one(MIXED / "CALL-IFY-0004.json")
    plain = one(ASR / "iflytek_lattice.json")
    assert wrapped.turns[0].text == "您好，很高兴为您服务，请问有什么可以帮您？"
    assert (wrapped.turns[0].start, wrapped.turns[0].end) == (0.2, 3.9)
    assert wrapped.turns[0].role == "agent" and wrapped.turns[0].speaker == "1"
    assert plain.turns[-1].text == "感谢您的来电，祝您生活愉快，再见！"


def test_speaker_map_inline_assigns_roles_and_says_so() -> None:
    conv = one(MIXED / "CALL-TEN-0002.json", speakers=parse_speaker_map("0=坐席,1=客户"))
    assert conv.roles.source == "mapped" and conv.roles.confidence == 1.0
    assert conv.turns[0].role == "agent"


def test_speaker_map_yaml_per_vendor(tmp_path: Path) -> None:
    path = tmp_path / "speakers.yaml"
    path.write_text("default: {0: agent, 1: customer}\niflytek: {1: agent, 2: customer}\n", encoding="utf-8")
    speakers = parse_speaker_map(str(path))
    ify = one(MIXED / "CALL-IFY-0004.json", speakers=speakers)
    ali = one(MIXED / "CALL-ALI-0001.json", speakers=speakers)
    assert ify.roles.source == "mapped" and ify.turns[0].role == "agent"
    # the default map says channel 0 is the agent: the roles are mapped as told (the swap check judges them later)
    assert ali.roles.source == "mapped" and ali.turns[0].role == "customer"


def test_speakers_missing_from_the_map_fall_back_to_inference() -> None:
    conv = one(MIXED / "CALL-IFY-0004.json", speakers=parse_speaker_map("0=agent,1=customer"))
    assert conv.roles.source == "inferred" and "not in --speaker-map" in conv.roles.evidence
    assert conv.turns[0].role == "agent"


@pytest.mark.parametrize("bad", ["0=boss", "0agent", "=agent"])
def test_bad_speaker_map_is_a_usage_error(bad: str) -> None:
    with pytest.raises(ReadError):
        parse_speaker_map(bad)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("truncated_alibaba.json", "truncated or invalid ASR result JSON"),
        ("unknown_shape.json", "not a known ASR result shape"),
        ("tencent_failed.json", "Failed to download audio file"),
    ],
)
def test_unusable_files_are_quarantined_with_the_reason(name: str, reason: str) -> None:
    item = one(ASR / name)
    assert isinstance(item, Rejected) and reason in item.reason and item.source == str(ASR / name)


def test_forcing_the_wrong_vendor_quarantines_instead_of_guessing() -> None:
    item = one(MIXED / "CALL-HW-0003.json", asr_format="tencent")
    assert isinstance(item, Rejected) and item.reason.startswith("tencent:")
    assert one(MIXED / "CALL-HW-0003.json", asr_format="huawei").turns[0].role == "agent"


def test_unknown_forced_format_is_a_usage_error() -> None:
    with pytest.raises(ReadError):
        read_inputs([MIXED / "CALL-HW-0003.json"], asr_format="baidu")


def test_call_id_in_the_file_wins_over_the_file_name(tmp_path: Path) -> None:
    data = json.loads((MIXED / "CALL-HW-0003.json").read_text(encoding="utf-8"))
    data["call_id"] = "HW-20261121-77"
    path = tmp_path / "job-result.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert one(path).conversation_id == "HW-20261121-77"


def test_gbk_encoded_result_reads_like_utf8(tmp_path: Path) -> None:
    text = (ASR / "alibaba_camel.json").read_text(encoding="utf-8")
    path = tmp_path / "gbk.json"
    path.write_bytes(text.encode("gb18030"))
    assert [t.text for t in one(path).turns] == [t.text for t in one(ASR / "alibaba_camel.json").turns]


def test_undecodable_bytes_quarantine_the_file(tmp_path: Path) -> None:
    data = (ASR / "alibaba_camel.json").read_bytes().replace("很高兴".encode(), b"\xff\xfe\x00")
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    item = one(path)
    assert isinstance(item, Rejected) and "undecodable" in item.reason


def test_a_200_mb_result_is_quarantined_by_size_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.write(b'{"Result": {"Sentences": [')
        f.truncate(200 << 20)  # sparse: no 200 MB written to disk
    assert path.stat().st_size > MAX_BYTES
    item = one(path)
    assert isinstance(item, Rejected) and "MB limit" in item.reason


def test_empty_recognition_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "silent.json"
    path.write_text(
        json.dumps({"Result": {"Sentences": [{"BeginTime": 0, "EndTime": 900, "Text": "", "ChannelId": 0}]}})
    )
    item = one(path)
    assert isinstance(item, Rejected) and "no recognised speech" in item.reason


def test_speech_rate_metric_uses_the_vendor_rate_when_every_agent_turn_has_one() -> None:
    conv = one(MIXED / "CALL-HW-0003.json")
    agent = [t for t in conv.turns if t.role == "agent"]
    expected = sum(t.extras["speech_rate"] * (t.end - t.start) for t in agent) / sum(t.end - t.start for t in agent)
    assert speech_rate(conv) == pytest.approx(expected, abs=0.01)


def test_canonical_json_files_still_take_the_canonical_path(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    text = 'JSON pasted by a customer: {"segments": []}'  # ASR keys inside a text value do not count
    path.write_text(
        json.dumps({"conversation_id": "X1", "turns": [{"role": "客服", "text": text}]}, ensure_ascii=False),
        encoding="utf-8",
    )
    conv = one(path)
    assert conv.conversation_id == "X1" and conv.roles is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
_keys = st.sampled_from(["Sentences", "ResultDetail", "segments", "lattice", "orderResult", "json_1best"])


@given(key=_keys, body=_json, extra=st.dictionaries(st.sampled_from(["Result", "Response", "Data", "status"]), _json))
def test_fuzz_any_json_with_asr_keys_yields_exactly_one_record(tmp_path_factory, key, body, extra) -> None:
    path = tmp_path_factory.mktemp("fz") / "x.json"
    path.write_text(json.dumps({key: body, **extra}), encoding="utf-8")
    [item] = list(read_file(path))
    assert isinstance(item, (Conversation, Rejected))


@given(cut=st.integers(min_value=0, max_value=5000), junk=st.binary(max_size=8))
def test_fuzz_cut_or_damaged_vendor_files_never_raise(tmp_path_factory, cut, junk) -> None:
    out = tmp_path_factory.mktemp("fz")
    for src in sorted(MIXED.glob("*.json")):
        data = src.read_bytes()
        path = out / src.name
        path.write_bytes(data[: cut % (len(data) + 1)] + junk)
        items = list(read_file(path))
        assert all(isinstance(i, (Conversation, Rejected)) for i in items)
        if looks_like_asr(path):  # read as one call: exactly one record, audited or quarantined
            assert len(items) == 1


EMOTION_RULE = """\
rules:
  - id: t.calm
    title: 语气平稳
    kind: metric
    metric: emotion_energy
    max: 7
    severity: minor
    points: 2
    message: 坐席情绪激动
    source: s
    examples:  # ASR emotion values cannot be written in an example turn; load_ruleset does not run them
      fire: [您好]
      pass: [您好]
"""


def test_vendor_emotion_energy_is_usable_by_a_metric_rule(tmp_path: Path) -> None:
    """Alibaba EmotionValue / Tencent EmotionalEnergy kept per turn feed `metric: emotion_energy`: the
    highest value over the turns in scope, pointing at that turn; n/a when no turn carries one."""
    from dataclasses import replace

    from qa_audit.report.evidence import evidence_sentence
    from qa_audit.rules import load_ruleset
    from qa_audit.rules.engine import Engine

    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "t.yaml").write_text(EMOTION_RULE, encoding="utf-8")
    engine = Engine(load_ruleset(tmp_path / "r"))
    call = one(MIXED / "CALL-ALI-0001.json")
    assert isinstance(call, Conversation)
    assert engine.audit(call).checks["t.calm"] == "pass"  # energies 5 and 6
    agent = [t.index for t in call.turns if t.role == "agent"]
    hot = tuple(
        replace(t, extras={**t.extras, "emotion_energy": 9.0}) if t.index == agent[1] else t for t in call.turns
    )
    [finding] = engine.audit(replace(call, turns=hot)).findings
    assert finding.turn_index == agent[1]
    ev = finding.evidence
    assert (ev["metric"], ev["value"], ev["max"]) == ("emotion_energy", 9.0, 7)
    assert evidence_sentence(finding, None, hot) == "情绪能量 9.0，标准 ≤ 7"
    chat = one(MIXED / "chats.jsonl")
    assert engine.audit(chat).checks["t.calm"] == "n/a"


ANGRY_RULE = EMOTION_RULE.replace("id: t.calm", "id: t.angry").replace(
    "metric: emotion_energy\n    max: 7", "metric: angry_turns\n    max: 0\n    where: {role: customer}"
)


def test_vendor_emotion_labels_are_usable_by_a_metric_rule(tmp_path: Path) -> None:
    """Huawei's per-sentence emotion label (ANGRY/NORMAL) and Tencent's EmotionType feed
    `metric: angry_turns`: the turns in scope labelled angry, pointing at the first; n/a without labels."""
    from qa_audit.report.evidence import evidence_sentence
    from qa_audit.rules import load_ruleset
    from qa_audit.rules.engine import Engine

    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "t.yaml").write_text(ANGRY_RULE, encoding="utf-8")
    engine = Engine(load_ruleset(tmp_path / "r"))
    call = one(MIXED / "CALL-HW-0003.json")
    assert isinstance(call, Conversation)
    [finding] = engine.audit(call).findings
    assert call.turns[finding.turn_index].text.startswith("行，那就明天吧")  # the one USER sentence labelled ANGRY
    assert (finding.evidence["metric"], finding.evidence["value"]) == ("angry_turns", 1)
    assert evidence_sentence(finding, None, call.turns) == "愤怒情绪轮数 1，标准 ≤ 0"
    from dataclasses import replace

    calm = tuple(replace(t, extras={**t.extras, "emotion": "normal"}) for t in call.turns)
    assert engine.audit(replace(call, turns=calm)).checks["t.angry"] == "pass"
    assert engine.audit(one(MIXED / "chats.jsonl")).checks["t.angry"] == "n/a"
