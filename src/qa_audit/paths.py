"""Where the packaged rule pack and the model live, and what a source checkout adds.

The repository's top-level `rules/` and `models/` folders ship inside the package as
`qa_audit.default_rules` and `qa_audit.default_models` (see `[tool.setuptools]` in pyproject.toml),
so they are found with importlib.resources both from a wheel and from an editable install.
Development material (the sample transcripts, the JDDC training data) is in the repository only;
`checkout_path` finds it when the package runs from a clone and returns None from a wheel.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

RULES_PACKAGE = "qa_audit.default_rules"
MODELS_PACKAGE = "qa_audit.default_models"


def _package_dir(package: str) -> Path:
    # an installed (or editable) package on disk: files() is a real directory
    return Path(str(resources.files(package)))


def packaged_rules_dir() -> Path:
    """Return the default rule pack shipped with the package (ignores QA_AUDIT_RULES)."""
    return _package_dir(RULES_PACKAGE)


def packaged_models_dir() -> Path:
    """Return the folder of shipped model files: the default model, its label files and mapping."""
    return _package_dir(MODELS_PACKAGE)


def default_rules_dir() -> Path:
    """Return the packaged rule pack (override with QA_AUDIT_RULES)."""
    return Path(os.environ.get("QA_AUDIT_RULES") or packaged_rules_dir())


def default_model_dir() -> Path:
    """Return the packaged complaint-type model (override with QA_AUDIT_MODEL)."""
    return Path(os.environ.get("QA_AUDIT_MODEL") or packaged_models_dir() / "complaint_type")


def checkout_path(relative: str) -> Path | None:
    """Return `relative` inside the source checkout the package runs from, or None (e.g. from a wheel).

    An editable install maps the packaged rules to the clone's `rules/` folder, so the clone's root
    is its parent; a wheel's packaged rules sit inside site-packages, where nothing else is.
    """
    root = packaged_rules_dir().parent
    if not (root / "pyproject.toml").is_file():
        return None
    path = root / relative
    return path if path.exists() else None
