"""A PDF read back as a screen reader and an archive read it: its tags, bookmarks, language,
title, XMP identification and attachments (pikepdf), and a machine checker's verdict.

Helpers of the ``tagged_pdf`` and ``conformance`` fixtures in conftest.py, and of the tests
of meeting packs: small packs bound behind a cover, their pages' text, images and destinations.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from dossier.run.export import write_pdf
from dossier.run.pack import PackedDossier, write_pack_pdf


@dataclass(frozen=True)
class TaggedPdf:
    """What a PDF tells a screen reader and an archive about itself, read back with pikepdf."""

    lang: str | None
    marked: bool
    shows_title: bool
    title: str | None
    #: The structure tree's root element, e.g. "/Document"; None when the PDF is untagged.
    root: str | None
    #: Structure elements by type, e.g. {"/H2": 8, "/Table": 11, …}.
    tags: dict[str, int]
    #: Each Figure's alternative text, in the order of the structure tree.
    figures: list[str | None]
    #: The types of the elements directly inside each list (L): PDF/UA allows L, LI and Caption.
    list_kids: set[str]
    #: The XMP identifications: "pdfuaid:part", "pdfaid:part", "pdfaid:conformance".
    xmp: dict[str, str]
    #: Bookmarks as (title, [children]).
    outline: list[tuple[str, list]]
    attachments: list[str]


def read_tagged_pdf(path: Path) -> TaggedPdf:
    import pikepdf

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        tags: dict[str, int] = {}
        figures: list[str | None] = []
        list_kids: set[str] = set()

        def walk(element) -> None:
            if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
                return
            kind = str(element.S)
            tags[kind] = tags.get(kind, 0) + 1
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            if kind == "/Figure":
                figures.append(str(element.Alt) if "/Alt" in element else None)
            if kind == "/L":
                list_kids.update(
                    str(k.S) for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k
                )
            for kid in kids:
                walk(kid)

        tree = root.get("/StructTreeRoot")
        top = None
        if tree is not None:
            kids = tree.K if isinstance(tree.K, pikepdf.Array) else [tree.K]
            top = str(kids[0].S)
            for kid in kids:
                walk(kid)
        names = {"pdfuaid:part": "{http://www.aiim.org/pdfua/ns/id/}part",
                 "pdfaid:part": "{http://www.aiim.org/pdfa/ns/id/}part",
                 "pdfaid:conformance": "{http://www.aiim.org/pdfa/ns/id/}conformance"}  # fmt: skip
        with pdf.open_metadata() as meta:
            xmp = {short: str(meta[full]) for short, full in names.items() if full in meta}
            title = meta.get("dc:title")

        def bookmarks(items) -> list[tuple[str, list]]:
            return [(item.title, bookmarks(item.children)) for item in items]

        with pdf.open_outline() as outline:
            tree_of_bookmarks = bookmarks(outline.root)
        mark_info = root.get("/MarkInfo", {})
        preferences = root.get("/ViewerPreferences", {})
        return TaggedPdf(
            lang=str(root.Lang) if "/Lang" in root else None,
            marked=bool(mark_info.get("/Marked", False)),
            shows_title=bool(preferences.get("/DisplayDocTitle", False)),
            title=title,
            root=top,
            tags=tags,
            figures=figures,
            list_kids=list_kids,
            xmp=xmp,
            outline=tree_of_bookmarks,
            attachments=sorted(pdf.attachments),
        )


def conformance_failures(path: Path, profile: str) -> list[str]:
    """What a machine checker finds against a PDF/UA or PDF/A profile ("ua1", "3a"), one line a rule.

    The checker is page-validation (PyPI), which runs veraPDF's rules without Java.
    """
    import page

    report = page.validate_pdf(path, profile=profile)
    failures = {f.rule_id: f"{f.rule_id}: {f.message}" for f in report.failures}
    return sorted(failures.values()) or ([] if report.is_compliant else ["not compliant"])


def cover_with_links(dossiers: list[PackedDossier]) -> str:
    """A cover that links to each dossier, and gives its first page as the pack's does."""
    rows = "".join(
        f'<li><a href="#{d.anchor}">{d.slug}</a> sida <a class="page" href="#{d.anchor}"></a></li>'
        for d in dossiers
    )
    return (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Samlad PDF</title>'
        "<style>a.page::after { content: target-counter(attr(href), page); }</style>"
        f"</head><body><h1 style='bookmark-level: none'>Dagordning</h1><ul>{rows}</ul></body></html>"
    )


def page_texts(path: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True)  # fmt: skip
    return [" ".join(page.split()) for page in done.stdout.decode().rstrip("\f").split("\f")]


def destinations(path: Path) -> dict[str, int]:
    """Each named destination of the PDF: its page, counted from 1."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        names = pikepdf.NameTree(pdf.Root.Names.Dests)
        return {str(name): pages[dest[0].objgen] for name, dest in names.items()}


def pack_of(folder: Path, items: list[tuple[str, str, str, str]]) -> tuple[Path, list[PackedDossier]]:
    """Each (item, case ID, title, dossier HTML) printed to a PDF in ``folder``, and all bound
    in a pack there (``pack.pdf``) behind a cover that links to each."""
    dossiers = []
    for item, case_id, title, page in items:
        slug = case_id.replace("/", "-")
        write_pdf(page, folder / f"{slug}.pdf")
        dossiers.append(PackedDossier(item, case_id, title, slug, folder / f"{slug}.pdf"))
    path = folder / "pack.pdf"
    write_pack_pdf(path, cover_with_links(dossiers), dossiers, lang="sv")
    return path, dossiers


def page_image(path: Path, page: int, folder: Path):
    """Page ``page`` of the PDF as poppler draws it (60 dpi), as a Pillow image."""
    from PIL import Image

    prefix = folder / f"{path.stem}-{page}"
    subprocess.run(["pdftoppm", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile",
                    "-png", str(path), str(prefix)], check=True)  # fmt: skip
    return Image.open(f"{prefix}.png").convert("RGB")
