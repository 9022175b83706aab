"""Bind tagged PDFs into one tagged PDF, their pages numbered afresh: the meeting pack.

A dossier's PDF is bound into the pack as it is, not laid out again (a second or more
each, for 30 dossiers most of a minute): its pages, their tags, links and bookmarks are
copied over, and only what must change for the pack is changed.

- Its page numbers ("Sida 2 av 4", its own count) go, and the pack's ("Sida 12 av 57")
  are stamped in their place, laid out by WeasyPrint in the same page margin, marked as
  pagination artifacts.
- Its structure elements join the pack's document element; the numbers that tie its
  pages and links to them (``/StructParents``, ``/StructParent``) move past the pack's.
- Its named destinations and the links to them take a prefix of the dossier's own, so
  that two dossiers' sections never share a name.
- Its bookmarks go one level down, under the pack's bookmark for its agenda item.
- Its page references (its contents list's numbers) give the pack's pages
  (:mod:`dossier.run.references`).
- Its links are kept only where they open once the pack leaves the output folder, and
  nothing that runs is kept (:mod:`dossier.run.links`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from itertools import accumulate
from pathlib import Path

import pikepdf

from ..errors import RenderError
from .lifetime import end_with_parent, private_dir, signals_blocked
from .links import number_tree, page_links, without_actions, write_parent_tree
from .references import (
    PAGE_ANCHOR,
    Reference,
    compressed,
    destinations,
    form_of,
    laid_out_numbers,
    mcid_of,
    multiply,
    page_of,
    reading_part,
    renumber_references,
    saved,
)

#: The name each stamped page number goes by in its page's resources, with the page's number.
NUMBER_XOBJECT = "/DossierPackPageNumber"
#: The same for the pack's numbers in a dossier's page references (its contents list).
REFERENCE_XOBJECT = "/DossierPackReference"


@dataclass(frozen=True)
class Part:
    """A tagged PDF as the pack binds it."""

    path: Path
    #: Put before each of its named destinations in the pack, as before the links to them.
    prefix: str
    #: The pack's bookmark for the part: the part's own bookmarks go under it, closed.
    bookmark: str
    #: The named destination of its first page (the cover's links lead there).
    anchor: str
    #: Its page references (a contents list's numbers): the pack gives them its own numbers.
    references: tuple[Reference, ...] = ()
    #: The pages of it the pack binds, from its first
    #: (:func:`~dossier.run.references.pages_for_pack`); None for all.
    pages: int | None = None


def page_count(path: Path) -> int:
    with reading_part(path), pikepdf.open(path) as pdf:
        return len(pdf.pages)


def bind(
    front: bytes,
    cover_pages: int,
    parts: Sequence[Part],
    path: Path,
    unnumbered: Mapping[Path, bytes] | None = None,
    jumps: Mapping[str, str] | None = None,
) -> None:
    """Write the cover of ``front`` then each of ``parts`` as one tagged PDF at ``path``.

    Parameters
    ----------
    front
        The pack's cover, tagged and numbered, followed by an empty page for each page of
        the parts, in order, each showing nothing but its page number in the pack. The
        pack keeps its catalogue: language, title, metadata, PDF/A or PDF/UA
        identification. Its named destinations of the parts' anchors move to their first
        pages; the empty pages and the empty elements that made them go.
    cover_pages
        The pages of the cover in ``front``.
    parts
        The PDFs to bind after the cover, in order. Each page must show its page number,
        once, in the page's bottom margin, as WeasyPrint lays out a ``@page`` margin box.
    unnumbered
        Parts' PDFs without their page numbers already (:func:`unnumbered`), by path.
    jumps
        The links of the parts that lead to another part, each to the part's anchor: a
        related case's dossier bound in the same pack. The parts' other links are kept only
        where they open (:func:`~dossier.run.links.page_links`); nothing that runs is kept.

    Raises
    ------
    RenderError
        When a part's page has no page number to replace, or ``front`` has not one empty
        page for each of their pages.
    """
    with pikepdf.open(BytesIO(front)) as pack:
        binding = _Binding(pack, cover_pages, path, jumps or {})
        unnumbered = unnumbered or {}
        for part in parts:
            ready = unnumbered.get(part.path)
            with reading_part(part.path), pikepdf.open(part.path if ready is None else BytesIO(ready)) as source:
                if ready is None:
                    _drop_page_numbers(source, part.path)
                binding.add(source, part)
        binding.close()
        path.write_bytes(saved(pack))


class _Binding:
    """The pack as its parts are bound into it: what its catalogue gets once all are in."""

    def __init__(self, pack, cover_pages: int, path: Path, jumps: Mapping[str, str]) -> None:
        self.pack, self.path, self.jumps = pack, path, jumps
        tree = pack.Root.StructTreeRoot
        self.document = tree.K[0]
        self.parents = dict(number_tree(tree.ParentTree))
        self.destinations = {name: target for name, target in destinations(pack)
                             if not name.startswith(PAGE_ANCHOR)}  # fmt: skip
        self.bookmarks: list = []
        self.stamps = iter(self._take_empty_pages(cover_pages))

    def _take_empty_pages(self, cover_pages: int) -> list:
        """The page numbers of the empty pages after the cover, as forms to draw over the
        parts' pages; the pages themselves, and what tied them into the document, go."""
        empty = list(self.pack.pages[cover_pages:])
        kids = self.document.K
        if cover_pages < 1 or len(kids) < len(empty) or not all(
            kid.get("/S") == "/Div" for kid in kids[len(kids) - len(empty):]
        ):  # fmt: skip
            raise RenderError(f"{self.path.name}: the cover is not followed by its empty pages")
        in_tree = _in_tree(self.pack.Root.StructTreeRoot)
        marked = [bool(kid.get("/K")) for kid in kids[len(kids) - len(empty):]]  # numbers on it
        del kids[len(kids) - len(empty):]
        stamps = []
        for page, has_numbers in zip(empty, marked, strict=True):
            numbers, rest = ({}, pikepdf.parse_content_stream(page)) if not has_numbers else (
                laid_out_numbers(self.pack, page, in_tree, self.parents))  # fmt: skip
            stamps.append((form_of(self.pack, page, rest), numbers))
        for page in empty:
            self.parents.pop(int(page.obj.get("/StructParents", -1)), None)
        del self.pack.pages[cover_pages:]
        return stamps

    def add(self, source, part: Part) -> None:
        """Bind the pages of ``source``, the PDF of ``part``, after those in the pack."""
        pack = self.pack
        if part.pages is not None and part.pages < len(source.pages):
            _leave_out(source, part.pages)
        tree = source.Root.StructTreeRoot
        parents = _parents_of_pages(source)
        first = len(pack.pages)
        pages = {page.objgen for page in source.pages}
        places = {name for name, target in destinations(source) if page_of(target) in pages}
        with warnings.catch_warnings():  # the named destinations are moved over below
            warnings.filterwarnings("ignore", "Copying pages from another Pdf")
            pack.pages.extend(source.pages)
        offset = max(self.parents, default=-1) + 1
        for key, value in parents.items():
            self.parents[key + offset] = _copy(pack, source, value)
        for number, page in enumerate(pack.pages[first:], start=first + 1):
            _renumber(page, offset)
            page_links(page, lambda name: part.prefix + name if name in places else None,
                       self._jump, self.parents)  # fmt: skip
            form, numbers = next(self.stamps, (None, None))
            if form is None:
                raise RenderError(f"{self.path.name}: fewer page numbers than pages")
            found = [r for r in part.references if r.page == number - first - 1]
            name = f"{REFERENCE_XOBJECT}{number}_"
            if found and not renumber_references(pack, page, found, first + 1, numbers, name):
                raise RenderError(f"{part.path}: its contents list does not match the pack's front")
            _stamp(pack, page, form, number)
        for kid in tree.K[0].K:
            kid = _copy(pack, source, kid)
            if isinstance(kid, pikepdf.Dictionary):
                kid.P = self.document
            self.document.K.append(kid)
        kept = {page.objgen for page in source.pages}
        for name, target in destinations(source):
            if page_of(target) in kept:
                self.destinations[part.prefix + name] = _copy(pack, source, target)
        opening = pack.pages[first]
        self.destinations[part.anchor] = pikepdf.Array(
            [opening.obj, pikepdf.Name.XYZ, 0, opening.mediabox[3], 0]
        )
        item = pikepdf.OutlineItem(part.bookmark, destination=self.destinations[part.anchor])
        names = dict(destinations(source))
        with source.open_outline() as outline:
            item.children.extend(_copied(pack, source, kid, part.prefix) for kid in outline.root
                                 if page_of(names.get(str(kid.destination), kid.destination)) in kept)  # fmt: skip
        item.is_closed = True
        self.bookmarks.append(item)

    def _jump(self, uri: str):
        anchor = self.jumps.get(uri)
        return ("dest", anchor) if anchor else None

    def close(self) -> None:
        """Write the parent tree, the named destinations and the bookmarks of all the parts."""
        if next(self.stamps, None) is not None:
            raise RenderError(f"{self.path.name}: more page numbers than pages")
        pack = self.pack
        write_parent_tree(pack, self.parents)
        without_actions(pack)
        names = pikepdf.NameTree.new(pack)
        for name in sorted(self.destinations):
            names[name] = self.destinations[name]
        if "/Names" not in pack.Root:
            pack.Root.Names = pikepdf.Dictionary()
        pack.Root.Names.Dests = names.obj
        with pack.open_outline() as outline:
            outline.root.extend(self.bookmarks)


