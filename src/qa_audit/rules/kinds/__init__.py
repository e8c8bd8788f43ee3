"""The rule kinds, one module each (forbid, require, respond, order, metric, learned) and their registry.

Add a kind: write its module (a spec dataclass of its own YAML keys, a `check`, and `KIND`), add it
to `KINDS` below, and regenerate rules/schema.json (see CONTRIBUTING.md).
"""

from __future__ import annotations

from qa_audit.rules.kinds import forbid, learned, metric, order, require, respond
from qa_audit.rules.kinds.base import Kind, Prepared, in_role, scoped

KINDS: dict[str, Kind] = {
    k.name: k for k in (forbid.KIND, require.KIND, respond.KIND, order.KIND, metric.KIND, learned.KIND)
}

__all__ = ["KINDS", "Kind", "Prepared", "in_role", "scoped"]
