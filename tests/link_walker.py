"""Walk every link of a file that leaves the machine: what cannot open where it is read.

Written apart from :mod:`dossier.run.links` on purpose: the walker says what a reader
meets, not what the tool meant. A link opens when it leads to a place in the same file, to
a file sent with it (by its name), or to an absolute web or mail address. Anything that
runs (JavaScript, a program to launch, actions on opening a page or the document) is a
link that cannot open, too.
"""

from __future__ import annotations

from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pikepdf


def _absolute(uri: str) -> bool:
    parts = urlsplit(uri)
    return (parts.scheme in ("http", "https") and bool(parts.netloc)) or (
        parts.scheme == "mailto" and bool(parts.path)
    )


def html_dead_links(page: str, sent: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The hrefs of ``page`` that cannot open: a place it lacks, a file not in ``sent``."""
    ids: set[str] = set()
    hrefs: list[str] = []

    class Walker(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("id"):
                ids.add(attrs["id"])
            if tag in ("a", "area") and attrs.get("href") is not None:
                hrefs.append(attrs["href"])

    Walker(convert_charrefs=True).feed(page)
    return [
        href for href in hrefs
        if not (href.startswith("#") and href[1:] in ids)
        and not _absolute(href) and unquote(href) not in sent
    ]  # fmt: skip


def pdf_dead_links(pdf_file: Path | bytes, sent: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What in the PDF cannot open: each such link or action, said in a few words."""
    source = BytesIO(pdf_file) if isinstance(pdf_file, bytes) else pdf_file
    dead = []
    with pikepdf.open(source) as pdf:
        root = pdf.Root
        names = set()
        if "/Names" in root and "/Dests" in root.Names:
            names = {str(name) for name, _ in pikepdf.NameTree(root.Names.Dests).items()}
        pages = {page.objgen for page in pdf.pages}
        if "/AA" in root:
            dead.append("document: additional actions")
        if "/OpenAction" in root and not isinstance(root.OpenAction, pikepdf.Array):
            dead.append(f"document: open action {root.OpenAction.get('/S')}")
        if "/Names" in root and "/JavaScript" in root.Names:
            dead.append("document: JavaScript")
        for number, page in enumerate(pdf.pages, start=1):
            if "/AA" in page.obj:
                dead.append(f"page {number}: additional actions")
            for annotation in page.obj.get("/Annots", ()):
                problem = _dead(annotation, names, pages, sent)
                if problem:
                    dead.append(f"page {number}: {problem}")
    return dead


def _dead(annotation, names: set[str], pages: set, sent) -> str | None:
    if annotation.get("/Subtype") != "/Link":
        return f"a {annotation.get('/Subtype')} annotation"
    if "/AA" in annotation:
        return "a link's additional actions"
    destination, action = annotation.get("/Dest"), annotation.get("/A")
    if action is not None:
        kind = action.get("/S")
        if kind == "/URI":
            uri = str(action.URI)
            return None if _absolute(uri) or unquote(uri) in sent else f"a link to {uri!r}"
        if kind != "/GoTo":
            return f"an action {kind}"
        destination = action.get("/D")
    if isinstance(destination, pikepdf.String | pikepdf.Name):
        name = str(destination).lstrip("/")
        return None if name in names else f"a link to a place it lacks: {name!r}"
    if isinstance(destination, pikepdf.Array) and destination[0].objgen in pages:
        return None
    return "a link that leads nowhere"
