"""qa-audit: audit Chinese customer-service transcripts against written service standards."""

__version__ = "0.1.0"
