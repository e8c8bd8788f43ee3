"""`python -m qa_audit` is the `qa-audit` command."""

from qa_audit.cli import run

if __name__ == "__main__":
    run()
