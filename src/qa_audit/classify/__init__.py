"""Complaint classification: complaint type (scikit-learn trained, numpy at run time), complaint
detection and customer type. `ComplaintTagger.load(dir).tag(conversation) -> ComplaintTag`."""

from qa_audit.classify.model_io import ModelError
from qa_audit.classify.tagger import ComplaintTagger

__all__ = ["ComplaintTagger", "ModelError"]
