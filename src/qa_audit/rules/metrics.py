"""Measured values of a conversation: talk share, speech rate, response time, silences."""

from __future__ import annotations

from datetime import datetime

from qa_audit.model import Conversation, Turn


def _iso(ts: str) -> float | None:
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except (ValueError, TypeError):
        return None


def turn_times(conv: Conversation) -> list[tuple[float | None, float | None]]:
    """Return (start, end) seconds from the conversation's first turn, per turn (None when unknown).

    Calls give start/end; chats give an ISO `ts`, taken as both start and end of the message.
    """
    out: list[tuple[float | None, float | None]] = []
    origin = None
    for t in conv.turns:
        if t.start is not None:
            out.append((t.start, t.end))
            continue
        stamp = _iso(t.ts) if t.ts else None
        if stamp is not None and origin is None:
            origin = stamp
        rel = None if stamp is None or origin is None else stamp - origin
        out.append((rel, rel))
    return out


def _chars(turn: Turn) -> int:
    return len("".join(turn.text.split()))


def _seconds(turn: Turn) -> float:
    # callers keep only turns with both times
    assert turn.start is not None and turn.end is not None
    return turn.end - turn.start


def talk_share(conv: Conversation) -> tuple[float | None, str]:
    """Agent share of the talk: seconds when every turn has start/end, else characters."""
    spoken = [t for t in conv.turns if t.role in ("agent", "customer")]
    if spoken and all(t.start is not None and t.end is not None for t in spoken):
        agent = sum(_seconds(t) for t in spoken if t.role == "agent")
        total = sum(_seconds(t) for t in spoken)
        unit = "seconds"
    else:
        agent = sum(_chars(t) for t in spoken if t.role == "agent")
        total = sum(_chars(t) for t in spoken)
        unit = "characters"
    return (round(agent / total, 3) if total > 0 else None), unit


def speech_rate(conv: Conversation) -> float | None:
    """Agent characters per second over agent turns with start and end (the ASR vendor's rate if every turn has it)."""
    timed = [t for t in conv.turns if t.role == "agent" and t.start is not None and t.end is not None]
    seconds = sum(_seconds(t) for t in timed)
    if seconds <= 0:
        return None
    if all(isinstance(t.extras.get("speech_rate"), (int, float)) for t in timed):
        # the ASR vendor's own per-sentence rate (it knows the pauses inside a sentence), duration-weighted
        return round(sum(t.extras["speech_rate"] * _seconds(t) for t in timed) / seconds, 2)
    return round(sum(_chars(t) for t in timed) / seconds, 2)


def first_response(conv: Conversation) -> tuple[float | None, int | None]:
    """Seconds from the first turn to the agent's first turn, and that turn's index."""
    times = turn_times(conv)
    if not times or times[0][0] is None:
        return None, None
    for i, t in enumerate(conv.turns):
        if t.role == "agent":
            start = times[i][0]
            return (round(start - times[0][0], 2) if start is not None else None), i
    return None, None


def interruptions(conv: Conversation, tolerance: float) -> list[tuple[int, int, float]]:
    """Agent turns that start more than `tolerance` seconds before the customer's turn before them ends.

    Returns (agent turn index, interrupted customer turn index, seconds of overlap).
    """
    out = []
    for j in range(1, len(conv.turns)):
        prev, cur = conv.turns[j - 1], conv.turns[j]
        if cur.role != "agent" or prev.role != "customer" or cur.start is None or prev.end is None:
            continue
        overlap = prev.end - cur.start
        if overlap > tolerance:
            out.append((j, j - 1, round(overlap, 2)))
    return out


def emotion_energy(conv: Conversation, indexes: list[int]) -> tuple[float | None, int | None]:
    """The highest ASR emotion energy (Alibaba EmotionValue, Tencent EmotionalEnergy: 1-10) of the turns
    at `indexes`, and the first turn with it; (None, None) when none of them carries one."""
    values = [(t.extras.get("emotion_energy"), i) for i in indexes if (t := conv.turns[i]) is not None]
    known = [(float(v), i) for v, i in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not known:
        return None, None
    top = max(v for v, _ in known)
    return top, next(i for v, i in known if v == top)


def angry_turns(conv: Conversation, indexes: list[int]) -> tuple[int | None, int | None]:
    """How many turns at `indexes` an ASR vendor labelled angry (Huawei emotion ANGRY, Tencent EmotionType
    angry), and the first of them; (None, None) when none of them carries an emotion label."""
    labels = [(t.extras.get("emotion"), i) for i in indexes if (t := conv.turns[i]) is not None]
    known = [(str(v).lower().split(","), i) for v, i in labels if v]
    if not known:
        return None, None
    angry = [i for parts, i in known if "angry" in parts]
    return len(angry), (angry[0] if angry else known[0][1])


def customer_silences(conv: Conversation, gap: float) -> list[tuple[int, int | None, float]]:
    """Agent turns after which the customer stayed silent longer than `gap` seconds.

    Returns (agent turn index, index of the customer's next turn or None at the end, seconds).
    """
    times = turn_times(conv)
    out = []
    for i, t in enumerate(conv.turns):
        if t.role != "agent":
            continue
        end = times[i][1] if times[i][1] is not None else times[i][0]
        if end is None:
            continue
        nxt = next((j for j in range(i + 1, len(conv.turns)) if conv.turns[j].role == "customer"), None)
        if nxt is None:
            last = [x for pair in times[i + 1 :] for x in pair if x is not None]
            if not last:
                continue
            silent = max(last) - end
        else:
            reply = times[nxt][0]
            if reply is None:
                continue
            silent = reply - end
        if silent > gap:
            out.append((i, nxt, round(silent, 1)))
    return out
