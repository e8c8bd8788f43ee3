"""ComplaintTagger: complaint type (model), complaint detection and customer type of a conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa_audit.classify.complaint import customer_type, detect_complaint
from qa_audit.classify.linear import LinearModel
from qa_audit.classify.model_io import load_model
from qa_audit.classify.text import customer_text
from qa_audit.model import ComplaintTag, Conversation


class ComplaintTagger:
    """Tags conversations with a model directory; build it with `ComplaintTagger.load(dir)`."""

    def __init__(self, model: LinearModel, meta: dict[str, Any], model_dir: Path) -> None:
        self.model = model
        self.meta = meta
        self.model_dir = model_dir
        self.fallback: str = meta["fallback_label"]
        self.threshold: float = float(meta["uncertain_threshold"])

    @classmethod
    def load(cls, model_dir: Path) -> ComplaintTagger:
        """Load and check a model directory (ModelError with a clear message when unusable)."""
        model_dir = Path(model_dir)
        model, meta = load_model(model_dir)
        return cls(model, meta, model_dir)

    @property
    def labels(self) -> tuple[str, ...]:
        """Return the model's label set."""
        return self.model.labels

    def tag(self, conv: Conversation) -> ComplaintTag:
        """Return complaint type (with probability, review flag, explanation), is_complaint and type."""
        complaint = detect_complaint(conv)
        ctype = customer_type(conv)
        text = customer_text(conv)
        pred = self.model.predict(text) if text else None
        evidence: dict[str, Any] = {
            "complaint": complaint.evidence(),
            "customer_type": ctype.evidence(),
            "uncertain_threshold": self.threshold,
        }
        if pred is None:
            evidence["reason"] = "no customer text" if not text else "no known feature in the customer text"
            return ComplaintTag(self.fallback, 0.0, True, complaint.is_complaint, ctype.label, (), evidence)
        evidence["top_probs"] = {k: round(v, 4) for k, v in sorted(pred.probs.items(), key=lambda kv: -kv[1])[:3]}
        return ComplaintTag(
            complaint_type=pred.label,
            complaint_prob=pred.prob,
            uncertain=pred.prob < self.threshold,
            is_complaint=complaint.is_complaint,
            customer_type=ctype.label,
            explanation=pred.explanation,
            evidence=evidence,
        )