def _leave_out(pdf, pages: int) -> None:
    """``pdf`` with only its first ``pages`` pages: what was on the others goes from its
    structure tree, and elements left with nothing in them go too."""
    dropped = {page.objgen for page in pdf.pages[pages:]}
    tree = pdf.Root.StructTreeRoot
    for element in list(_kids(tree.K)):
        _prune(element, dropped, None)
    del pdf.pages[pages:]


def _kids(node) -> list:
    return list(node) if isinstance(node, pikepdf.Array) else [node]


def _prune(element, dropped: set, page) -> bool:
    """Take out of ``element`` what is on ``dropped`` pages; whether anything is left."""
    if not isinstance(element, pikepdf.Dictionary) or "/K" not in element:
        return isinstance(element, pikepdf.Dictionary)
    page = element.Pg.objgen if isinstance(element.get("/Pg"), pikepdf.Dictionary) else page
    kids, kept = _kids(element.K), pikepdf.Array()
    if not kids:
        return True  # empty as it was made (a table's empty cell): not emptied here
    for kid in kids:
        if isinstance(kid, pikepdf.Dictionary) and "/S" not in kid:  # marked content, an object
            on = kid.Pg.objgen if isinstance(kid.get("/Pg"), pikepdf.Dictionary) else page
            keep = on not in dropped
        elif isinstance(kid, pikepdf.Dictionary):
            keep = _prune(kid, dropped, page)
        else:
            keep = page not in dropped
        if keep:
            kept.append(kid)
    element.K = kept
    return len(kept) > 0


