"""Turn an executed dossier notebook into one self-contained HTML file and an A4 PDF."""

from __future__ import annotations

import base64
import contextlib
import copy
import gc
import re
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from functools import cache, partial
from pathlib import Path
from typing import TypeVar

from .. import __version__
from ..catalogue import text
from ..content.pages import with_contents
from ..resources import template_dir
from .cell_output import clean_html, link_allowed, shown_preprocessor

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


def page_content(lang: str, *, total: int | None = None) -> str:
    """The CSS ``content`` value for "Sida 3 av 7" from the catalogue's words.

    ``total`` gives the count of pages as a number, for a page that is part of a longer
    document (the meeting pack); by default it is the page's own document's count.
    """
    words = text("phrase.page", lang)
    parts = re.split(r"(\{page\}|\{pages\})", words)
    css = []
    for part in parts:
        if part == "{page}":
            css.append("counter(page)")
        elif part == "{pages}":
            css.append("counter(pages)" if total is None else f'"{total:d}"')
        elif part:
            css.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(css)


@cache
def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor, TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="dossier",
        extra_template_basedirs=[str(template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_filter("svg_base64", svg_base64)
    exporter.register_filter("clean_html", clean_html)
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"remove-cell"}), enabled=True
    )
    exporter.register_preprocessor(shown_preprocessor(), enabled=True)
    # What she printed around a warning is one text, and a progress line shows as it ended.
    exporter.register_preprocessor(CoalesceStreamsPreprocessor(), enabled=True)
    return exporter


@cache
def _weasyprint():
    """WeasyPrint, imported once; on Linux without its search for libraries.

    WeasyPrint loads Pango, HarfBuzz and fontconfig by trying each library's names
    for every platform in turn, and for each name that is not a file the loader knows,
    ctypes' ``find_library`` runs ``ldconfig``, ``gcc`` and ``ld``: 54 processes,
    about 0.3 s of CPU in every process that prints a PDF. On Linux the last name it
    tries is the library's own file name (``libpango-1.0.so.0``), which the loader
    finds by itself, and which is what the search would have given. So while
    WeasyPrint is imported, ``find_library`` finds nothing, and the same files load by
    their names. Where they do not (a system that only the search finds them on),
    WeasyPrint is imported again, searching.
    """
    import ctypes.util

    if sys.platform != "linux":
        import weasyprint

        return weasyprint
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint
    except OSError:
        for name in [m for m in sys.modules if m.split(".")[0] == "weasyprint"]:
            del sys.modules[name]
        ctypes.util.find_library = search
        import weasyprint
    finally:
        ctypes.util.find_library = search
    return weasyprint


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
        write_document(lay_out(_WARM_UP_HTML.format(lang=lang)), None)


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
    return with_contents(body, lang)


def lay_out(html: str, *, stylesheets: Iterable[str] = ()):
    """Lay ``html`` out in pages with WeasyPrint, with ``stylesheets`` (CSS text) over its own.

    Only ``data:`` URLs are fetched: a dossier never reaches out to another host. The
    pages keep only links :func:`~dossier.run.cell_output.link_allowed` allows (never a
    ``javascript:`` or ``file:`` link). Returns a ``weasyprint.Document``, whose pages
    :func:`write_document` writes.
    """
    with _PDF_LOCK, _collected_once():
        _weasyprint()
        _settle_target_counters()
        from weasyprint import CSS, HTML
        from weasyprint.urls import URLFetcher

        fetcher = URLFetcher(allowed_protocols={"data"})
        document = on_roomy_stack(
            HTML(string=html, url_fetcher=fetcher).render,
            stylesheets=[CSS(string=css, url_fetcher=fetcher) for css in stylesheets],
        )
    for page in document.pages:
        page.links[:] = [
            link for link in page.links if link[0] != "external" or link_allowed(link[1])
        ]
    return document


_T = TypeVar("_T")
#: Stack slots the frame of :func:`on_roomy_stack` claims (see there): 512 KiB.
ROOMY_STACK_SLOTS = 2**16


def _call(function, /, *args, **kwargs):
    return function(*args, **kwargs)


_roomy_call = types.FunctionType(
    _call.__code__.replace(co_stacksize=ROOMY_STACK_SLOTS), globals(), "_roomy_call"
)


def on_roomy_stack(function: Callable[..., _T], /, *args, **kwargs) -> _T:
    """``function(*args, **kwargs)``, called from a frame with room above it for a deep recursion.

    CPython 3.11 and 3.12 keep Python's frames in chunks of 16 KiB, and give a chunk back
    to the system as soon as the calls return below it: a recursion that goes up and
    down across a chunk's edge maps and unmaps memory each time (python/cpython#142183;
    later versions keep a spare chunk). WeasyPrint lays a box tree out by recursion, and
    a dossier crosses such an edge about 7,500 times while it is laid out and written:
    15,000 system calls and 12,000 page faults, about a seventh of its PDF's time.

    Called here, ``function`` runs above a frame that claims 64 Ki stack slots (512 KiB):
    with the margin CPython keeps, too big for a chunk of 512 KiB, so the frame gets a
    chunk of 1 MiB of its own, and the recursion runs in the 512 KiB above it, mapped
    once and touched only as deep as it goes. The result is the same; a recursion deeper
    than that room takes further chunks, as anywhere else.
    """
    return _roomy_call(function, *args, **kwargs)


