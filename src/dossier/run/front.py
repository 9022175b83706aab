"""The meeting pack's front: its cover, then an empty page for each page it binds.

WeasyPrint lays out the front once: the cover, and behind it an empty page that stands for
each page of the dossiers, named so that the cover's links and the dossiers' contents lists
can give their pages in the pack (``target-counter``), each showing its page number out of
the pack's pages. The binder (:mod:`dossier.run.bind`) then puts the dossiers' pages in
their place. What the front needs of a dossier's PDF is read by :func:`layout`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from ..resources import template_dir
from .export import page_content
from .references import (
    Reference,
    page_anchor,
    pages_for_pack,
    reading_part,
    reference_marks,
    reference_style,
    references,
)


def layout(path: Path) -> tuple[int, tuple[Reference, ...]]:
    """The pages of a dossier's PDF that the pack binds, and their page references."""
    import pikepdf

    with reading_part(path), pikepdf.open(path) as pdf:
        pages = pages_for_pack(pdf)
        return pages, tuple(r for r in references(pdf) if r.page < pages and r.target <= pages)


def front_document(cover: str, parts: Sequence[tuple[str, str, Sequence[Reference], int]],
                   lang: str) -> tuple[str, str]:  # fmt: skip
    """The HTML and CSS of the pack's front: ``cover``, then for each dossier (its slug, the
    name of its first page, its page references, its pages) an empty page for each page."""
    pages = "".join(
        f'<div class="{PAGE_CLASS}" id="{html.escape(page_anchor(slug, anchor, page + 1))}">'
        f"{reference_marks(slug, anchor, page, found)}</div>"
        for slug, anchor, found, count in parts
        for page in range(count)
    )
    before, end, after = cover.rpartition("</body>")
    return (before + pages + end + after if end else cover + pages), _front_style(lang)


#: The class of the empty pages that stand for the dossiers' pages behind the cover.
PAGE_CLASS = "pack-page"


def _front_style(lang: str) -> str:
    """CSS of the cover and the empty pages after it: the dossier's pages, numbered as in a
    dossier but out of the pack's pages; no background, so that a page number drawn over a
    dossier's page hides nothing of it."""
    dossier_pages = (template_dir() / "dossier" / "dossier.css").read_text(encoding="utf-8")
    return (
        dossier_pages
        + f"\n@page {{ @bottom-right {{ content: {page_content(lang)}; }} }}\n"
        f".{PAGE_CLASS} {{ break-before: page; }}\n" + reference_style() +
        "html, body { background: none !important; }\n"
    )
