"""Kinds of mistakes seen on eval/blind2 (a tuning set since its one measurement), fixed as kinds.

Each kind has several hand-written phrasings that must fire and look-alikes that must not; none is
copied from the blind2 conversations.
"""

from __future__ import annotations

import pytest

from test_rules_precision import audit  # the same conversation builder and engine (the default pack)


def check(rule_id: str, *lines: str, channel: str = "chat", complaint: bool = False) -> str:
    """The check of one rule on a conversation: pass / fail / review / n/a."""
    return audit(*lines, channel=channel, complaint=complaint).checks[rule_id]


# --- 1. 对不起/不好意思 that is not an apology --------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "这两个月的读数怎么对不起来",
        "发票金额跟订单对不起来啊",
        "这菜的味道真对不起这个价钱",
        "这服务对不起那么贵的会员费",
        "不好意思 问一下几点关门",
        "不好意思 想问下能开发票不",
        "对不起 咨询一下积分怎么用",
    ],
)
def test_apology_words_that_are_no_apology_do_not_trigger(text) -> None:
    assert check("reply.customer_apology", f"客户：{text}", "客服：好的") == "n/a"


@pytest.mark.parametrize(
    "text",
    [
        "不好意思，我填错了",
        "对不起是我没看清",
        "抱歉 我把门牌号报错了 是12号",
        "不好意思 我又来问了 退款到了吗",
        "刚才在开车 不好意思哈",
        "对不起刚刚信号不好 您接着说",
        "那天态度不好骂了人 对不起",
    ],
)
def test_real_customer_apologies_still_need_an_answer(text) -> None:
    assert check("reply.customer_apology", f"客户：{text}", "客服：好的") == "review"
    assert check("reply.customer_apology", f"客户：{text}", "客服：没关系，请讲") == "pass"


# --- 2. confirmation questions without a question mark (ASR calls) ---------------------------------
OPENING = ("客服：您好 请问有什么可以帮您", "客户：我想改一下套餐")


@pytest.mark.parametrize(
    "question",
    [
        "您是想把流量包退掉 是这样的吗",
        "那就给您换成五十八的 下个月生效 可以吧",
        "周六上午师傅上门 这样行吧",
        "我这边帮您申请一次免费检测 您看需要吗",
        "您看要不要给您登记一个回访",
        "新地址是幸福路八号 请您核对一下是否正确",
        "收件人手机号我念一遍 您听一下对不对",
        "您要办的是副卡 对吧",
    ],
)
def test_confirmation_questions_without_punctuation_count(question) -> None:
    lines = (*OPENING, f"客服：{question}", "客户：嗯", "客服：好的 再见")
    assert check("must.confirmation", *lines, channel="call") == "pass"
    assert check("must.confirmation", *lines) == "pass"


@pytest.mark.parametrize(
    "question",
    [
        "请您提供一下身份证后四位好吗",
        "您耐心等待一下可以吗",
        "您办完要是还不行再打过来 可以吗",
        "您的手机号是多少",
        "您需要纸质发票吗",
        "应该可以吧 这个我也说不准",
    ],
)
def test_information_questions_and_tacked_on_okays_are_no_confirmation(question) -> None:
    lines = (*OPENING, f"客服：{question}", "客户：嗯", "客服：好的 再见")
    # found, and a deduction on both channels (again since blind9: chats 33 of 35, calls 35 of 38)
    assert check("must.confirmation", *lines) == "fail"
    assert check("must.confirmation", *lines, channel="call") == "fail"


