"""Print an HTML brief to PDF with a headless Chromium (Debian's ``chromium`` package).

The page is printed as it is: the brief is self-contained, so the browser fetches nothing, and it
runs with its background networking off and a throw-away profile. The browser is the setting
``chromium`` (``CRITMIN_CHROMIUM``) when set, else the first of ``chromium``, ``chromium-browser``,
``google-chrome`` on ``PATH``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from critmin.errors import CritminError
from critmin.settings import SETTINGS

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 180
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)


class PdfError(CritminError):
    """The PDF could not be printed (no browser, or the browser failed)."""


def find_browser() -> str:
    """The Chromium executable to print with; a clear error naming how to install one."""
    named = SETTINGS["chromium"].value()
    if named:
        if shutil.which(named) is None:
            raise PdfError(f"CRITMIN_CHROMIUM={named!r} is not an executable")
        return named
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(
        "--pdf needs Chromium to print with: install Debian's package (apt-get install chromium, or `make "
        "browser`)"
        " or set CRITMIN_CHROMIUM to a Chromium executable"
    )


def print_pdf(html_file: Path, pdf_file: Path, *, browser: str | None = None) -> Path:
    """Print ``html_file`` to ``pdf_file`` (A4, the page's print styles) and return ``pdf_file``."""
    source = Path(html_file).resolve()
    if not source.is_file():
        raise PdfError(f"{source}: no such HTML file to print")
    target = Path(pdf_file).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    executable = browser or find_browser()
    with tempfile.TemporaryDirectory(prefix="critmin-chromium-") as profile:
        command = [
            executable,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"{executable} did not finish printing {source.name} in {TIMEOUT_S} s") from None
    if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise PdfError(
            f"{executable} failed to print {source.name} (exit {done.returncode}): {' | '.join(tail)}"
        )
    return target
