"""Turn an executed dossier notebook into one self-contained HTML file and an A4 PDF."""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from .. import __version__
from ..catalogue import text
from ..resources import template_dir

#: One user at a time of the HTML exporter, and of WeasyPrint: :func:`prepare` may run in a
#: thread beside the render, and neither library promises to be safe to share between threads.
_HTML_LOCK = threading.Lock()
_PDF_LOCK = threading.Lock()
#: Printed by :func:`prepare`: a line in the dossier's fonts, so that they are found and loaded.
_WARM_UP_HTML = (
    '<!DOCTYPE html><html lang="{lang}"><body style="font-family: \'DejaVu Sans\'">'
    "<p>Ärende <b>RUN/168/2020</b> <code>sha256</code></p></body></html>"
)


def svg_base64(svg: str | list[str]) -> str:
    data = "".join(svg) if isinstance(svg, list) else svg
    return base64.b64encode(data.encode("utf-8")).decode("ascii")


def page_content(lang: str) -> str:
    """The CSS ``content`` value for "Sida 3 av 7" from the catalogue's words."""
    words = text("phrase.page", lang)
    parts = re.split(r"(\{page\}|\{pages\})", words)
    css = []
    for part in parts:
        if part == "{page}":
            css.append("counter(page)")
        elif part == "{pages}":
            css.append("counter(pages)")
        elif part:
            css.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(css)


@cache
def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="dossier",
        extra_template_basedirs=[str(template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_filter("svg_base64", svg_base64)
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"remove-cell"}), enabled=True
    )
    return exporter


def prepare(formats: Iterable[str] = ("html", "pdf"), lang: str = "sv") -> None:
    """Get the exporters ready ahead of need, e.g. in a thread while the notebook runs.

    The first HTML export imports nbconvert and compiles the template and
    nbconvert's CSS selectors (about 0.5 s); the first PDF imports WeasyPrint
    and loads the fonts (about 0.5 s). This does both on throw-away documents;
    an export started meanwhile waits for it. Outputs do not change: the same
    export gives the same bytes, prepared or not.
    """
    from nbformat.v4 import new_notebook

    html_document(new_notebook(), lang=lang, case_id="", title="")
    if "pdf" in formats:
        with _PDF_LOCK:
            from weasyprint import HTML
            from weasyprint.urls import URLFetcher

            warm_up = _WARM_UP_HTML.format(lang=lang)
            HTML(string=warm_up, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def html_document(nb, *, lang: str, case_id: str, title: str) -> str:
    """The dossier's HTML through nbconvert and the project's template: no code, no scripts."""
    resources = {
        "dossier": {
            "lang": lang,
            "case_id": case_id,
            "title": title,
            "version": __version__,
            "page_content": page_content(lang),
        }
    }
    with _HTML_LOCK:
        body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


def write_pdf(
    html: str, path: Path, *, pdfa: bool = False, attachments: dict[str, bytes] | None = None
) -> None:
    """Print ``html`` to an A4 PDF with WeasyPrint; PDF/A-3b with attachments when asked.

    Only ``data:`` URLs are fetched: a dossier never reaches out to another host.
    """
    with _PDF_LOCK:
        from weasyprint import HTML, Attachment
        from weasyprint.urls import URLFetcher

        files = [
            Attachment(
                string=content,
                name=name,
                description=name,
                relationship="Source" if name != "manifest.json" else "Supplement",
            )
            for name, content in (attachments or {}).items()
        ]
        document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"}))
        options = {"pdf_variant": "pdf/a-3b"} if pdfa else {}
        document.write_pdf(str(path), attachments=files or None, **options)
