"""Issue 12: each generalised precision fix of the default pack, with several phrasings and look-alikes.

Sentences are written for these tests (not copied from the measured data); each kind of mistake gets
phrasings that must still fire and look-alikes that must not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_audit.model import Conversation, Turn
from qa_audit.rules import load_ruleset
from qa_audit.rules.applicability import AWAITING, CUT_OFF
from qa_audit.rules.engine import Engine

RULES = Path(__file__).resolve().parents[1] / "rules"
ENGINE = Engine(load_ruleset(RULES))
ROLES = {"客服": "agent", "客户": "customer"}


def audit(*lines: str, channel: str = "chat", complaint: bool = False):
    """Audit a conversation written as '客服：…' / '客户：…' lines (a bare line is an agent turn)."""
    turns = []
    for i, line in enumerate(lines):
        who, sep, text = line.partition("：")
        role = ROLES.get(who) if sep else None
        turns.append(Turn(index=i, role=role or "agent", text=text if role else line))
    return ENGINE.audit(Conversation("t", tuple(turns), channel=channel), is_complaint=complaint)


def tiers(result, rule_id: str) -> list[str]:
    """The tiers of a rule's findings in an audit."""
    return [f.tier for f in result.findings if f.rule_id == rule_id]


# --- a two-character phrase inside a longer word -------------------------------------------------
@pytest.mark.parametrize(
    "lines",
    [
        ("客户：上门安装要预约吗", "客服：需要的"),
        ("客户：开企业账户需要签约吗", "客服：是的"),
        ("客户：大约吗？", "客服：对"),
    ],
)
def test_harassment_trigger_does_not_fire_inside_a_longer_word(lines) -> None:
    assert audit(*lines).checks["reply.harassment"] == "n/a"


def test_harassment_trigger_still_fires_on_its_own() -> None:
    assert audit("客户：美女约吗", "客服：嗯").checks["reply.harassment"] == "review"  # flags only since round 2


@pytest.mark.parametrize("text", ["这款钱包您可以放心用", "电子钱包您绑定了吗"])
def test_absolute_promise_ignores_bao_nin_inside_qianbao(text) -> None:
    assert tiers(audit(text), "dont.absolute_promise") == []


# --- deadline / own effort vs an absolute promise -----------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "已为您升级处理，48小时内一定给您答复",
        "我保证两个工作日内给您回复",
        "您放心，我们一定会尽快帮您处理",
        "跟您保证我们会第一时间跟进",
        "这边肯定会给您妥善处理的",
    ],
)
def test_deadlines_and_promises_of_own_effort_do_not_deduct(text) -> None:
    assert "deduct" not in tiers(audit(text), "dont.absolute_promise")


@pytest.mark.parametrize(
    "text", ["退款明天肯定到账", "这个保证不会再出问题", "放心，百分之百给您送到", "您放心，包裹一定给您送到家"]
)
def test_promised_outcomes_deduct(text) -> None:
    assert tiers(audit(text), "dont.absolute_promise") == ["review"]  # the whole rule flags (below the floor)


def test_a_bare_absolute_word_is_only_flagged() -> None:
    assert tiers(audit("您放心，这个一定会的"), "dont.absolute_promise") == ["review"]


# --- a polite queue notice vs an excuse ----------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "正在查询中，现在咨询的人比较多，还请您耐心等待",
        "当前系统比较慢，请您稍等片刻",
        "大促期间咨询量较大，小妹会依次为您处理",
    ],
)
def test_queue_notices_are_not_excuses(text) -> None:
    assert tiers(audit(text), "dont.excuse") == []


@pytest.mark.parametrize(
    "text", ["现在咨询的人太多了，我也顾不上", "最近单量太大了，所以才没发", "人手不够，没法一个个打电话"]
)
def test_excuses_still_fire(text) -> None:
    assert tiers(audit(text), "dont.excuse") == ["review"]