# --- 3. blame_shift is disowning, a referral is deflection ------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "成分表这个您得问商家，店铺首页有电话",
        "屋里的线路是业主自己的，您得找个电工来看看",
        "发票抬头这个您只能联系开票的商户",
        "这类纠纷属于市场监管的范围 可以找他们调解",
        "我们不管多晚都会给您回电",
        "请等一下，我有些不清楚，您能再说一遍吗",
        "我不清楚 您稍等 我帮您问一下",
    ],
)
def test_explained_referrals_are_not_blame_shifting(text) -> None:
    assert check("dont.blame_shift", text) == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "小区里的路灯不归我们燃气公司管",
        "第三方的配件我们这不管",
        "装修师傅不是我们公司的员工哦",
        "那是承运的物流公司的事情",
        "不知道 您等短信通知吧",
        "这个不清楚，您直接打景区电话问吧",
    ],
)
def test_disowning_and_dead_ends_are_blame_shifting(text) -> None:
    # found on both channels; a 待复核 flag on both (calls since blind8: 5 of 6 deductions upheld)
    assert check("dont.blame_shift", text) == "review"
    assert check("dont.blame_shift", text, channel="call") == "review"


# --- 4. a suggestion thanked and passed on in other words -------------------------------------------
@pytest.mark.parametrize(
    "reply",
    [
        "谢谢您的建议 我把它写进工单里一起报上去",
        "感谢您提的意见 我这边登记一下转给运营部门",
        "谢谢您 这个建议我记下了 会转交给产品同事",
    ],
)
def test_suggestion_thanked_and_passed_on_in_other_words(reply) -> None:
    assert check("reply.suggestion", "客户：建议你们晚上也开人工客服", f"客服：{reply}") == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "你们停电之前能不能提前发个通知",
        "你们门店周末应该多开几个窗口",
        "你们最好在付款页提醒一下运费",
        "你们应该把开票流程简化一下",
    ],
)
def test_improvement_suggestions_trigger(text) -> None:
    assert check("reply.suggestion", f"客户：{text}", "客服：嗯 好的") == "review"
    assert check("reply.suggestion", f"客户：{text}", "客服：谢谢您的建议，我会反馈给相关部门") == "pass"


@pytest.mark.parametrize("text", ["你们能不能先把我的快递送过来", "你们应该尽快给我退款", "你们可以提前送到吗"])
def test_requests_about_the_customers_own_case_are_no_suggestion(text) -> None:
    assert check("reply.suggestion", f"客户：{text}", "客服：好的") == "n/a"


# --- 5. apology first: an unmarked cause closed by 所以 is an explanation --------------------------------
COMPLAINT = "客户：等了一个多小时还没到 搞什么啊"


@pytest.mark.parametrize(
    "explanation",
    [
        "今天暴雨路上积水，骑手绕路了，所以晚了一些",
        "这张卡去年没达到免年费的条件 所以收了年费",
        "您这个是特价票，不支持免费改签，才会收改签费",
        "仓库盘点停发了两天，导致发货延迟",
    ],
)
def test_explanation_before_the_first_apology_is_found(explanation) -> None:
    lines = (COMPLAINT, f"客服：{explanation}", "客户：那也太慢了", "客服：非常抱歉给您添麻烦了")
    # found on both channels, and flagged on both (fewer than 5 deductions measured per channel: blind6, blind7)
    assert check("complaint.apology_first", *lines, complaint=True, channel="call") == "review"
    assert check("complaint.apology_first", *lines, complaint=True) == "review"


@pytest.mark.parametrize(
    "lines",
    [
        ("客服：非常抱歉让您久等了", "客户：嗯", "客服：今天暴雨，骑手绕路了，所以晚了一些"),
        ("客服：实在抱歉，今天暴雨骑手绕路了，所以晚了一些",),
        ("客服：今天暴雨，骑手绕路了，所以晚了一些", "客户：嗯", "客服：两笔账对不起来的话我帮您查"),
    ],
)
def test_apology_first_or_no_apology_is_no_finding(lines) -> None:
    assert check("complaint.apology_first", COMPLAINT, *lines, complaint=True) in ("pass", "n/a")


# --- 6. banned language: curt, reproachful and insulting constructions ------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "都说了，这个型号不支持",
        "早说过了，活动已经结束",
        "自己算一下呗",
        "自己去订单里看吧",
        "您自己翻聊天记录",
        "不知道，您等通知吧",
        "您上网查一下",
        "这有什么好问的",
    ],
)
def test_curt_dismissals_are_harsh(text) -> None:
    assert check("dont.harsh", text) == "review"