@contextlib.contextmanager
def _collected_once() -> Iterator[None]:
    """WeasyPrint at work without Python's cyclic garbage collector, which then runs once.

    Laying a dossier out makes a few hundred thousand objects, many in cycles; the
    collector, started every 700 new objects, walks them over and over, and walks the
    whole process now and then: about a seventh of WeasyPrint's time. Here it is off
    while WeasyPrint works and then collects once, among the objects made meanwhile
    (every one of them is in the youngest generation: without collections none moves
    on). Pages come out the same; the memory held stays about as it was (a 500-event
    dossier: 8 MB more at the peak).
    """
    if not gc.isenabled():  # turned off by the caller: theirs to turn on
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def write_document(
    document, path: Path | None, *, pdfa: bool = False, attachments: dict[str, bytes] | None = None
) -> bytes | None:
    """Write laid-out pages as a tagged PDF: PDF/UA-1, or PDF/A-3a and PDF/UA-1 with ``pdfa``.

    Tagged either way: a structure tree, ``/MarkInfo``, the document's language and
    title, bookmarks, the figures' alternative text. PDF/A-3 is the level that keeps
    ``attachments`` (the case's data and manifest) beside the tags; its "a" conformance
    says the tags are there. Returns the PDF's bytes when ``path`` is None.
    """
    with _PDF_LOCK, _collected_once():
        from weasyprint import Attachment

        _tag_languages()

        files = [
            Attachment(
                string=content,
                name=name,
                description=name,
                relationship="Source" if name != "manifest.json" else "Supplement",
            )
            for name, content in (attachments or {}).items()
        ]
        variant = "pdf/a-3a" if pdfa else "pdf/ua-1"
        return on_roomy_stack(
            document.write_pdf,
            None if path is None else str(path),
            attachments=files or None,
            pdf_variant=variant,
            finisher=partial(_finish, pdfa=pdfa),
        )


def _tag_languages() -> None:
    """Have WeasyPrint's tags carry each element's ``lang`` as the structure element's ``/Lang``.

    WeasyPrint writes the document's language in the catalogue only, so a German title
    in a Swedish dossier would be read as Swedish. Its tagging builds one structure
    element per box (``weasyprint.pdf.tags._build_box_tree``, recursively through the
    module's name); wrapped here, an element whose HTML element has a ``lang`` (the
    data's own text, ``<span lang="de">``) gets it as ``/Lang``, which its children
    inherit (ISO 32000-1, 14.9.2); an unknown language (``lang=""``) is ``und``, BCP 47's
    "undetermined". Done once per process.
    """
    import pydyf
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf import tags

    build = tags._build_box_tree
    if getattr(build, "carries_lang", False):
        return

    def build_with_lang(box, parent, *args):
        own = box._box if isinstance(box, AbsolutePlaceholder) else box
        lang = None
        if (own.element is not None and own.element_tag not in ("html", "body")
                and not isinstance(own, boxes.PageBox | boxes.MarginBox)):  # fmt: skip
            lang = own.element.get("lang")
        for element in build(box, parent, *args):
            if lang is not None:
                # HTML's lang="" (unknown) is "und" (undetermined) here: PDF/UA asks for a tag.
                element["Lang"] = pydyf.String(lang or "und")
            yield element

    build_with_lang.carries_lang = True
    tags._build_box_tree = build_with_lang


#: The WeasyPrint versions whose code :func:`_settle_target_counters` was read against (68 and
#: 69 read ``attr()`` targets elsewhere): any other lays a contents list's page out as it will.
MENDED_WEASYPRINT = ("70.0",)


