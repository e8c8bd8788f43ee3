"""Held-out metrics of a model on labelled texts: macro-F1, accuracy, per-class P/R, confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_audit.classify.linear import LinearModel
from qa_audit.classify.text import clean


@dataclass(frozen=True)
class Report:
    """Scores of predictions against gold labels; `labels` orders the table and the matrix."""

    n: int
    accuracy: float
    macro_f1: float
    labels: tuple[str, ...]
    per_class: dict[str, dict[str, float]]
    confusion: tuple[tuple[int, ...], ...]  # rows gold, columns predicted, in `labels` order
    uncertain_rate: float | None = None
    confident_accuracy: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict (macro_f1 and accuracy at the top level)."""
        return {
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "n": self.n,
            "uncertain_rate": None if self.uncertain_rate is None else round(self.uncertain_rate, 4),
            "confident_accuracy": (None if self.confident_accuracy is None else round(self.confident_accuracy, 4)),
            "labels": list(self.labels),
            "per_class": {k: {m: round(v, 4) for m, v in d.items()} for k, d in self.per_class.items()},
            "confusion": [list(r) for r in self.confusion],
        }


def score(gold: list[str], pred: list[str], labels: tuple[str, ...] | None = None) -> Report:
    """Return accuracy, macro-F1 (over the gold and model labels), per-class P/R/F1 and confusion."""
    names = tuple(labels or ())
    names += tuple(sorted((set(gold) | set(pred)) - set(names)))
    pos = {label: i for i, label in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for g, p in zip(gold, pred, strict=True):
        matrix[pos[g]][pos[p]] += 1
    per_class: dict[str, dict[str, float]] = {}
    present: list[float] = []  # F1 of classes that occur in gold or predictions (as sklearn)
    for label, i in pos.items():
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted = sum(row[i] for row in matrix)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
        if support or predicted:
            present.append(f1)
    macro = sum(present) / len(present) if present else 0.0
    correct = sum(g == p for g, p in zip(gold, pred, strict=True))
    return Report(
        n=len(gold),
        accuracy=correct / len(gold) if gold else 0.0,
        macro_f1=macro,
        labels=names,
        per_class=per_class,
        confusion=tuple(tuple(r) for r in matrix),
    )


def evaluate(model: LinearModel, texts: list[str], gold: list[str], *, fallback: str, threshold: float) -> Report:
    """Predict every text with the exported model and score it; also the uncertain share."""
    pred: list[str] = []
    probs: list[float] = []
    for text in texts:
        p = model.predict(clean(text), top=0)
        pred.append(p.label if p else fallback)
        probs.append(p.prob if p else 0.0)
    report = score(gold, pred, model.labels)
    confident = [g == p for g, p, pr in zip(gold, pred, probs, strict=True) if pr >= threshold]
    return Report(
        **{
            **report.__dict__,
            "uncertain_rate": 1 - len(confident) / len(gold) if gold else 0.0,
            "confident_accuracy": sum(confident) / len(confident) if confident else None,
        }
    )


def format_report(report: Report, title: str = "") -> str:
    """Return the report as plain text: headline scores, per-class table, confusion matrix."""
    lines = [title] if title else []
    lines.append(f"examples: {report.n}   accuracy: {report.accuracy:.4f}   macro-F1: {report.macro_f1:.4f}")
    if report.uncertain_rate is not None:
        ca = "-" if report.confident_accuracy is None else f"{report.confident_accuracy:.4f}"
        lines.append(f"flagged uncertain: {report.uncertain_rate:.1%}   accuracy of the rest: {ca}")
    width = max(len(label) for label in report.labels) * 2
    lines.append(f"{'label':<{width}} precision  recall     f1  support")
    for label in report.labels:
        d = report.per_class[label]
        pad = width - len(label)  # CJK characters take two columns
        lines.append(
            f"{label}{' ' * max(pad, 1)} {d['precision']:9.3f} {d['recall']:7.3f} {d['f1']:6.3f} {int(d['support']):8d}"
        )
    lines.append("confusion matrix (rows gold, columns predicted, in the order above):")
    lines.extend(" ".join(f"{v:4d}" for v in row) for row in report.confusion)
    return "\n".join(lines)