# --- thanks in advance inside a request ----------------------------------------------------------
@pytest.mark.parametrize(
    "thanks", ["帮我看看这个单子，谢谢", "能不能改一下地址呢？谢谢", "谢谢，那发票什么时候开", "麻烦你了 谢谢"]
)
def test_thanks_in_advance_does_not_trigger(thanks) -> None:
    assert audit(f"客户：{thanks}", "客服：好的，正在为您处理").checks["reply.thanks"] == "n/a"


@pytest.mark.parametrize("thanks", ["好的，谢谢", "收到了，多谢", "解决了，感谢"])
def test_thanks_for_help_received_must_be_answered(thanks) -> None:
    assert audit(f"客户：{thanks}", "客服：嗯嗯").checks["reply.thanks"] == "review"
    assert audit(f"客户：{thanks}", "客服：不客气哦").checks["reply.thanks"] == "pass"


def test_closing_thanks_answered_by_a_polite_close() -> None:
    assert audit("客户：没事了，谢谢", "客服：感谢您的耐心，祝您生活愉快").checks["reply.thanks"] == "pass"


# --- a customer's softener is not an apology ----------------------------------------------------
@pytest.mark.parametrize("text", ["不好意思，我想改一下收货人", "抱歉，能不能再帮我查一个单", "不好意思打扰了"])
def test_softeners_do_not_trigger_customer_apology(text) -> None:
    assert audit(f"客户：{text}", "客服：好的").checks["reply.customer_apology"] == "n/a"


def test_apology_for_own_mistake_still_needs_an_answer() -> None:
    # found; a 待复核 flag in the default pack (blind2: 7 of 11 upheld)
    assert audit("客户：刚才地址写错了，不好意思", "客服：好的").checks["reply.customer_apology"] == "review"


# --- a condition satisfied in the same or the next turn ------------------------------------------
@pytest.mark.parametrize(
    "reply",
    [
        "核实后短信通知您，今天17点前处理完",
        "审核完成后会通知您，一般2-3个工作日",
        "专员会联系您的，请您保持手机畅通",
    ],
)
def test_callback_with_a_time_or_contact_in_the_same_turn_passes(reply) -> None:
    assert audit("客户：什么时候有结果", f"客服：{reply}").checks["reply.callback"] == "pass"


def test_callback_time_in_the_next_agent_turn_passes() -> None:
    result = audit("客户：退款呢", "客服：我核实后联系您", "客户：好", "客服：明天下午前给您答复")
    assert result.checks["reply.callback"] == "pass"


@pytest.mark.parametrize(
    "reply", ["后期会有工作人员联系您", "配送师傅送货前会跟您联系", "售后的同事之后会给您发短信", "然后会有人联系您"]
)
def test_callback_not_triggered_by_hou_inside_a_word_or_a_courier_call(reply) -> None:
    assert audit("客户：什么时候到", f"客服：{reply}").checks["reply.callback"] == "n/a"


# --- requests vs statements (请字当头) -----------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "系统没有提供这个选项",
        "这是平台为您提供的服务",
        "这边帮您联系仓库",
        "我们为您联系快递",
        "只能重新下单了",
        "建议您先联系下物业",
    ],
)
def test_please_first_ignores_statements(text) -> None:
    assert tiers(audit(text), "must.please_first") == []


@pytest.mark.parametrize("text", ["提供一下订单号", "稍等", "您先拍照上传", "您去找一下物业"])
def test_please_first_still_fires_on_bare_requests(text) -> None:
    assert tiers(audit(text), "must.please_first") == ["review"]


# --- anything else without 吗, and apologies --------------------------------------------------------
@pytest.mark.parametrize("text", ["请问还有什么其他能够帮到您", "还有其他可以为您效劳的", "请问还有别的问题吗"])
def test_anything_else_without_question_particle(text) -> None:
    # closed afterwards, so the conversation does not end on the open offer (that would be n/a)
    assert audit("客户：好的", f"客服：{text}", "客户：没有了", "客服：再见").checks["must.anything_else"] == "pass"


@pytest.mark.parametrize("text", ["对此我们深感歉意", "给您带来不便，表示歉意", "不便之处请您多担待"])
def test_complaint_apology_variants(text) -> None:
    assert audit("客户：太慢了，气死了！", f"客服：{text}", complaint=True).checks["complaint.apology"] == "pass"