def _settle_target_counters() -> None:
    """Have WeasyPrint lay a contents list's page out twice, not three times.

    A contents list gives each section's page with ``target-counter(attr(href), page)``:
    WeasyPrint lays its page out, then the pages of the sections, and the list's page
    again with their numbers. It went on to a third time, the same as the second, by
    three slips in how it follows those counters (WeasyPrint 70), mended here:

    - an ``attr()`` target's name was taken from the token before the attribute was read
      (``None``): the sections' pages never reached the list as they were laid out, only
      when the list's page was made again, so that its second layout still showed 0 for each;
    - the target's counters were kept as the box's own (``missing_counters`` taken over in
      ``compute_content_list``), so that the list was read again whenever its page's own
      counters changed: among them the total of pages, which nothing in it shows;
    - a target on a page laid out again told the list of a change when only that total
      had changed.

    Each mend keeps what a page shows: a box whose content shows the total, its own page
    or the target's, is read again as before. The dossier's own stylesheets are the only
    ones WeasyPrint is given (an analyst's styles are taken out of her cells' HTML), and
    none of them mixes a box's own page counters with a target's in one ``content``, the
    one case where the second mend would read a box again less often. Done once per process,
    and only in the WeasyPrint versions whose code this was read against
    (:data:`MENDED_WEASYPRINT`): a later one lays the page out as it will.
    """
    import weasyprint
    from weasyprint.css import targets

    collector = targets.TargetCollector
    if getattr(collector, "settled", False) or weasyprint.__version__ not in MENDED_WEASYPRINT:
        return
    name_of, look_up = targets.anchor_name_from_token, collector.lookup_target
    collect, cache_page = collector.collect_missing_counters, collector.cache_target_page_counters
    resolved: list = [None, None]  # the last attr() token looked up, and its target's name

    def anchor_name_from_token(token):
        return resolved[1] if token[0] == "attr()" and token is resolved[0] else name_of(token)

    def lookup_target(self, token, source_box, css_token, parse_again):
        item = look_up(self, token, source_box, css_token, parse_again)
        if token[0] == "attr()":
            names = (name for name, known in self.target_lookup_items.items() if known is item)
            resolved[:] = [token, next(names, None)]
        return item

    def collect_missing_counters(self, box, css_token, parse_again, own, of_targets):
        if any(own is wanted for wanted in of_targets.values()):  # a target's, not its own
            own = []
        return collect(self, box, css_token, parse_again, own, of_targets)

    def cache_target_page_counters(self, name, values, index, page_maker):
        item = self.target_lookup_items.get(name)
        if (not self.collecting and item is not None and item.state == "up-to-date"
                and item.page_maker_index == index
                and _but_total(item.cached_page_counter_values) == _but_total(values)
                and not any("pages" in lookup.missing_target_counters.get(name, ())
                            for lookup in self.counter_lookup_items.values())):  # fmt: skip
            item.cached_page_counter_values = copy.deepcopy(values)  # nothing shows the change
            return
        cache_page(self, name, values, index, page_maker)

    targets.anchor_name_from_token = anchor_name_from_token
    collector.lookup_target = lookup_target
    collector.collect_missing_counters = collect_missing_counters
    collector.cache_target_page_counters = cache_target_page_counters
    collector.settled = True


def _but_total(values: dict) -> dict:
    return {name: value for name, value in values.items() if name != "pages"}


def write_pdf(
    html: str, path: Path, *, pdfa: bool = False, attachments: dict[str, bytes] | None = None
) -> None:
    """Print ``html`` to an A4 PDF, tagged (see :func:`write_document`)."""
    write_document(lay_out(html), path, pdfa=pdfa, attachments=attachments)


#: The PDF/UA identification beside PDF/A's, with the description that PDF/A asks of
#: any XMP schema it does not define itself (ISO 19005-2, 6.6.2.3).
_PDFUA_XMP = b"""<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Part of ISO 14289 (PDF/UA) the file conforms to</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
"""


def _finish(document, pdf, *, pdfa: bool) -> None:
    """Mend what WeasyPrint leaves short of PDF/UA-1 (and of PDF/A-3a with ``pdfa``)."""
    _ungroup_lists(pdf)
    if pdfa:
        metadata = _object(pdf, pdf.catalog["Metadata"])
        xmp = b"".join(metadata.stream)
        metadata.stream = [xmp.replace(b"</rdf:RDF>", _PDFUA_XMP + b"</rdf:RDF>", 1)]
        metadata.compress = False  # PDF/A-2 and -3 forbid a filter on the metadata stream


def _ungroup_lists(pdf) -> None:
    """Tag ``<dl><div><dt>…<dd>…</div></dl>`` as a list of items, as PDF/UA wants (L > LI).

    HTML lets a ``<div>`` group a term with its definition; WeasyPrint tags the group as
    a Div between the list and its items, which PDF/UA-1 does not allow in a list.
    """
    for element in pdf.objects:
        if not isinstance(element, dict) or element.get("S") != "/L":
            continue
        kids = []
        for reference in element["K"]:
            kid = _object(pdf, reference) if isinstance(reference, bytes) else None
            grouped = kid is not None and kid.get("S") == "/Div" and kid["K"]
            if grouped and all(
                isinstance(r, bytes) and _object(pdf, r).get("S") == "/LI" for r in kid["K"]
            ):
                for item in kid["K"]:
                    _object(pdf, item)["P"] = element.reference
                kids += kid["K"]
            else:
                kids.append(reference)
        element["K"][:] = kids


def _object(pdf, reference: bytes):
    return pdf.objects[int(reference.split()[0])]
