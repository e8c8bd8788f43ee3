"""Complaint cue lists by kind, and the linear-time scan of one normalised customer turn.

Each kind is one RE2 pattern (linear time in the text, no backtracking) over the normalised turn
(`qa_audit.normalize`: NFKC, Traditional -> Simplified, lower case, junk removed), so full-width,
Traditional and ASR text meet the same lists. A cue is dropped when it is negated (不生气, 没那么久,
不会差评), sits in a worry or wish rather than a grievance (怕等太久, 但愿别太慢), or inside quotation
marks; a kind counts once per turn. Strong kinds score 2 (one is enough); weak kinds score 1 and need
a second kind. The lists describe kinds of complaint language, measured on `eval/complaint_turns.jsonl`
(tune split) and the other hand-labelled sets listed in `eval/complaint_eval.py`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import re2

if TYPE_CHECKING:
    from qa_audit.rules.matchers import RegexIndex

_N = r"(?:好几|[0-9一二两三四五六七八九十几半多]+|\[数字x\])"
_UNIT = r"(?:天|日|号|周|星期|礼拜|个?月|个?小时|次|回|遍)"
_CLAUSE = r"[^,，。.!！?？;；~\s]"  # one character inside the same clause
# what the service failed to do (还是没更新), as opposed to a choice (换好了还是没换)
_FAILED = (
    r"(?:有)?(?:给我)?(?:收到|到货|到|发货|发|出库|更新|处理|退|回复|回|充|动静|反应|派送|送|开始|解决|修好|联系|"
    r"审核|安排|上门|取件|人|消息|物流|结果|进展|进度|通知|打电话|来电|接)"
)


@dataclass(frozen=True)
class CueKind:
    """One kind of complaint language: its points, its pattern and what cancels a match."""

    name: str
    points: int
    pattern: str
    negatable: bool = True  # a negator right before the match cancels it (不生气, 没那么久)
    hypothetical: bool = False  # a worry or wish earlier in the sentence cancels it (怕等太久)
    hedged: bool = False  # a guess earlier in the sentence cancels it (是不是送错了)
    not_before: tuple[str, ...] = ()  # cancelled when the clause before the match ends with one of these
    not_after: tuple[str, ...] = ()  # cancelled when the text after the match starts with one of these


KINDS: tuple[CueKind, ...] = (
    CueKind(
        "explicit",
        2,
        r"投诉|举报|曝光|12315|消协|消费者协会|工商局|维权|起诉|打官司|找律师|差评|找媒体|报警",
        not_after=("处", "管理", "栏", "率", "回复", "删除", "电话是"),
    ),
    CueKind(
        "anger",
        2,
        r"气死|太气人|气人|生气|火大|恼火|愤怒|岂有此理|不像话|太过分|过分了|欺人太甚|烦死|烦人|烦不烦|崩溃|"
        r"急死|扯淡|什么鬼|搞什么|搞啥|服了|无语|受不了|忍无可忍|太不(?:靠谱|负责|专业)",
        not_before=("客", "舒", "说", "佩", "克", "制", "衣", "征"),  # 客服了, 舒服了, 佩服了 …
    ),
    CueKind(
        "insult",
        2,
        r"垃圾|什么破|破(?:东西|玩意|京东|服务|快递|平台|店|手机|系统|物流)|坑人|坑爹|骗子|骗人|欺骗|忽悠|耍我|"
        r"耍人|无耻|恶心|奇葩|妈的|tmd|尼玛|卧槽|shit|鸟用|屁用|狗屁|智障|脑残|骗钱|抢钱|吸血鬼|黑心|听不懂人话|"
        r"死哪(?:去|儿)了",
        negatable=False,  # 别忽悠我 is an accusation, not a denial
        hypothetical=True,
        not_after=("袋", "桶", "分类", "箱", "站", "短信", "邮件", "广告", "电话"),
    ),
    CueKind(
        "verdict",
        2,
        r"不(?:太|是很|怎么)?满意|很不满|太不满|失望|太差|很差|真差|好差|差劲|太烂|离谱|郁闷|太坑|坑了|被坑|坑我|"
        r"上当|后悔|再也不(?:买|来|用)|不能接受|无法接受|接受不了|(?:太|这么|那么|好|真|有点太)慢|慢死|慢得|"
        r"(?:太|这么|那么)久|这么长时间|太不方便|不方便了|太麻烦|白买|白等|白跑|不靠谱|"
        r"态度(?:太|很|真|极|也太)?(?:差|恶劣|不好|有问题)|什么态度|语气(?:太|很|真)?(?:差|冲|不好)|"
        r"质量(?:太|真|也太)?差|(?:速度|效率)(?:太|真|也太)?(?:慢|低|差)|一点(?:也|都)(?:没|不)|根本(?:没|不|就)|"
        r"拖了|拖(?:这么|那么|很)?久|长时间(?:没|不|未)|(?:蛮|很|好|挺|这么|那么)长(?:时间|时候)|莫名其妙|无缘无故|"
        r"乱扣|乱收|随便扣|自动扣(?:费|款|钱)|没(?:有)?帮(?:到|上)|什么都没(?:帮|解决|做|处理)|虚假(?:宣传|广告)|"
        r"一问三不知|受够(?:了|你们)|早知道(?:就)?不(?:在|买|来|用|办|选)|越(?:来越|更新越|修越)(?:差|难用|慢|贵)",
        hypothetical=True,
    ),
    CueKind(
        "service",
        2,
        r"推卸|踢皮球|推来推去|不负责|敷衍|没(?:有)?人(?:管|理|处理|联系|负责|接|回)|无人(?:接听|处理|理|管|回)|"
        r"不理人|爱理不理|你们(?:又|总是|老是|每次|就是这样|就会|就知道|怎么(?:又|还|老|总|这样|搞的|做事|能))|"
        r"你们(?:少发|发错|送错|搞错|弄错|漏发|寄错)|"
        rf"你们把{_CLAUSE}{{0,8}}(?:搞|弄|发|送|寄|写|填)错|(?:发|送|寄|配)错(?:了|地方|货|东西)|少发|漏发|"
        r"拒绝(?:给我)?(?:售后|退|换|处理|赔)|不给(?:我)?(?:退|换|修|处理|售后|安装|装|解决|赔)|"
        r"为什么是我(?:个人)?的?(?:原因|问题|责任)|我(?:个人)?什么原因|(?:这|那)会儿(?:才)?(?:搭理|理|回)|"
        r"终于(?:理|搭理|回)我|你们?怎么(?:搞|弄|做事|处理|调度|安排|服务|办事)的",
        hypothetical=True,
        hedged=True,
    ),
    CueKind(
        "repeated",
        2,
        rf"说了(?:多少|好几|几|{_N}|无数)(?:次|遍)|(?:问|催|打|联系|反馈|申请)了(?:多少|好几|几|{_N}|无数)(?:次|遍|天|回)|"
        r"(?:天天|每天|一直|反复|多次|连续)(?:催|问|打|反馈|联系|申请)|"
        rf"第\s*{_N}\s*次(?:了|打|问|联系|催|来|找)|{_N}\s*次了|"
        rf"又(?:没|不|要等|拖|延|推迟|取消|坏|出问题|来了|变|{_N}\s*{_UNIT})|"
        rf"还是(?:没{_FAILED}|一直|出现|这样|老样子|不行|不能用|查不到)|"
        r"(?:一直|老是|总是|始终)(?:(?:都)?(?:没|不|未)|是?显示|这样|"
        r"在(?:等|催|问|找|配送|运输|路上|审核|处理))|(?:很久|好久|半天)(?:都|也|还)?(?:不|没)|"
        r"(?:总|老|每次都|一直都)是这样|"
        r"老(?:显示|没|不更新|是这样)|到现在(?:还|都|也)?(?:没|不|未)|至今(?:没|未|还)|"
        r"(?:好几|好多|这么多|那么多)天了|(?:很久|好久|这么久|那么久|半天|半个月)了|"
        rf"等了(?:很久|好久|半天|好几天|这么久|那么久|{_N}\s*个?{_UNIT})|"
        rf"(?:这都|今天都|都已经|都)\s*{_N}\s*个?(?:工作日|{_UNIT})了|"
        rf"{_N}\s*个?(?:工作日|{_UNIT})了?{_CLAUSE}{{0,8}}(?:还|也|都)(?:没|不|未|在)|"
        rf"{_N}\s*个?(?:工作日|{_UNIT})(?:没|不|未)(?:有)?(?:更新|动|到|发|处理|回复|物流)|"
        r"花儿都谢了|黄花菜都凉了|猴年马月|遥遥无期|迟迟",
        hypothetical=True,
        not_before=("找了", "看了", "试了", "弄了", "翻了", "想了"),  # the customer's own effort, not a wait
        not_after=("拆", "用", "开封", "打开", "使用", "穿", "戴", "动过", "时间", "空", "在家", "注意", "舍得"),
    ),
    CueKind(
        "promise",
        2,
        r"说好(?:的|[^了,，。.!！?？\s])|明明(?:说|写|显示|答应|承诺)|原来说|本来说|可是说|答应(?:过|了|好|的)|承诺(?:过|的)|不是说好|"
        rf"不是(?:说)?(?:今天|明天|昨天|当天|第二天|{_N}号){_CLAUSE}{{0,6}}(?:吗|么|嘛)|"
        rf"不是说{_N}\s*个?(?:小时|工作日|天|日)(?:内|之内|以内){_CLAUSE}{{0,6}}(?:吗|么|嘛)|"
        r"(?:买|下单|付款|支付)的时候(?:可是|明明)?(?:显示|说|写)|我才(?:买|下单)的|"
        rf"应该(?:今天|昨天|明天|前天|早就|{_N}号)(?:就)?(?:到|送|收到|发)",
    ),
    CueKind(
        "rhetorical",
        2,
        r"(?:道歉|对不起|抱歉|解释|说|催|反馈|备注|记录|登记|保证|承诺|客服|你们|问你|找你)"
        rf"{_CLAUSE}{{0,4}}有(?:什么|啥|何)用|没(?:什么|啥)用|管什么用|顶什么用|"
        rf"就是这么{_CLAUSE}{{0,8}}的(?:吗|么|嘛)|这就是你们的|凭什么|怎么能(?:说|这样|这么)|怎么可以这样|"
        rf"(?:还|真|也|你们|怎么)好意思|还让我{_CLAUSE}{{0,6}}干(?:嘛|什么|啥)|就这(?:速度|服务|水平|态度|效率)|"
        r"(?:淘宝|天猫|拼多多|苏宁|别家|别的平台|其他平台|人家)都(?:可以|能|行|是|支持|包)|还用你说|"
        rf"等(?:到|送到|邮到|寄到|收到|货到){_CLAUSE}{{0,8}}(?:都|也){_CLAUSE}{{0,4}}了|"
        r"(?:道歉|说|催|反馈|投诉|问)了?(?:又|也|再多)?有用(?:吗|么|嘛)|还不是一样|难道(?:要|让|非要|还要)我|没谁了|"
        rf"了(?:也)?等于没{_CLAUSE}|(?:也|等于|都是)白说|跟没说一样|你们就不能{_CLAUSE}{{0,12}}(?:吗|么|嘛)|"
        r"这(?:样|么收|个价)?合理吗|这算什么(?:事|服务)|像话吗|是不是故意|故意(?:压价|刁难|拖|扣)|"
        r"(?:你们|客服|你)(?:是|就是|是不是)复读机|"
        r"花钱买罪受|好欺负|长见识了|就知道(?:扣钱|收钱|要钱|推(?:卸|脱|给)|让我等|说抱歉|道歉)",
    ),
    CueKind(
        "compensation",
        2,
        r"(?:要求|必须|应该)(?:赔偿|补偿|赔)|(?:给|讨)(?:我)?(?:个|一个)?说法|索赔|赔我|精神损失|损失费",
    ),
    CueKind(
        "waited",
        1,
        rf"(?:已经|又过了)\s*(?:第\s*)?{_N}\s*个?(?:工作日|{_UNIT})|{_N}\s*{_UNIT}了|"
        r"还(?:是)?(?:没|未)(?:有)?(?:给我)?(?:收到|到货|到|发货|发|出库|更新|处理|退|回复|充|动静|反应|派送|送|"
        r"开始|解决|修好|联系|审核|安排|上门|取件)",
        hypothetical=True,
        not_before=("用了", "买了", "穿了", "戴了", "吃了", "玩了", "开了", "装了"),
    ),
    CueKind(
        "exasperation",
        1,
        r"怎么回事|什么情况|啥情况|为(?:什么|啥|何)(?:还|又|一直|总是|老是|老|就|偏偏)|"
        r"怎么(?:还|又|才|就|老|总|一直)|到(?:啥|什么)时候|(?:还|要)?(?:得|要)多久|还要等|别人|人家|有人(?:买|都)|"
        rf"偏偏|竟然|居然|真的是|真是的|不是{_CLAUSE}{{1,12}}(?:吗|么|嘛)|(?:刚刚|刚才|之前)不是|不都是|难道|"
        r"却(?:显示|没|不|还|是)|以前(?:都|从来)|(?:有|有个)(?:什么|啥)用|"
        r"呵呵|真是谢谢|谢谢你们啊|(?:不行|不然|否则)(?:的话)?(?:我)?(?:就)?(?:直接)?(?:申请)?(?:退|投诉|取消)",
        negatable=False,
    ),
    CueKind("insistence", 1, r"到底|究竟", negatable=False),  # 到底怎么回事 / 到底什么时候到: two weak kinds
    CueKind("emphasis", 1, r"[!！]|[?？]{2,}", negatable=False),
)
STRONG = 2  # points a turn needs to be a complaint

_NEGATORS = "不没别无非未勿"
_FILLERS = ("很", "太", "那么", "这么", "是", "让人", "令人", "会", "算", "得", "有", "也", "再", "要", "给")
_WORRY = ("希望", "但愿", "怕", "担心", "以免", "免得", "如果", "要是", "万一", "会不会", "防止", "不想", "别让")
# a complaint word someone else said (朋友说服务太差, 听说很慢) is reported, not the customer's grievance
_REPORTED = ("听说", "朋友说", "别人说", "有人说", "网上说", "人家说", "同事说", "家人说")
_HEDGES = ("是不是", "好像", "可能", "也许", "应该是")
# the customer's own apology opening the sentence (不好意思让你等这么久, 抱歉 发错了): the fault is theirs
_SELF_APOLOGY = re2.compile(r"(?:^|[\s,，])(?:啊|哦|噢|对|嗯|呃)?\s*(?:不好意思|抱歉|对不起)|让(?:你|您|你们)(?:久)?等")
# what says a turn is not a grievance: praise, reported speech, a negated complaint word, the customer's own
# apology. The model does not make a turn a complaint alone against one of these (the cue kinds have their
# own guards for the same things): 你们客服真负责，点赞 / 听说你们发货很慢，是真的吗
_DISCLAIMER = re2.compile(
    r"点赞|辛苦(?:了|啦|你们|您)|不是(?:要)?投诉|不(?:会|想|打算)?(?:去)?投诉|不会(?:给)?差评|没有不满|"
    + "|".join(_REPORTED)
)
_QUOTES = {"「": "」", "『": "』", "“": "”", '"': '"'}
_BOUNDARY = set(",，。.!！?？;；~ \n\t")
_SENTENCE_END = set("。.!！?？\n")

Match = tuple[int, int, str, int]  # start, end, kind, points (in the normalised text)


class SpanMatch(Protocol):
    """The part of an RE2 match object the scans use (google-re2 ships no type hints)."""

    def start(self) -> int:
        """Return where the match starts."""

    def end(self) -> int:
        """Return where the match ends."""

    def span(self) -> tuple[int, int]:
        """Return (start, end)."""


class Finder(Protocol):
    """A compiled RE2 pattern, as far as the scans use it."""

    def finditer(self, text: str) -> Iterator[SpanMatch]:
        """Yield every non-overlapping match in `text`."""


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[CueKind, Finder], ...]:
    return tuple((k, re2.compile(k.pattern)) for k in KINDS)


def _quoted(text: str) -> list[tuple[int, int]]:
    # linear: after a closing mark is not found, that opening mark is ignored for the rest of the text
    spans: list[tuple[int, int]] = []
    unclosed: set[str] = set()
    i = 0
    while i < len(text):
        close = _QUOTES.get(text[i])
        if close and text[i] not in unclosed:
            end = text.find(close, i + 1)
            if end < 0:
                unclosed.add(text[i])
            else:
                spans.append((i, end))
                i = end
        i += 1
    return spans


def _clause_before(text: str, start: int) -> str:
    i = start
    while i > 0 and text[i - 1] not in _BOUNDARY and start - i < 24:
        i -= 1
    return text[i:start]


def _sentence_before(text: str, start: int) -> str:
    # a worry or wish reaches over commas (刚才怕信息不全，出了库就太麻烦了), not over a full stop
    i = start
    while i > 0 and text[i - 1] not in _SENTENCE_END and start - i < 24:
        i -= 1
    return text[i:start]


def _negated(before: str) -> bool:
    trimmed = before
    for _ in range(2):  # 不是很慢, 没那么久, 不算太差
        for filler in _FILLERS:
            if trimmed.endswith(filler):
                trimmed = trimmed[: -len(filler)]
                break
    if not trimmed or trimmed[-1] not in _NEGATORS:
        return False
    # an A-not-A question is not a negation: 是不是太忽悠人了, 会不会太慢
    return not (len(trimmed) >= 2 and before[len(trimmed) :].startswith(trimmed[-2]))


def _kept(text: str, kind: CueKind, start: int, end: int, quoted: list[tuple[int, int]]) -> bool:
    k = bisect_left(quoted, (start, start)) - 1  # the last quote opened before start (spans are disjoint)
    if k >= 0 and quoted[k][0] < start < quoted[k][1]:
        return False
    before = _clause_before(text, start)
    if kind.not_before and before.endswith(kind.not_before):
        return False
    if kind.not_after and any(text.startswith(a, end) for a in kind.not_after):
        return False
    if kind.negatable and _negated(before):
        return False
    sentence = _sentence_before(text, start)
    if kind.hedged and any(w in sentence for w in _HEDGES):
        return False
    if kind.hypothetical and _SELF_APOLOGY.search(sentence):
        return False
    return not (kind.hypothetical and any(w in sentence for w in (*_WORRY, *_REPORTED)))


@lru_cache(maxsize=1)
def _index() -> RegexIndex:
    # the rule engine's presence index over every kind's pattern: one RE2 filter pass says which kinds a
    # turn holds at all, so a turn pays one call instead of a finditer per kind (most turns hold none).
    # Imported here: qa_audit.rules imports the turn models, which import this module's KINDS.
    from qa_audit.rules.matchers import RegexIndex

    return RegexIndex({kind.pattern for kind in KINDS})


def scan(text: str) -> tuple[Match, ...]:
    """Return every kept cue of one normalised turn, kind by kind in list order, then by position."""
    index = _index()
    present = index.present(text)
    if not present:
        return ()
    quoted = _quoted(text)
    return tuple(
        (m.start(), m.end(), kind.name, kind.points)
        for kind, rx in _compiled()
        if index.ids[kind.pattern] in present
        for m in rx.finditer(text)
        if _kept(text, kind, m.start(), m.end(), quoted)
    )


def disclaimed(text: str) -> bool:
    """Whether a normalised turn says it is no grievance (praise, reported speech, a negated complaint, an apology)."""
    return bool(_DISCLAIMER.search(text) or _SELF_APOLOGY.search(text))


def points(matches: tuple[Match, ...]) -> int:
    """Return the turn's points: each kind counts once, at its own points."""
    return sum({kind: pts for _, _, kind, pts in matches}.values())