def test_customer_saying_apology_is_useless_is_not_an_agent_apology() -> None:
    result = audit("客户：道歉有什么用啊！", "客服：您的订单明天送到", complaint=True)
    assert result.checks["complaint.apology"] == "review"  # flags only since round 2


# --- deflection without ownership ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["这个需要您自己联系厂家", "这个问题您得找商家", "那您只能找快递公司了", "您自己去营业厅办吧"]
)
def test_deflection_without_ownership_is_found(text) -> None:
    # one finding; a 待复核 flag in the default pack until measured sure (blind2: 2 of 2, too few)
    assert tiers(audit(text), "dont.deflect") == ["review"]


@pytest.mark.parametrize(
    "lines",
    [
        ("客服：这个您得找商家", "客户：啊", "客服：我这边帮您联系商家处理"),
        ("客服：这个需要您自己联系厂家，我也已为您反馈，请留意来电",),
        ("客服：这个需要您自己确认收货后才能申请",),
    ],
)
def test_deflection_with_ownership_or_a_plain_instruction_passes(lines) -> None:
    assert tiers(audit(*lines), "dont.deflect") == []


@pytest.mark.parametrize("text", ["建议您联系厂家处理", "您可以拨打运营商热线咨询", "请您联系当地营业厅"])
def test_plain_referral_is_a_review_flag(text) -> None:
    result = audit(text)
    assert tiers(result, "dont.deflect_referral") == ["review"]
    assert tiers(result, "dont.deflect") == []


# --- applicability: channel, cut-off transcripts, empty turns ------------------------------------
def test_talk_share_is_a_call_standard() -> None:
    long = "您好，这款产品功能很多，价格也很优惠，现在下单还送赠品，另外会员积分可以抵现，还有很多优惠券"
    lines = ("客户：在吗", f"客服：{long}", "客户：嗯", f"客服：{long}")
    assert audit(*lines, channel="chat").checks["shape.talk_share"] == "n/a"
    # on a call it applies; unmeasured on untouched data, it is a 待复核 flag (rules/timing.yaml)
    assert audit(*lines, channel="call").checks["shape.talk_share"] == "review"


def test_closing_rules_na_when_the_customer_last_message_is_unanswered_and_say_why() -> None:
    result = audit("客服：您好", "客户：查物流", "客服：已经到站了", "客户：那什么时候送？")
    for rule in ("must.goodbye", "must.anything_else"):
        assert result.checks[rule] == "n/a"
        assert result.na_reasons[rule] == CUT_OFF
    assert "must.greeting" not in result.na_reasons


def test_closing_rules_apply_when_the_agent_has_the_last_word() -> None:
    result = audit("客服：您好", "客户：查物流", "客服：已经到站了", "客户：好的", "客服：嗯")
    assert result.checks["must.goodbye"] == "review"  # below the precision floor: a 待复核 flag
    assert result.na_reasons == {}


@pytest.mark.parametrize(
    "last",
    [
        "请问还有其他还可以帮到您的吗?",
        "亲爱滴，请问还有其他需要帮助的么",
        "好的呢  那还有什么可以帮您的呢  ",
        "您真是太客气啦，这些都是我们应该做的呢    请问还有什么可以帮助您的",
        "亲亲，您看还有什么别的是可以帮到您的呢! ",
        "好的。请问您的订单号",
    ],
)
def test_closing_rules_na_when_the_conversation_ends_on_the_agents_open_question(last) -> None:
    """The customer left before answering: the agent had no turn to close in (round 2: 64 of 92 flags)."""
    result = audit("客服：您好", "客户：查物流", "客服：已经到站了", "客户：好的", f"客服：{last}")
    assert result.checks["must.goodbye"] == "n/a"
    assert result.na_reasons["must.goodbye"] == AWAITING


