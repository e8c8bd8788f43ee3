"""Render a workbook through LibreOffice (headless) to PDF, and a PDF page to PNG (poppler).

Used by the tests that prove the workbook opens and prints cleanly outside openpyxl, and to refresh
the docs picture from the real sample run: `python -m qa_audit.report.render docs/scorecard-summary.png`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


class RenderError(RuntimeError):
    """LibreOffice or pdftoppm failed; the message carries their output."""


def soffice() -> str | None:
    """Return the LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(xlsx: Path, outdir: Path, timeout: float = 120) -> Path:
    """Convert `xlsx` to PDF in `outdir` with a private LibreOffice profile; return the PDF path."""
    exe = soffice()
    if exe is None:
        raise RenderError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="qa-audit-lo-") as profile:
        # a private profile: two conversions at once would otherwise fight over the user's one
        cmd = [
            exe,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(xlsx),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    pdf = outdir / (xlsx.stem + ".pdf")
    if proc.returncode != 0 or not pdf.exists():
        raise RenderError(f"soffice failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return pdf


def first_page_png(pdf: Path, png: Path, dpi: int = 110) -> Path:
    """Render page 1 of `pdf` to `png` with pdftoppm."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise RenderError("pdftoppm (poppler-utils) is not installed")
    stem = png.with_suffix("")
    cmd = [exe, "-png", "-singlefile", "-f", "1", "-l", "1", "-r", str(dpi), str(pdf), str(stem)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RenderError(f"pdftoppm failed ({proc.returncode}): {proc.stderr}")
    return png


def page_texts(pdf: Path) -> list[str]:
    """Return the text of each page of `pdf` (pdftotext), in order."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise RenderError("pdftotext (poppler-utils) is not installed")
    proc = subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RenderError(f"pdftotext failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout.split("\f")[:-1] if proc.stdout.endswith("\f") else proc.stdout.split("\f")


def main(argv: list[str]) -> int:
    """Audit the bundled sample transcripts and write their scorecard's summary page as a PNG."""
    from qa_audit.cli import main as cli

    if len(argv) != 1:
        print("usage: python -m qa_audit.report.render OUT.png", file=sys.stderr)
        return 2
    from qa_audit.paths import checkout_path

    samples = checkout_path("sample_transcripts")
    if samples is None:
        print("the sample transcripts are in the source checkout, not in an installed wheel", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        cli.main(["audit", str(samples), "-o", tmp, "-q"], standalone_mode=False)
        pdf = to_pdf(Path(tmp) / "scorecard.xlsx", Path(tmp))
        first_page_png(pdf, Path(argv[0]))
    print(argv[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
