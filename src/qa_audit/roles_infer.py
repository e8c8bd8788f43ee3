"""Tell the agent from the customer by what they say, and spot conversations whose roles look swapped.

Both jobs use one measure, the *agent-ness* of a speaker: hits of phrases only a service agent says
(greeting and offering help, asking for the order or phone number, 为您/帮您 + a service verb, asking
the customer to wait, apologising for the wait, closing) minus hits of phrases only a customer says
(我的订单, 我买的, 我想退, 你们怎么还没, 帮我). The phrases describe the KIND of utterance (who serves
whom), not sentences of any one data set. Measured figures are in the README (input section).

- `infer_roles`: ASR speakers without a map. The most agent-like speaker is the agent, the others
  customers; the confidence grows with the margin between the two most agent-like speakers.
- `check_roles`: every conversation, also with given roles. When the customer track is clearly more
  agent-like than the agent track, the roles are suspected swapped.
A conversation whose roles are not usable gets its role-dependent rules n/a (rules.engine), never failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from qa_audit.model import Conversation, Roles, Turn

MIN_CONFIDENCE = 0.7  # below this an inferred assignment is not used for role-dependent rules
SWAP_MARGIN = 2.0  # the customer track must be this much more agent-like than the agent track ...
SWAP_MIN_AGENTNESS = 1.0  # ... and clearly agent-like itself

_AGENT_CUES = re.compile(
    "|".join(
        [
            r"有什么(可以|能|需要)?(帮|为)(您|你)",
            r"很高兴为您服务|为您服务|工号",
            r"(为|帮|给)您(查|核|处理|办理|申请|反馈|登记|安排|补发|退|换|联系|转接|催|看|解决|提交|备注|升级|记录|确认)",
            r"请(您)?稍等|稍等(一下|片刻)?[，,。~]|正在(为您|帮您)?(查询|核实|处理)",
            r"请(您)?提供|请问您?的?(订单|手机|电话|姓名|地址|账号)",
            r"让您久等|给您(带来)?(造成)?的?不便|非常抱歉|十分抱歉|深表歉意|理解您的(心情|感受)",
            r"还有(什么|其他|别的)(问题|事情|需要|可以)",
            r"感谢您的(来电|耐心|支持|理解|等待)|祝您|请您对.{0,6}(评价|服务)",
            r"亲[，,~！!]|亲爱的",
        ]
    )
)
_CUSTOMER_CUES = re.compile(
    "|".join(
        [
            r"我的(订单|快递|包裹|货|东西|钱|退款|手机号|账号|账户|单子)",
            r"我(买|下单|订|收到|购买)的",
            r"我(想|要)(问|咨询|退|换|要|查|取消|投诉|改)",
            r"(怎么|为什么|为啥)(还|一直)?(没|不)(到|发|退|有人)",
            r"你们(怎么|为什么|能不能|什么时候|这|的服务|客服)",
            r"(帮|给)我(退|换|查|处理|看|改|取消|催|弄)",
            r"什么时候(能|可以|会)?(到|发货|退款|送)",
            r"转人工|在吗|有人吗",
        ]
    )
)


def agentness(texts: Iterable[str]) -> float:
    """Agent-phrase hits minus customer-phrase hits over the given utterances of one speaker."""
    score = 0.0
    for text in texts:
        score += len(_AGENT_CUES.findall(text)) - len(_CUSTOMER_CUES.findall(text))
    return score


def _confidence(margin: float) -> float:
    """0.5 for no margin, towards 1.0 as the margin grows (0.7 at a margin of 1.33 hits)."""
    margin = max(margin, 0.0)
    return round(0.5 + 0.5 * margin / (margin + 2.0), 3)


def infer_roles(speakers: Mapping[str, list[str]]) -> tuple[dict[str, str], float, str]:
    """Return speaker -> role, the confidence, and a short explanation.

    `speakers` maps each speaker id to its utterances. One speaker alone cannot be told apart
    (confidence 0.0; everything is taken as the agent's).
    """
    if len(speakers) < 2:
        only = next(iter(speakers), "")
        return {only: "agent"}, 0.0, "only one speaker (只有一个说话人)"
    scores = {s: agentness(texts) for s, texts in speakers.items()}
    ranked = sorted(scores, key=lambda s: (-scores[s], s))
    agent = ranked[0]
    margin = scores[agent] - scores[ranked[1]]
    roles = {s: ("agent" if s == agent else "customer") for s in speakers}
    detail = ", ".join(f"{s}:{scores[s]:g}" for s in ranked)
    return roles, (_confidence(margin) if margin > 0 else 0.0), f"agent-ness by speaker {detail}"


def _track(turns: Iterable[Turn], role: str) -> list[str]:
    return [t.text for t in turns if t.role == role]


def check_roles(conv: Conversation) -> Conversation:
    """Return `conv` with `roles` set: the reader's verdict (or "given"), plus the swapped-roles check."""
    roles = conv.roles or Roles()
    agent = agentness(_track(conv.turns, "agent"))
    customer = agentness(_track(conv.turns, "customer"))
    swapped = customer >= SWAP_MIN_AGENTNESS and customer - agent >= SWAP_MARGIN
    usable = roles.usable and roles.confidence >= MIN_CONFIDENCE and not swapped
    evidence = roles.evidence
    if swapped:
        evidence = f"customer track agent-ness {customer:g} vs agent track {agent:g} (角色疑似颠倒)"
    elif roles.confidence < MIN_CONFIDENCE and not evidence:
        evidence = "roles cannot be told apart (角色无法区分)"
    new = replace(roles, swapped_suspected=swapped, usable=usable, evidence=evidence)
    return conv if new == conv.roles else replace(conv, roles=new)


class RolesTally:
    """summary.json `roles`: how roles were decided, and the conversations listed for review."""

    MAX_IDS = 1000

    def __init__(self) -> None:
        """Start with nothing counted."""
        self.sources: dict[str, int] = {}
        self.swapped: list[str] = []
        self.unclear: list[str] = []
        self.counts = {"swapped_suspected": 0, "unclear": 0}

    def add(self, conv: Conversation) -> None:
        """Count one audited conversation."""
        roles = conv.roles or Roles()
        self.sources[roles.source] = self.sources.get(roles.source, 0) + 1
        if roles.usable:
            return
        kind, ids = ("swapped_suspected", self.swapped) if roles.swapped_suspected else ("unclear", self.unclear)
        self.counts[kind] += 1
        if len(ids) < self.MAX_IDS:
            ids.append(conv.conversation_id)

    def to_json(self) -> dict[str, object]:
        """The summary.json object."""
        return {
            "source": dict(sorted(self.sources.items())),
            "swapped_suspected": {"count": self.counts["swapped_suspected"], "ids": self.swapped},
            "unclear": {"count": self.counts["unclear"], "ids": self.unclear},
        }
