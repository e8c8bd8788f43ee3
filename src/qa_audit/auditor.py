"""One loaded rule engine and tagger that audits one conversation at a time.

Its own module so that the single-process path (pipeline), the process pool (parallel) and the Dask
workers (distributed) import the same Auditor without importing the orchestrator.
"""

from __future__ import annotations

from qa_audit.classify import ComplaintTagger
from qa_audit.model import Conversation, ConversationResult
from qa_audit.roles_infer import check_roles
from qa_audit.rules import Engine, RuleSet
from qa_audit.scoring import rule_losses, score_conversation


class Auditor:
    """A loaded rule engine and tagger: audit one conversation at a time."""

    def __init__(self, ruleset: RuleSet, tagger: ComplaintTagger) -> None:
        self.ruleset = ruleset
        self.engine = Engine(ruleset)
        self.tagger = tagger
        self.infos = ruleset.infos()

    def audit(self, conv: Conversation) -> ConversationResult:
        """Audit, tag and score one conversation (after checking whether its roles can be trusted)."""
        conv = check_roles(conv)
        tag = self.tagger.tag(conv)
        audit = self.engine.audit(conv, is_complaint=tag.is_complaint)
        losses = rule_losses(audit, self.infos)
        score = score_conversation(audit, self.infos, self.ruleset.policy, losses)
        return ConversationResult(conv, audit, score, tag, self.ruleset.version, losses)
