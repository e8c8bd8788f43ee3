"""qa-audit: audit Chinese customer-service transcripts against written service standards."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qa-audit")  # the one version source is pyproject.toml
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
