"""The `train`, `evaluate` and `classify` commands (registered on the `qa-audit` group by the CLI)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa_audit import jsonsafe
from qa_audit.classify.data import JDDC_DIR, JDDC_SOURCE, MAPPING_FILE, DataError, holdout_split, read_jddc, read_table
from qa_audit.classify.metrics import evaluate as evaluate_model
from qa_audit.classify.metrics import format_report
from qa_audit.classify.model_io import ModelError
from qa_audit.cli_common import csv_encoding_option, encoding_option, model_option, no_mask_option
from qa_audit.model import Rejected
from qa_audit.paths import default_model_dir

USAGE_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(USAGE_ERROR)


def _log(message: str) -> None:
    click.echo(message, err=True)


@click.command("train")
@click.argument("data", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Model directory to write (created). Default without DATA: the packaged model.",
)
@click.option("--text-col", default="text", show_default=True, help="Column with the customer text.")
@click.option("--label-col", default="label", show_default=True, help="Column with the label.")
@click.option(
    "--fallback-label",
    default=None,
    help="Label for conversations without customer text (default: 其他 if a label, else the most frequent label).",
)
@click.option(
    "--min-per-class", default=10, show_default=True, type=click.IntRange(5), help="Fewest examples a class may have."
)
@csv_encoding_option
@click.option(
    "--jddc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=JDDC_DIR,
    show_default=True,
    help="JDDC intents, for the default model.",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    default=MAPPING_FILE,
    show_default=True,
    help="Intent -> complaint type mapping, for the default model.",
)
def train_command(
    data, out_dir, text_col, label_col, fallback_label, min_per_class, encoding, jddc_dir, mapping
) -> None:
    """Train a complaint-type model on labelled texts (CSV, TSV or XLSX with a header row).

    One class in five is held out (stratified; duplicates kept together), features and
    regularisation are chosen by cross-validation on the rest, and the held-out report is printed
    and written into MODEL_CARD.md beside the model.

    \b
    Examples:
      qa-audit train labelled.xlsx --text-col 内容 --label-col 类别 -o models/my_taxonomy
      qa-audit audit today.jsonl -o out/ --model models/my_taxonomy
      qa-audit train            # rebuild the packaged model from the JDDC intents (same bytes)
    """
    from qa_audit.classify.build import build_default, train_and_save

    try:
        if data is None:
            target = out_dir or default_model_dir()
            _log(f"training the default model from {jddc_dir} through {mapping}")
            result = build_default(target, jddc_dir=jddc_dir, mapping=mapping, log=_log)
        else:
            if out_dir is None:
                _fail("give the model directory to write with -o DIR")
            dataset = read_table(data, text_col, label_col, encoding=encoding)
            counts: dict[str, int] = {}
            for label in dataset.labels:
                counts[label] = counts.get(label, 0) + 1
            fallback = fallback_label or ("其他" if "其他" in counts else max(counts, key=counts.__getitem__))
            if fallback not in counts:
                _fail(f"--fallback-label {fallback!r} is not one of the labels: {', '.join(sorted(counts))}")
            target = out_dir
            result = train_and_save(dataset, target, fallback=fallback, min_per_class=min_per_class, log=_log)
    except (DataError, ModelError, ValueError, OSError) as exc:
        _fail(str(exc))
    click.echo(format_report(result.heldout, "held-out part (never used for training or tuning):"))
    click.echo(
        f"baseline (char TF-IDF + LinearSVC): macro-F1 {result.baseline.macro_f1:.4f}   "
        f"accuracy {result.baseline.accuracy:.4f}"
    )
    click.echo(f"model written to {target}")


@click.command("evaluate")
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.argument("data", required=False, type=click.Path(path_type=Path))
@click.option("--text-col", default="text", show_default=True, help="Column with the customer text.")
@click.option("--label-col", default="label", show_default=True, help="Column with the gold label.")
@csv_encoding_option
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON on the last line.")
def evaluate_command(model_dir, data, text_col, label_col, encoding, as_json) -> None:
    """Score a model on labelled data: macro-F1, accuracy, per-class precision/recall, confusion.

    Without DATA, a model trained on the JDDC intents is scored on its held-out part, rebuilt
    from the same data and split.

    \b
    Examples:
      qa-audit evaluate models/complaint_type                  # default model, JDDC held-out
      qa-audit evaluate models/my_taxonomy new_labelled.csv --text-col 内容 --label-col 类别 --json
    """
    from qa_audit.classify.model_io import load_model

    try:
        model, meta = load_model(model_dir)
        if data is None:
            if meta.get("training", {}).get("source") != JDDC_SOURCE:
                _fail("give DATA: only a model trained on the JDDC intents has a built-in held-out part")
            full = read_jddc(JDDC_DIR, MAPPING_FILE)
            if full.sha256() != meta["training"].get("data_sha256"):
                _log("warning: the JDDC data or the mapping changed since this model was trained")
            dataset = full.subset(holdout_split(full)[1])
            title = f"JDDC held-out part ({len(dataset.texts)} queries, never used in training):"
        else:
            dataset = read_table(data, text_col, label_col, encoding=encoding)
            title = f"{data} ({len(dataset.texts)} rows):"
    except (DataError, ModelError, OSError) as exc:
        _fail(str(exc))
    unknown = sorted(set(dataset.labels) - set(model.labels))
    if unknown:
        _log(f"warning: labels the model does not know (always counted wrong): {', '.join(unknown)}")
    report = evaluate_model(
        model,
        list(dataset.texts),
        list(dataset.labels),
        fallback=meta["fallback_label"],
        threshold=float(meta["uncertain_threshold"]),
    )
    click.echo(format_report(report, title))
    if as_json:
        click.echo(jsonsafe.dumps(report.to_json(), ensure_ascii=False))


@click.command("classify")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@model_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write JSONL here instead of standard output.",
)
@encoding_option
@no_mask_option
def classify_command(inputs, model_dir, output, encoding, no_mask) -> None:
    """Tag conversations with complaint type, is_complaint and customer type, without auditing.

    Prints one JSON object per conversation; unreadable records are reported on stderr (exit 1).
    Personal data is masked before anything is tagged or printed, as in `audit`.

    \b
    Examples:
      qa-audit classify today.jsonl > tags.jsonl
      qa-audit classify export.xlsx --model models/my_taxonomy -o tags.jsonl
    """
    from qa_audit.classify.tagger import ComplaintTagger
    from qa_audit.privacy import mask_conversation, mask_rejected

    try:
        from qa_audit.readers import read_inputs
    except ImportError as exc:  # the readers package is part of the same install
        _fail(f"cannot import the input readers: {exc}")
    for path in inputs:
        if not path.exists():
            _fail(f"{path}: no such file or directory")
    try:
        tagger = ComplaintTagger.load(model_dir or default_model_dir())
    except ModelError as exc:
        _fail(str(exc))
    rejected = 0
    out = output.open("w", encoding="utf-8") if output else None
    try:
        for item in read_inputs([str(p) for p in inputs], encoding=encoding):
            if isinstance(item, Rejected):
                rejected += 1
                reason = item.reason if no_mask else mask_rejected(item).reason
                _log(f"skipped {item.source}:{item.line}: {reason}")
                continue
            if not no_mask:
                item = mask_conversation(item)
            tag = tagger.tag(item)
            row = {
                "conversation_id": item.conversation_id,
                "complaint_type": tag.complaint_type,
                "complaint_prob": round(tag.complaint_prob, 4),
                "complaint_uncertain": tag.uncertain,
                "complaint_explanation": list(tag.explanation),
                "is_complaint": tag.is_complaint,
                "customer_type": tag.customer_type,
                "evidence": dict(tag.evidence),
            }
            line = jsonsafe.dumps(row, ensure_ascii=False)
            if out:
                out.write(line + "\n")
            else:
                click.echo(line)
    finally:
        if out:
            out.close()
    if rejected:
        _log(f"{rejected} record(s) could not be read")
        sys.exit(1)


# the names the `qa-audit` group registers
train = train_command
evaluate = evaluate_command
classify = classify_command