def _parents_of_pages(pdf) -> dict:
    """The parent tree's entries of the pages of ``pdf`` and their annotations."""
    parents = dict(number_tree(pdf.Root.StructTreeRoot.ParentTree))
    keys = set()
    for page in pdf.pages:
        keys.add(int(page.obj.get("/StructParents", -1)))
        keys.update(int(a.get("/StructParent", -1)) for a in page.obj.get("/Annots", ())
                    if isinstance(a, pikepdf.Dictionary))  # fmt: skip
    return {key: value for key, value in parents.items() if key in keys}


def unnumbered(path: Path, pages: int | None = None) -> bytes:
    """The PDF at ``path`` without its pages' numbers, ready for :func:`bind`; with
    ``pages``, without those after its first ``pages`` as well (:class:`Part`)."""
    with reading_part(path), pikepdf.open(path) as pdf:
        if pages is not None and pages < len(pdf.pages):
            _leave_out(pdf, pages)
        _drop_page_numbers(pdf, path)
        data = BytesIO()
        pdf.save(data)
        return data.getvalue()


class PackAhead:
    """What the meeting pack needs, made in a process of its own while the batch renders.

    A batch that renders spends most of its time waiting for kernels; meanwhile this
    process reads on another core what the pack needs of the dossiers that did not change
    (:func:`~dossier.run.front.layout`, :meth:`layouts`) and readies them
    (:func:`unnumbered`), and lays out the pack's front (its cover and numbered pages) as
    the pack will ask for it, if the dossiers being rendered keep their pages. ``front``
    says how: the cover's HTML (``cover``), each dossier's slug, first page's name and PDF
    (``parts``), ``lang`` and ``pdfa``. The pack takes what matches what it needs
    (:meth:`front`, :meth:`unnumbered`) and makes the rest itself. The process ignores
    Ctrl-C and ends with the batch: it is the batch that stops.
    """

    def __init__(self, paths: Sequence[Path], front: dict | None) -> None:
        self.paths, self.front_job = list(paths), front
        self.folder = Path(tempfile.mkdtemp(prefix="pack-", dir=private_dir()))
        job = {"batch": os.getpid(), "paths": [str(p) for p in self.paths], "front": front}
        (self.folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
        command = [sys.executable, "-m", __name__, str(self.folder)]
        with signals_blocked([signal.SIGINT, signal.SIGTERM]):  # none lands before it is ready
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def front(self, document: str, style: str, pdfa: bool) -> tuple[bytes, int] | None:
        """The front laid out ahead, and its pages, if it was laid out from the same."""
        self.process.wait()
        if self.front_job is None or self.front_job["pdfa"] != pdfa:
            return None
        with contextlib.suppress(OSError, ValueError):
            made = json.loads((self.folder / "front.json").read_text(encoding="utf-8"))
            if made == {"document": document, "style": style}:
                pages = int((self.folder / "front.pages").read_text(encoding="ascii"))
                return (self.folder / "front.pdf").read_bytes(), pages
        return None

    def layouts(self) -> dict[Path, tuple[int, tuple[Reference, ...]]]:
        """What was read ahead of the dossiers that did not change, by path."""
        self.process.wait()
        done = {}
        for number, path in enumerate(self.paths):
            with contextlib.suppress(OSError, ValueError, TypeError):
                pages, found = json.loads((self.folder / f"{number}.json").read_text(encoding="utf-8"))
                done[path] = (pages, tuple(Reference(*r) for r in found))
        return done

    def unnumbered(self) -> dict[Path, bytes]:
        """The PDFs readied ahead (:func:`unnumbered`), by path: those that could be."""
        self.process.wait()
        done = {}
        for number, path in enumerate(self.paths):
            with contextlib.suppress(OSError):
                done[path] = (self.folder / f"{number}.pdf").read_bytes()
        return done

    def close(self) -> None:
        """End the process if it runs still, and remove what it made."""
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _work_ahead(folder: Path) -> None:
    """The process of :class:`PackAhead`: its job from ``folder``, its results into it, each
    written whole or not at all (a file appears only by its final name)."""
    job = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM])
    end_with_parent(signal.SIGKILL, job["batch"])

    def write(name: str, data: bytes) -> None:
        (folder / f"{name}.part").write_bytes(data)
        (folder / f"{name}.part").rename(folder / name)

    from dataclasses import astuple

    from .front import layout

    layouts = {}
    for number, path in enumerate(job["paths"]):
        with contextlib.suppress(Exception):  # the pack reads it again, and says what fails
            layouts[path] = layout(Path(path))
            pages, found = layouts[path]
            write(f"{number}.json", json.dumps([pages, [astuple(r) for r in found]]).encode())
    if job["front"]:
        with contextlib.suppress(Exception):  # the pack lays it out itself, and says what fails
            _front_ahead(job["front"], layouts, write)
    for number, path in enumerate(job["paths"]):
        with contextlib.suppress(Exception):  # the pack tries again, and says why it cannot
            write(f"{number}.pdf", unnumbered(Path(path), layouts[path][0]))


