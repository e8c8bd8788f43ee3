"""What the run's counts (summary.json) take from one audited conversation, without its audit.

A pool worker that also prepared a conversation's output rows (report/prepare.py) sends its
parent only this: the findings and checks themselves are not unpickled there (about 1 s of CPU
on the 9,446 real conversations).
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_audit.model import Conversation, ConversationResult


@dataclass(frozen=True)
class Tally:
    """The counts of one audited conversation, and the conversation (its roles as the audit checked them)."""

    conversation: Conversation
    findings: int
    review_flags: int  # findings that are 待复核 flags (they deduct nothing)
    empty_turns: int
    passed: bool
    failed: tuple[str, ...]  # rule ids whose check is "fail", in the checks' order
    review: tuple[str, ...]  # rule ids whose check is "review"

    @classmethod
    def of(cls, result: ConversationResult) -> Tally:
        """The tally of a whole result."""
        audit = result.audit
        return cls(
            result.conversation,
            len(audit.findings),
            sum(not f.deducts for f in audit.findings),
            audit.empty_turns,
            result.score.passed,
            tuple(k for k, v in audit.checks.items() if v == "fail"),
            tuple(k for k, v in audit.checks.items() if v == "review"),
        )
