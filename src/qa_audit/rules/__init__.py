"""Rule files, their validation, and the engine that checks conversations against them."""

from qa_audit.rules.engine import Engine
from qa_audit.rules.loader import RuleLoadError, RuleProblem, load_ruleset
from qa_audit.rules.spec import Rule, RuleSet

__all__ = ["Engine", "Rule", "RuleLoadError", "RuleProblem", "RuleSet", "load_ruleset"]
