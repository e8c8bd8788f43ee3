"""Train and write a model directory (model.json, weights.npz, MODEL_CARD.md); rebuild the default."""

from __future__ import annotations

from pathlib import Path

from qa_audit.classify.card import JDDC_DATA, render_card
from qa_audit.classify.data import JDDC_DIR, MAPPING_FILE, Dataset, read_jddc
from qa_audit.classify.model_io import DEFAULT_LABELS, DEFAULT_TAXONOMY, library_versions, save_model
from qa_audit.classify.train import TrainResult, train

CARD_FILE = "MODEL_CARD.md"


def train_and_save(
    data: Dataset,
    out_dir: Path,
    *,
    fallback: str,
    taxonomy: str = "custom",
    title: str = "Complaint-type model",
    data_text: str = "",
    min_per_class: int = 10,
    label_order: tuple[str, ...] = (),
    log=print,
) -> TrainResult:
    """Train on `data`, write the model directory and its card; return the result."""
    result = train(data, fallback=fallback, min_per_class=min_per_class, label_order=label_order, log=log)
    meta = {**result.meta, "taxonomy": taxonomy, "versions": library_versions()}
    meta["training"]["source"] = Path(data.source).name if Path(data.source).is_file() else data.source
    written = save_model(result.model, out_dir, meta)
    text = data_text or f"User data `{Path(data.source).name}` ({len(data.texts)} labelled rows)."
    (out_dir / CARD_FILE).write_text(render_card(written, title, text), encoding="utf-8")
    return result


def build_default(out_dir: Path, *, jddc_dir: Path = JDDC_DIR, mapping: Path = MAPPING_FILE, log=print) -> TrainResult:
    """Rebuild the default complaint-type model from the JDDC intents and the mapping file."""
    data = read_jddc(jddc_dir, mapping)
    unknown = sorted(set(data.labels) - set(DEFAULT_LABELS))
    if unknown:
        raise ValueError(f"{mapping}: labels outside the default taxonomy: {', '.join(unknown)}")
    return train_and_save(
        data,
        out_dir,
        fallback="其他",
        taxonomy=DEFAULT_TAXONOMY,
        title="qa-audit default complaint-type model (JDDC intents)",
        data_text=JDDC_DATA,
        label_order=DEFAULT_LABELS,
        log=log,
    )
