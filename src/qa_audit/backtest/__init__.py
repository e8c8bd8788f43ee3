"""Backtest a rule change: audit the same conversations with an old and a new rule pack and compare."""

from qa_audit.backtest.compare import ConversationDiff, FindingChange, RulesChange, compare_rules, diff_conversation
from qa_audit.backtest.run import BacktestSummary, run_backtest

__all__ = [
    "BacktestSummary",
    "ConversationDiff",
    "FindingChange",
    "RulesChange",
    "compare_rules",
    "diff_conversation",
    "run_backtest",
]
