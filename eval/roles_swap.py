"""Measure the swapped-roles check and the role inference on conversations whose roles are known.

    python eval/roles_swap.py data/jddc_dialogues/sessions.jsonl sample_transcripts

For every readable conversation: is it flagged as swapped as given (a false flag), is it flagged
once its agent/customer labels are swapped on purpose (a detection), and, with the two tracks given
to `infer_roles` as anonymous speakers, is the agent found, wrongly found, or left unclear
(confidence below roles_infer.MIN_CONFIDENCE). Each input is split by a hash of the conversation id
into `tune` (the half the cue phrases and thresholds were chosen on) and `test` (untouched).
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace

from qa_audit.model import Conversation
from qa_audit.readers import read_inputs
from qa_audit.roles_infer import MIN_CONFIDENCE, check_roles, infer_roles

_OTHER = {"agent": "customer", "customer": "agent"}


def swapped(conv: Conversation) -> Conversation:
    """The conversation with agent and customer labels exchanged."""
    return replace(conv, turns=tuple(replace(t, role=_OTHER.get(t.role, t.role)) for t in conv.turns))


def half(cid: str) -> str:
    """tune or test, fixed by the conversation id."""
    return "tune" if int(hashlib.md5(cid.encode()).hexdigest(), 16) % 2 == 0 else "test"


def measure(convs: list[Conversation]) -> dict[str, int]:
    """Counts of false flags, detections and inference outcomes."""
    out = dict.fromkeys(("n", "false_flags", "detected", "inferred_right", "inferred_wrong", "unclear"), 0)
    for c in convs:
        out["n"] += 1
        out["false_flags"] += check_roles(c).roles.swapped_suspected
        out["detected"] += check_roles(swapped(c)).roles.swapped_suspected
        speakers = {
            "x": [t.text for t in c.turns if t.role == "agent"],
            "y": [t.text for t in c.turns if t.role == "customer"],
        }
        roles, confidence, _ = infer_roles(speakers)
        key = (
            "unclear"
            if confidence < MIN_CONFIDENCE
            else "inferred_right"
            if roles["x"] == "agent"
            else "inferred_wrong"
        )
        out[key] += 1
    return out


def main(paths: list[str]) -> None:
    """Print one table row per input and half."""
    print("| input | half | n | false flags | swapped detected | inferred right | wrong | unclear |")
    print("|---|---|---|---|---|---|---|---|")
    for path in paths:
        convs = [c for c in read_inputs([path]) if isinstance(c, Conversation)]
        for part in ("tune", "test"):
            m = measure([c for c in convs if half(c.conversation_id) == part])
            n = m["n"] or 1
            print(
                f"| {path} | {part} | {m['n']} | {m['false_flags']} ({m['false_flags'] / n:.1%}) | "
                f"{m['detected']} ({m['detected'] / n:.1%}) | {m['inferred_right']} | {m['inferred_wrong']} | "
                f"{m['unclear']} ({m['unclear'] / n:.1%}) |"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