@pytest.mark.parametrize(
    "last",
    [
        "预计明天送达的呢",  # 呢 closing a statement
        "请问您收到了，我们会尽快处理",  # 请问 followed by a statement
        "好的亲",
        "还辛苦您给小妹打个评价呢~点击表情栏旁边的“+”哦。",  # a rating request is no close
    ],
)
def test_statements_at_the_end_leave_the_closing_rule_applicable(last) -> None:
    result = audit("客服：您好", "客户：查物流", "客服：已经到站了", "客户：没有了", f"客服：{last}")
    assert result.checks["must.goodbye"] == "review"
    assert "must.goodbye" not in result.na_reasons


def test_an_offer_answered_earlier_still_needs_a_close() -> None:
    result = audit("客服：请问还有其他可以帮到您的吗?", "客户：没有了", "客服：好的亲")
    assert result.checks["must.goodbye"] == "review"


@pytest.mark.parametrize(
    "last",
    [
        "不用谢呢 ~为您服务是我的荣幸~",
        "有问题再来咨询我们哦",
        "以后如有问题 可再联系我们哟 我们会竭力为您服务的!~",
        "辛苦您对小妹的服务做出评价哦，谢谢您",
        "还请您给小妹一个评价哦。感谢了",
        "怠慢之处请您多多包涵",
    ],
)
def test_real_chat_sign_offs_are_polite_closes(last) -> None:
    result = audit("客服：您好", "客户：查物流", "客服：已经到站了", "客户：没有了，谢谢", f"客服：{last}")
    assert result.checks["must.goodbye"] == "pass"


def test_thanks_inside_a_running_turn_is_no_close() -> None:
    result = audit("客户：订单号123", "客服：谢谢您，这款已经发货了")
    assert result.checks["must.goodbye"] == "review"


def test_empty_turns_are_skipped_counted_and_never_anchor_a_finding() -> None:
    result = audit("客服：您好", "客户：谢谢", "客服：   ", "客服：嗯", "客户：", "客服：")
    assert result.empty_turns == 3
    assert result.checks["must.goodbye"] == "review"  # judged on turn 3, the last non-empty agent turn
    assert [f.turn_index for f in result.findings if f.rule_id == "must.goodbye"] == [3]
    assert all(f.turn_index in (0, 1, 3) for f in result.findings)
    # the empty agent turn after the thanks is not the reply that was judged: the next real one is
    assert [f.turn_index for f in result.findings if f.rule_id == "reply.thanks"] == [1]


# --- a tier per channel: deduct where measured sure, flag where not (review_channels) -------------
BLAME_SHIFT_TIER = "    tier: review\n    cap: 20\n    message: 坐席推卸责任"


def pack_with_review_channels(tmp_path: Path, channels: str) -> Path:
    """A copy of the default pack in which dont.blame_shift deducts but only flags on `channels`."""
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "dont.yaml").read_text(encoding="utf-8")
    assert BLAME_SHIFT_TIER in text
    text = text.replace(BLAME_SHIFT_TIER, f"    review_channels: {channels}\n    cap: 20\n    message: 坐席推卸责任")
    (rules / "dont.yaml").write_text(text, encoding="utf-8")
    return rules


def test_review_channels_deduct_on_one_channel_and_flag_on_the_other(tmp_path) -> None:
    # a centre that measured dont.blame_shift sure on its calls only (as blind3, 5 and 7 had it): the same
    # disowning costs points on a call and is a 待复核 flag on a chat
    engine = Engine(load_ruleset(pack_with_review_channels(tmp_path, "[chat]")))
    for channel, tier in (("call", "deduct"), ("chat", "review")):
        turns = (Turn(0, "customer", "小区的路灯坏了好几天了"), Turn(1, "agent", "路灯不归我们公司管"))
        result = engine.audit(Conversation("t", turns, channel=channel))
        assert result.checks["dont.blame_shift"] == ("fail" if tier == "deduct" else "review")
        assert tiers(result, "dont.blame_shift") == [tier]


def test_review_channels_is_checked_by_the_loader(tmp_path) -> None:
    from qa_audit.rules.problems import RuleLoadError

    with pytest.raises(RuleLoadError, match="fax"):
        load_ruleset(pack_with_review_channels(tmp_path, "[fax]"))