@pytest.mark.parametrize(
    "text",
    [
        "您可以自己在订单详情里查看物流",
        "这个需要您自己线下找安装点",
        "我帮您查一下，您自己也可以在APP里看",
        "不知道您说的是哪个订单呢",
        "刚才说了会帮您催，请您稍等",
        "您这个不是质量问题，我帮您申请退货",
    ],
)
def test_instructions_and_polite_answers_are_not_harsh(text) -> None:
    assert check("dont.harsh", text) == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "我刚才已经说过了，不能退",
        "我刚才不是已经说了吗 要本人来",
        "我都说了好几遍了 还在审核",
        "您当时没仔细看吧",
        "您下单的时候没看吗",
        "您怎么能乱点陌生链接呢",
        "早点交不就没事了",
        "合同是您自己签的",
    ],
)
def test_reproaches_are_blame_customer(text) -> None:
    assert check("dont.blame_customer", text) == "review"


@pytest.mark.parametrize(
    "text",
    [
        "我跟您说一下退款流程",
        "我刚才说了会给您回电",
        "我刚才说了，明天上门，您看可以吗",
        "您当时没仔细看也正常，我再给您说一遍",
        "如果我说得不清楚您再问我",
        "下次您下单时可以看一下规格哦",
    ],
)
def test_explanations_are_not_blame_customer(text) -> None:
    assert check("dont.blame_customer", text) == "pass"


@pytest.mark.parametrize("text", ["您这不是抬杠吗", "你这人真没素质", "脑子不好就别问了"])
def test_insults_are_abuse(text) -> None:
    assert check("dont.abuse", text) == "review"


@pytest.mark.parametrize("text", ["这不是您的问题", "抬头写公司名称就可以", "您放心，这不是故障", "这不是抬杠，是规定"])
def test_look_alikes_are_not_abuse(text) -> None:
    assert check("dont.abuse", text) == "pass"


# --- 6b. deflection: sending the customer elsewhere as a command --------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "您去营业厅办吧",
        "打12345问问",
        "这个得找厂家",
        "您拿着回执找银行查",
        "您找物业去",
        "您先问问支付宝。",
        "您要退就打95XXX热线吧",
        "您带上户口本去派出所问一下",
        "您直接打商场的电话问一下",
        "官网看吧",
    ],
)
def test_send_offs_without_ownership_are_deflection(text) -> None:
    assert check("dont.deflect", text) == "review"  # a flag: too few measured (eval/blind3)


@pytest.mark.parametrize(
    "lines",
    [
        ("您可以拨打银行热线咨询",),  # a plain referral: dont.deflect_referral's flag
        ("您去APP里申请售后吧",),  # self-service in the company's own channel
        ("您打开设置看一下吧",),
        ("正在帮您询问站点，稍等哈",),
        ("您去营业厅办吧", "客户：好远啊", "客服：那我帮您登记上门办理"),
        ("您找物业去，我这边也帮您联系物业催一下",),
        ("这个得找厂家的师傅上门，我这边帮您预约",),
    ],
)
def test_referrals_own_channels_and_ownership_are_not_deflection(lines) -> None:
    assert check("dont.deflect", *lines) == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "您可以打一下银行的客服热线问问",
        "您可以联系小区物业那边反映",
        "这个需要您找手机的卖家检测一下",
        "您可以找对方的保险公司谈",
    ],
)
def test_plain_referrals_are_review_flags(text) -> None:
    result = audit(text)
    assert result.checks["dont.deflect_referral"] == "review"
    assert result.checks["dont.deflect"] == "pass"


@pytest.mark.parametrize(
    "text",
    ["快递员给您打电话的时候您说一下就好", "您可以联系下站点，我们这边也催一下", "我帮您联系物业那边"],
)
def test_calls_to_the_customer_and_owned_referrals_are_no_flag(text) -> None:
    assert audit(text).checks["dont.deflect_referral"] == "pass"
