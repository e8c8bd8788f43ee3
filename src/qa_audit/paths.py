"""Where the bundled rule pack and model live."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]


def default_rules_dir() -> Path:
    """Return the packaged rule pack (override with QA_AUDIT_RULES)."""
    return Path(os.environ.get("QA_AUDIT_RULES", _ROOT / "rules"))


def default_model_dir() -> Path:
    """Return the packaged complaint-type model (override with QA_AUDIT_MODEL)."""
    return Path(os.environ.get("QA_AUDIT_MODEL", _ROOT / "models" / "complaint_type"))


def default_jddc_sessions() -> Path:
    """Return the shared JDDC sessions file beside the repository (used by `rules eval`)."""
    return _ROOT.parent / "shared" / "data" / "jddc_dialogues" / "sessions.jsonl"