def _front_ahead(recipe: dict, layouts: dict, write) -> None:
    """Lay out the pack's front as :class:`PackAhead`'s ``front`` says; ``write`` it."""
    from .export import lay_out, write_document
    from .front import front_document, layout

    parts = []
    for slug, anchor, path in recipe["parts"]:
        pages, found = layouts[path] if path in layouts else layout(Path(path))
        parts.append((slug, anchor, found, pages))
    document, style = front_document(recipe["cover"], parts, recipe["lang"])
    front = lay_out(document, stylesheets=[style])
    write("front.pdf", write_document(front, None, pdfa=recipe["pdfa"]))
    write("front.pages", str(len(front.pages)).encode("ascii"))
    write("front.json", json.dumps({"document": document, "style": style}).encode("utf-8"))


def _drop_page_numbers(pdf, path: Path) -> None:
    tree = pdf.Root.StructTreeRoot
    parents, in_tree = dict(number_tree(tree.ParentTree)), _in_tree(tree)
    for page in pdf.pages:
        _drop_page_number(pdf, page, parents, in_tree, path)


def _in_tree(tree) -> set:
    """The structure elements of a document's tree (by object number), from its root down."""
    found, todo = set(), [tree.K]
    while todo:
        node = todo.pop()
        if isinstance(node, pikepdf.Array):
            todo.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and node.objgen not in found:
            if node.is_indirect:
                found.add(node.objgen)
            if "/K" in node:
                todo.append(node.K)
    return found


