"""Roll conversation rows up per agent, team, day, channel and rule, in one streaming pass.

Memory grows with the number of agents, rules and (day, hour) slots, never with conversations.
Also computes the 四个一样 consistency view: each agent's mean score in busy vs quiet hours and
with agitated (激动型) vs other customers.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa_audit.model import RuleInfo, ScoringPolicy
from qa_audit.scoring import LossRow, RuleLoss, loss_rows

AGITATED = "激动型"
NOT_ENOUGH = "数据不足"
MIN_GROUP = 3  # conversations an agent needs on each side of a comparison
MIN_SLOTS = 3  # distinct (day, hour) slots needed to tell busy from quiet hours
GAP_FLAG = 10.0  # points between the two sides that earn a flag
TOP_RULES = 3


@dataclass
class _Stat:
    n: int = 0
    total: float = 0.0
    passed: int = 0
    vetoed: int = 0
    findings: int = 0
    deducted: float = 0.0
    low: float | None = None

    def add(self, row: Mapping[str, Any]) -> None:
        score = float(row["score"])
        self.n += 1
        self.total += score
        self.passed += bool(row["passed"])
        self.vetoed += bool(row["vetoed"])
        self.findings += int(row["findings"])
        self.deducted += float(row["deducted"])
        self.low = score if self.low is None else min(self.low, score)

    def mean(self) -> float | None:
        return round(self.total / self.n, 2) if self.n else None

    def as_row(self) -> dict[str, Any]:
        return {
            "conversations": self.n,
            "mean_score": self.mean(),
            "min_score": self.low,
            "pass_rate": round(self.passed / self.n, 4) if self.n else None,
            "vetoed": self.vetoed,
            "findings": self.findings,
            "deducted": round(self.deducted, 2),
        }


@dataclass
class _Agent:
    stat: _Stat = field(default_factory=_Stat)
    name: str = ""
    team: str = ""
    complaints: int = 0
    lost: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0]))
    flags: Counter[str] = field(default_factory=Counter)  # 待复核 findings per rule
    deductions: int = 0  # deducting findings of the rules that failed
    slots: dict[tuple[str, int], list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0]))
    mood: dict[bool, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0]))


@dataclass
class _Rule:
    applicable: int = 0
    failed: int = 0
    findings: int = 0
    points: float = 0.0


@dataclass(frozen=True)
class Aggregates:
    """Everything the summary, agents and breakdown sheets show."""

    overall: dict[str, Any]
    agents: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    days: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    complaint_types: list[dict[str, Any]]
    customer_types: list[dict[str, Any]]
    busy_hours: str  # how busy hours were decided, or 数据不足


def _mean(pair: list[float]) -> float | None:
    return round(pair[0] / pair[1], 2) if pair[1] else None


def _compare(a: list[float], b: list[float]) -> tuple[float | None, float | None, float | None]:
    if a[1] < MIN_GROUP or b[1] < MIN_GROUP:
        return _mean(a), _mean(b), None
    ma, mb = _mean(a), _mean(b)
    return ma, mb, round(ma - mb, 2) if ma is not None and mb is not None else None


class Aggregator:
    """Accumulate conversation rows; call `result()` once at the end."""

    def __init__(self) -> None:
        """Start empty."""
        self._all = _Stat()
        self._agents: dict[str, _Agent] = defaultdict(_Agent)
        self._groups: dict[str, dict[str, _Stat]] = {k: defaultdict(_Stat) for k in ("team", "day", "channel")}
        self._rules: dict[str, _Rule] = defaultdict(_Rule)
        self._slots: Counter[tuple[str, int]] = Counter()
        self._complaint: Counter[str] = Counter()
        self._complaint_all: Counter[str] = Counter()
        self._customer: Counter[str] = Counter()
        self._versions: Counter[str] = Counter()

    def add(self, row: Mapping[str, Any], losses: Mapping[str, RuleLoss]) -> None:
        """Add one conversation row (tables.conversation_row) and its per-rule losses."""
        self.add_rows(row, loss_rows(losses))

    def add_rows(self, row: Mapping[str, Any], losses: Sequence[LossRow]) -> None:
        """As `add`, the losses as `loss_rows` gives them (what a pool worker sends: tuples pickle fast)."""
        self._all.add(row)
        agent = self._agents[row["agent_id"] or "（未知）"]
        agent.stat.add(row)
        agent.name = agent.name or (row["agent_name"] or "")
        agent.team = agent.team or (row["team"] or "")
        agent.complaints += bool(row["is_complaint"])
        for key, groups in self._groups.items():
            groups[row[key] or "（未知）"].add(row)
        rules = self._rules
        for rid, status, findings, _raw, points, _capped, bonus, _veto, flags in losses:
            stat = rules[rid]
            if bonus or status == "n/a":
                continue
            stat.applicable += 1
            if flags:
                agent.flags[rid] += flags
            if status == "fail":
                stat.failed += 1
                stat.findings += findings
                stat.points += points
                agent.deductions += findings
                pair = agent.lost[rid]
                pair[0] += points
                pair[1] += 1
        score = float(row["score"])
        if row["day"] is not None and row["hour"] is not None:
            slot = (row["day"], row["hour"])
            self._slots[slot] += 1
            agent.slots[slot][0] += score
            agent.slots[slot][1] += 1
        if row["customer_type"]:
            side = agent.mood[row["customer_type"] == AGITATED]
            side[0] += score
            side[1] += 1
        if row["is_complaint"]:
            self._complaint[row["complaint_type"] or "其他"] += 1
        self._complaint_all[row["complaint_type"] or "其他"] += 1
        self._customer[row["customer_type"] or "（未知）"] += 1
        self._versions[row["ruleset_version"] or ""] += 1

    def _busy_quiet(self) -> tuple[set, set, str]:
        if len(self._slots) < MIN_SLOTS:
            return set(), set(), NOT_ENOUGH
        median = statistics.median(self._slots.values())
        busy = {s for s, n in self._slots.items() if n > median}
        quiet = {s for s, n in self._slots.items() if n < median}
        if not busy or not quiet:
            return set(), set(), NOT_ENOUGH
        return busy, quiet, f"按小时会话量：高于中位数 {median:g} 通为忙时，低于为闲时"

    def _agent_rows(self, rules: Mapping[str, RuleInfo], threshold: float) -> list[dict[str, Any]]:
        busy, quiet, _ = self._busy_quiet()
        rows = []
        for aid, a in sorted(self._agents.items()):
            top = sorted(a.lost.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP_RULES]
            b, q = [0.0, 0], [0.0, 0]
            for slot, (total, n) in a.slots.items():
                side = b if slot in busy else q if slot in quiet else None
                if side is not None:
                    side[0] += total
                    side[1] += n
            b_mean, q_mean, load_gap = _compare(b, q)
            ag_mean, calm_mean, mood_gap = _compare(a.mood[True], a.mood[False])
            flags = [
                label
                for label, gap in (("忙闲", load_gap), ("情绪", mood_gap))
                if gap is not None and abs(gap) >= GAP_FLAG
            ]
            known = [g for g in (load_gap, mood_gap) if g is not None]
            consistency = ("⚠ " + "、".join(flags) + "差异大") if flags else ("一致" if known else NOT_ENOUGH)
            mean = a.stat.mean()
            rows.append(
                {
                    "agent_id": aid,
                    "agent_name": a.name,
                    "team": a.team,
                    **a.stat.as_row(),
                    "failing": mean is not None and mean < threshold,
                    "top_lost": "；".join(
                        f"{rules[rid].title if rid in rules and rules[rid].title else rid} −{p:g}（{int(n)}通）"
                        for rid, (p, n) in top
                    ),
                    "lost_by_rule": {rid: round(p, 2) for rid, (p, _) in a.lost.items()},
                    "flags_by_rule": dict(a.flags),
                    "flags": sum(a.flags.values()),
                    "deductions": a.deductions,
                    "complaints": a.complaints,
                    "busy_mean": b_mean,
                    "quiet_mean": q_mean,
                    "load_gap": load_gap,
                    "agitated_mean": ag_mean,
                    "calm_mean": calm_mean,
                    "mood_gap": mood_gap,
                    "consistency": consistency,
                }
            )
        # worst first: the agent a supervisor looks for is on top
        return sorted(rows, key=lambda r: (r["mean_score"] is None, r["mean_score"] or 0, r["agent_id"]))

    def _rule_rows(self, rules: Mapping[str, RuleInfo]) -> list[dict[str, Any]]:
        rows = []
        for rid in dict.fromkeys([*rules, *self._rules]):
            st, info = self._rules.get(rid, _Rule()), rules.get(rid)
            rows.append(
                {
                    "rule_id": rid,
                    "title": info.title if info else "",
                    "severity": info.severity if info else "",
                    "applicable": st.applicable,
                    "failed": st.failed,
                    "findings": st.findings,
                    "points": round(st.points, 2),
                    "fail_rate": round(st.failed / st.applicable, 4) if st.applicable else None,
                }
            )
        return sorted(rows, key=lambda r: (-r["points"], -r["failed"], r["rule_id"]))

    def result(self, rules: Mapping[str, RuleInfo], policy: ScoringPolicy) -> Aggregates:
        """Return the finished tables."""

        def groups(key: str) -> list[dict[str, Any]]:
            return [{"key": k, **s.as_row()} for k, s in sorted(self._groups[key].items())]

        def mix(counter: Counter, total: int) -> list[dict[str, Any]]:
            return [
                {"key": k, "count": n, "share": round(n / total, 4) if total else None}
                for k, n in counter.most_common()
            ]

        complaints = sum(self._complaint.values())
        overall = {
            **self._all.as_row(),
            "agents": len(self._agents),
            "complaints": complaints,
            "complaint_mix_basis": "投诉会话" if complaints else "全部会话",
            "ruleset_versions": sorted(v for v in self._versions if v),
        }
        return Aggregates(
            overall=overall,
            agents=self._agent_rows(rules, policy.pass_threshold),
            teams=groups("team"),
            days=groups("day"),
            channels=groups("channel"),
            rules=self._rule_rows(rules),
            complaint_types=mix(self._complaint if complaints else self._complaint_all, complaints or self._all.n),
            customer_types=mix(self._customer, self._all.n),
            busy_hours=self._busy_quiet()[2],
        )
