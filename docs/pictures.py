"""Make the README's pictures again: the meeting pack's cover and a dossier on a phone.

Renders the sample meeting (as of 1 June 2023, as `make demo` does) into a temporary
folder, then writes into docs/:

- pack-cover.png: the pack PDF's first page (pdftoppm, from poppler-utils);
- dossier-page-1.png, dossier-page-2.png: the first two pages of the PDF dossier of
  RUN/168/2020, as the README's first picture shows them side by side;
- phone-top.png, phone-history.png: the dossier of RUN/168/2020 in Chromium at
  390 px wide (Playwright), its first screen and its case history.

Run with `make pictures`; CI does not run it (the pictures are committed).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from dossier.cli import main

DOCS = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
MEETING = "EXEMPEL-RUN-2023-06"
AS_OF = "2023-06-01"
PHONE = {"width": 390, "height": 844}


def pdf_page(pdf: Path, page: int, png: Path, dpi: int) -> None:
    """A page of the PDF as a PNG (at 90 dots per inch an A4 page is 744 px wide, at 70 579 px)."""
    stem = png.with_suffix("")
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-png", "-singlefile",
                    str(pdf), str(stem)], check=True)  # fmt: skip


def phone_pictures(html: Path) -> None:
    """The dossier's first screen and its case history, as a phone of 390 px shows them."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(DOCS / "phone-top.png"))
        page.evaluate("document.getElementById('history').scrollIntoView()")
        page.screenshot(path=str(DOCS / "phone-history.png"))
        browser.close()


def run() -> int:
    with tempfile.TemporaryDirectory(prefix="dossier-pictures-") as folder:
        out = Path(folder) / "out"
        status = main(["batch", "--meeting", MEETING, "--out", str(out), "--as-of", AS_OF])
        if status != 0:
            return status
        pdf_page(out / f"meeting-{MEETING}" / f"{MEETING}.pdf", 1, DOCS / "pack-cover.png", 90)
        for page in (1, 2):
            pdf_page(out / "RUN-168-2020" / "RUN-168-2020.pdf", page, DOCS / f"dossier-page-{page}.png", 70)
        phone_pictures(out / "RUN-168-2020" / "RUN-168-2020.html")
    for name in ("pack-cover.png", "dossier-page-1.png", "dossier-page-2.png", "phone-top.png",
                 "phone-history.png"):  # fmt: skip
        print(DOCS / name)
    return 0


if __name__ == "__main__":
    sys.exit(run())