#: The operators that locate a page number: the others are skipped as the content is read.
_LOCATING = "q Q cm Tm BDC BMC EMC"
#: In a content stream's bytes: a string (skipped whole), or an operator that opens or closes
#: marked content.
_MARKS = re.compile(rb"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>|\b(?:BDC|BMC|EMC)\b")


def _drop_page_number(pdf, page, parents: dict, in_tree: set, path: Path) -> None:
    """Take the page's own page number out of its content.

    The page number is the content of a ``@page`` margin box in the lower half of the
    page: WeasyPrint marks such content with structure elements that are not in the
    document's tree (``in_tree``): a margin box is not part of the text. It is cut out of
    the content's bytes, checked by reading what is cut; where that cannot be done with
    certainty, the whole content is read and written again.
    """
    elements = parents.get(int(page.obj.get("/StructParents", -1)), ())
    detached = {
        mcid for mcid, element in enumerate(elements)
        if isinstance(element, pikepdf.Dictionary) and element.objgen not in in_tree
    }  # fmt: skip
    marks = _page_number_marks(pikepdf.parse_content_stream(page, _LOCATING), detached,
                               float(page.mediabox[3]) / 2)  # fmt: skip
    if not marks:
        raise RenderError(
            f"{path}: a page without its page number in the bottom margin; render the dossier again"
        )
    page.contents_coalesce()
    content = page.obj.Contents.read_bytes()
    for mcid in marks:
        content = _cut(pdf, content, mcid)
        if content is None:
            _drop_marked(page, marks)
            return
    compressed(pdf, content, page.obj.Contents)


