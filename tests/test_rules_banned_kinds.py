"""Kinds of banned agent language that blind3 showed the rules missing, fixed as kinds.

blind3 (measured once, then read for tuning) showed the banned-language rules finding a third or
less of what its writers labelled. Each kind below has hand-written phrasings, none copied from the
blind sets, that must raise the rule's flag, and look-alikes that must not.
"""

from __future__ import annotations

import pytest

from test_rules_precision_kinds import check

FLAG = "review"  # these rules are `tier: review`: a finding is a 待复核 flag


def agent_says(rule_id: str, text: str, channel: str = "chat") -> str:
    """The check of one rule on a two-turn conversation ending in this agent turn."""
    return check(rule_id, "客户：我想问一下这个怎么处理", f"客服：{text}", channel=channel)


@pytest.mark.parametrize(
    "text",
    [
        "规定就是规定，我也改变不了",
        "没货就是没货 您问几次都一样",
        "退不了就是退不了",
        "流程就这样",
        "您要换就换，不换就算了",
        "愿意的话就下单，不要就算了",
        "您天天催也没用",
        "找谁都一样的",
        "到期不交的话后果自负",
        "后面的事您自己负责",
        "您听清楚了再问",
        "随便",
        "您随意吧",
        "物流信息页面上都有，自己查",
    ],
)
def test_curt_refusals_and_brush_offs_are_flagged_as_harsh(text) -> None:
    assert agent_says("dont.harsh", text) == FLAG


@pytest.mark.parametrize(
    "text",
    [
        "很抱歉，流程就是这样的，我帮您加急处理",
        "如果不需要的话就算了，您随时找我",
        "不用就算了吧，我先帮您把订单保留着",
        "两个型号的功能都一样，价格差在颜色",
        "您问哪个门店都一样可以办，我帮您查最近的",
        "您随时可以来问，我们一直都在",
        "您可以自己在订单页查看，我也把链接发您",
        "不清楚的地方您随时问我",
        "这个我们不清楚，我马上帮您问一下仓库",
    ],
)
def test_polite_look_alikes_are_not_harsh(text) -> None:
    assert agent_says("dont.harsh", text) == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "我上次不是跟您说过了吗，要十个工作日",
        "我昨天已经跟你讲过了",
        "说明书上写着呢，您自己没看吧",
        "自己不按说明书操作，怪谁呢",
        "您自己不检查就签收了",
        "下次填地址写清楚一点就不会这样了",
        "下单的时候怎么不问清楚",
        "进度慢是个人问题，别人都跟得上",
    ],
)
def test_reproaches_of_the_customer_are_flagged(text) -> None:
    assert agent_says("dont.blame_customer", text) == FLAG


@pytest.mark.parametrize(
    "text",
    [
        "为了避免您自己没看到，我再发一遍短信",
        "如果您自己不方便检查，我们派师傅上门",
        "这事不怪谁，我们一起看看怎么解决",
        "上次跟您说的那个优惠，今天可以用了",
        "下次您下单就不会有运费了，会员包邮",
    ],
)
def test_look_alikes_are_not_reproach(text) -> None:
    assert agent_says("dont.blame_customer", text) == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "你是不是有毛病，一直打",
        "您是不是傻啊",
        "你这人真是听不懂人话",
        "你是不是闲的没事干",
        "欠钱不还就是老赖",
    ],
)
def test_second_person_insults_are_flagged_as_abuse(text) -> None:
    assert agent_says("dont.abuse", text) == FLAG


@pytest.mark.parametrize(
    "text",
    [
        "您的手机是不是有毛病，我帮您登记检测",
        "您是不是设备有毛病了，重启试一下",
        "您说的“你们都是傻子”我记下了，非常抱歉",
    ],
)
def test_faults_of_things_are_not_abuse(text) -> None:
    assert agent_says("dont.abuse", text) == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "报销的事您得去社保局问",
        "这个您只能到柜台办",
        "您得自己打物业的电话",
        "这个我们这边管不了，您直接去找开发商",
        "您去问一下商场管理处，我们客服处理不了",
        "您要是有意见，可以去消协投诉",
        "觉得收费不合理的话您打12315反映",
        "押金的事问房东去",
        "您拨打物业前台就行",
    ],
)
def test_deflections_without_ownership_are_flagged(text) -> None:
    assert agent_says("dont.deflect", text, channel="call") == FLAG


@pytest.mark.parametrize(
    "text",
    [
        "这个我们这边管不了，我帮您转接物业，请稍等",
        "您要是不满意，我给您登记一下，让主管联系您",
        "我帮您找一下仓库去",
        "我们去找一下原因，稍后回复您",
        "您得先登录一下账号",
        "您到了门店报我的名字就行，我已经帮您预约了",
    ],
)
def test_referrals_with_ownership_or_no_referral_pass(text) -> None:
    assert agent_says("dont.deflect", text, channel="call") == "pass"


# --- kinds blind5 showed dont.deflect missing (measured on blind6) ----------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "这个你们现场商量就行",
        "费用的事你们私下协商解决",
        "那您就去开户的营业部 让营业部给您调",
        "您就到网点去办吧",
    ],
)
def test_sending_the_parties_to_settle_it_themselves_is_deflection(text) -> None:
    assert agent_says("dont.deflect", text) == FLAG


@pytest.mark.parametrize(
    "text",
    [
        "我帮您跟师傅协商一下，您稍等",  # the agent settles it
        "我们来跟商家沟通，有结果第一时间告诉您",
        "如果您方便，也可以跟卖家说明一下情况，我这边同时帮您催促",
        "您就在家等着就行，师傅会联系您",
        "快递员送货的时候您和快递员说一下不要了就可以，会退回的",  # the process, on real JD chats
        "明天配送前师傅会联系您，您和师傅说下改地址就行",
    ],
)
def test_the_agent_settling_it_is_not_deflection(text) -> None:
    assert agent_says("dont.deflect", text) == "pass"