def _page_number_marks(content, detached: set, half: float) -> list[int]:
    """The identifiers of the marked content of ``detached`` that shows text in the lower
    ``half`` of the page, from its operators that locate (:data:`_LOCATING`)."""
    names = [str(instruction.operator) for instruction in content]  # (unpacking is slower)
    marks, index = [], 0
    matrices, matrix = [], (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    while index < len(content):
        name = names[index]
        if name == "q":
            matrices.append(matrix)
        elif name == "Q" and matrices:
            matrix = matrices.pop()
        elif name == "cm":
            matrix = multiply(tuple(map(float, content[index].operands)), matrix)
        elif name == "BDC" and mcid_of(content[index].operands) in detached:
            end, lowest = _sequence(content, names, index, matrix)
            if lowest < half:
                marks.append(mcid_of(content[index].operands))
                index = end
                continue
        index += 1
    return marks


def _cut(pdf, content: bytes, mcid: int) -> bytes | None:
    """``content`` without the marked content ``mcid``; None if that cannot be cut with
    certainty (no single start, or what would be cut is not that marked content whole)."""
    start = rb"/[^\s/<>\[\]()%{}]+\s*<<\s*/MCID\s+" + str(mcid).encode() + rb"\s*>>\s*BDC"
    starts = list(re.finditer(start, content))
    if len(starts) != 1:
        return None
    depth, begin = 1, starts[0].start()
    for token in _MARKS.finditer(content, starts[0].end()):
        word = token.group()
        depth += 1 if word in (b"BDC", b"BMC") else -1 if word == b"EMC" else 0
        if depth == 0:
            end = token.end()
            break
    else:
        return None
    try:
        cut = pikepdf.parse_content_stream(pikepdf.Stream(pdf, content[begin:end]))
    except pikepdf.PdfError:
        return None
    names = [str(instruction.operator) for instruction in cut]
    depths = list(accumulate({"BDC": 1, "BMC": 1, "EMC": -1}.get(n, 0) for n in names))
    whole = names[-1:] == ["EMC"] and mcid_of(cut[0].operands) == mcid
    if not whole or depths[-1] != 0 or 0 in depths[:-1]:
        return None
    return content[:begin] + content[end:]


def _drop_marked(page, marks: list[int]) -> None:
    """Take the marked content of ``marks`` out of the page's content, read whole."""
    content = pikepdf.parse_content_stream(page)
    names = [str(instruction.operator) for instruction in content]
    kept, index = [], 0
    while index < len(content):
        if names[index] == "BDC" and mcid_of(content[index].operands) in marks:
            index, _ = _sequence(content, names, index, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))
            continue
        kept.append(content[index])
        index += 1
    compressed(page.obj.Contents.owner, pikepdf.unparse_content_stream(kept), page.obj.Contents)


def _sequence(content, names: list[str], start: int, matrix) -> tuple[int, float]:
    """Where the marked content that begins at ``start`` ends (the index after its EMC), and
    the height above the page's foot of its lowest line of text, under ``matrix``."""
    lowest, depth, index = float("inf"), 0, start
    while index < len(content):
        name = names[index]
        depth += {"BDC": 1, "BMC": 1, "EMC": -1}.get(name, 0)
        if name == "cm":
            matrix = multiply(tuple(map(float, content[index].operands)), matrix)
        elif name == "Tm":
            *_, e, f = map(float, content[index].operands)
            lowest = min(lowest, e * matrix[1] + f * matrix[3] + matrix[5])
        index += 1
        if depth == 0:
            break
    return index, lowest


def _renumber(page, offset: int) -> None:
    """A copied page's ties to the structure tree moved by ``offset``."""
    if "/StructParents" in page.obj:
        page.obj.StructParents = int(page.obj.StructParents) + offset
    for annotation in page.obj.get("/Annots", ()):
        if isinstance(annotation, pikepdf.Dictionary) and "/StructParent" in annotation:
            annotation.StructParent = int(annotation.StructParent) + offset


def _stamp(pack, page, form, number: int) -> None:
    """Draw ``form`` (a page number) over ``page``, marked as a pagination artifact."""
    name = f"{NUMBER_XOBJECT}{number}"
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    resources.XObject[name] = form
    page.contents_add(compressed(pack, b"q\n"), prepend=True)
    page.contents_add(compressed(
        pack, b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC " + name.encode() + b" Do EMC\n"
    ))  # fmt: skip


def _copy(pack, source, value):
    """``value``, an object of ``source``, copied into ``pack`` (what it refers to with it,
    once: a page copied already is the same page)."""
    return pack.copy_foreign(value if value.is_indirect else source.make_indirect(value))


def _copied(pack, source, item, prefix: str):
    """A bookmark of a part, and those under it, as bookmarks of the pack."""
    destination = item.destination
    if isinstance(destination, pikepdf.String):
        destination = pikepdf.String(prefix + str(destination))
    elif destination is not None:
        destination = _copy(pack, source, destination)
    copy = pikepdf.OutlineItem(item.title, destination=destination)
    copy.is_closed = item.is_closed
    copy.children.extend(_copied(pack, source, child, prefix) for child in item.children)
    return copy


if __name__ == "__main__":
    _work_ahead(Path(sys.argv[1]))
