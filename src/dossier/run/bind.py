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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from itertools import accumulate
from pathlib import Path

import pikepdf

from ..errors import OutputError, RenderError
from .lifetime import end_with_parent, private_dir, signals_blocked

#: The name each stamped page number goes by in its page's resources, with the page's number.
NUMBER_XOBJECT = "/DossierPackPageNumber"


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


def page_count(path: Path) -> int:
    with reading_part(path), pikepdf.open(path) as pdf:
        return len(pdf.pages)


@contextlib.contextmanager
def reading_part(path: Path) -> Iterator[None]:
    """Name ``path`` in what a part's PDF raises as it is read: damaged, encrypted, untagged.

    A dossier's PDF in the output folder is the user's file: it may be anything, and the
    manifest that vouches for it too.
    """
    try:
        yield
    except RenderError:
        raise
    # pikepdf raises its own errors (PdfError, PasswordError, …) for a file it cannot read,
    # and AttributeError or KeyError for a key the file lacks (an untagged PDF's /StructTreeRoot).
    except (pikepdf.PikepdfError, AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise OutputError(
            f"{path}: this PDF cannot be bound into the meeting pack ({type(exc).__name__}: "
            f"{str(exc).removeprefix(f'{path}: ')}); it is damaged, encrypted or not the dossier's own: render the dossier "
            "again (batch --force)"
        ) from None


def bind(
    front: bytes,
    cover_pages: int,
    parts: Sequence[Part],
    path: Path,
    unnumbered: Mapping[Path, bytes] | None = None,
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

    Raises
    ------
    RenderError
        When a part's page has no page number to replace, or ``front`` has not one empty
        page for each of their pages.
    """
    with pikepdf.open(BytesIO(front)) as pack:
        binding = _Binding(pack, cover_pages, path)
        unnumbered = unnumbered or {}
        for part in parts:
            ready = unnumbered.get(part.path)
            with reading_part(part.path), pikepdf.open(part.path if ready is None else BytesIO(ready)) as source:
                if ready is None:
                    _drop_page_numbers(source, part.path)
                binding.add(source, part)
        binding.close()
        pack.save(path, deterministic_id=True)


class _Binding:
    """The pack as its parts are bound into it: what its catalogue gets once all are in."""

    def __init__(self, pack, cover_pages: int, path: Path) -> None:
        self.pack, self.path = pack, path
        tree = pack.Root.StructTreeRoot
        self.document = tree.K[0]
        self.parents = dict(_number_tree(tree.ParentTree))
        self.destinations = dict(_destinations(pack))
        self.bookmarks: list = []
        self.stamps = iter(self._take_empty_pages(cover_pages))

    def _take_empty_pages(self, cover_pages: int) -> list:
        """The page numbers of the empty pages after the cover, as forms to draw over the
        parts' pages; the pages themselves, and what tied them into the document, go."""
        empty = list(self.pack.pages[cover_pages:])
        kids = self.document.K
        if cover_pages < 1 or len(kids) < len(empty) or not all(
            kid.get("/S") == "/Div" and not kid.get("/K") for kid in kids[len(kids) - len(empty):]
        ):  # fmt: skip
            raise RenderError(f"{self.path.name}: the cover is not followed by its empty pages")
        del kids[len(kids) - len(empty):]
        stamps = [_stamp_form(page) for page in empty]
        for page in empty:
            self.parents.pop(int(page.obj.get("/StructParents", -1)), None)
        del self.pack.pages[cover_pages:]
        return stamps

    def add(self, source, part: Part) -> None:
        """Bind the pages of ``source``, the PDF of ``part``, after those in the pack."""
        pack = self.pack
        tree = source.Root.StructTreeRoot
        parents = dict(_number_tree(tree.ParentTree))
        first = len(pack.pages)
        with warnings.catch_warnings():  # the named destinations are moved over below
            warnings.filterwarnings("ignore", "Copying pages from another Pdf")
            pack.pages.extend(source.pages)
        offset = max(self.parents, default=-1) + 1
        for key, value in parents.items():
            self.parents[key + offset] = _copy(pack, source, value)
        for number, page in enumerate(pack.pages[first:], start=first + 1):
            _renumber(page, offset, part.prefix)
            form = next(self.stamps, None)
            if form is None:
                raise RenderError(f"{self.path.name}: fewer page numbers than pages")
            _stamp(pack, page, form, number)
        for kid in tree.K[0].K:
            kid = _copy(pack, source, kid)
            if isinstance(kid, pikepdf.Dictionary):
                kid.P = self.document
            self.document.K.append(kid)
        for name, target in _destinations(source):
            self.destinations[part.prefix + name] = _copy(pack, source, target)
        opening = pack.pages[first]
        self.destinations[part.anchor] = pikepdf.Array(
            [opening.obj, pikepdf.Name.XYZ, 0, opening.mediabox[3], 0]
        )
        item = pikepdf.OutlineItem(part.bookmark, destination=self.destinations[part.anchor])
        with source.open_outline() as outline:
            item.children.extend(_copied(pack, source, kid, part.prefix) for kid in outline.root)
        item.is_closed = True
        self.bookmarks.append(item)

    def close(self) -> None:
        """Write the parent tree, the named destinations and the bookmarks of all the parts."""
        if next(self.stamps, None) is not None:
            raise RenderError(f"{self.path.name}: more page numbers than pages")
        pack = self.pack
        tree = pack.Root.StructTreeRoot
        nums = [value for key in sorted(self.parents) for value in (key, self.parents[key])]
        tree.ParentTree = pack.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
        tree.ParentTreeNextKey = max(self.parents, default=-1) + 1
        names = pikepdf.NameTree.new(pack)
        for name in sorted(self.destinations):
            names[name] = self.destinations[name]
        if "/Names" not in pack.Root:
            pack.Root.Names = pikepdf.Dictionary()
        pack.Root.Names.Dests = names.obj
        with pack.open_outline() as outline:
            outline.root.extend(self.bookmarks)


def unnumbered(path: Path) -> bytes:
    """The PDF at ``path`` without its pages' numbers, ready for :func:`bind`."""
    with reading_part(path), pikepdf.open(path) as pdf:
        _drop_page_numbers(pdf, path)
        data = BytesIO()
        pdf.save(data)
        return data.getvalue()


class PackAhead:
    """What the meeting pack needs, made in a process of its own while the batch renders.

    A batch that renders spends most of its time waiting for kernels; meanwhile this
    process readies on another core the dossiers that did not change (:func:`unnumbered`)
    and lays out the pack's front (its cover and numbered pages) as the pack will ask for
    it, if the dossiers being rendered keep their number of pages. The pack takes what
    matches what it needs (:meth:`front`, :meth:`unnumbered`) and makes the rest itself.
    The process ignores Ctrl-C and ends with the batch: it is the batch that stops.
    """

    def __init__(self, paths: Sequence[Path], front: tuple[str, str, bool] | None) -> None:
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
        if self.front_job is None or tuple(self.front_job) != (document, style, pdfa):
            return None
        with contextlib.suppress(OSError, ValueError):
            pages = int((self.folder / "front.pages").read_text(encoding="ascii"))
            return (self.folder / "front.pdf").read_bytes(), pages
        return None

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

    if job["front"]:
        from .export import lay_out, write_document

        document, style, pdfa = job["front"]
        with contextlib.suppress(Exception):  # the pack lays it out itself, and says what fails
            front = lay_out(document, stylesheets=[style])
            write("front.pdf", write_document(front, None, pdfa=pdfa))
            write("front.pages", str(len(front.pages)).encode("ascii"))
    for number, path in enumerate(job["paths"]):
        with contextlib.suppress(Exception):  # the pack tries again, and says why it cannot
            write(f"{number}.pdf", unnumbered(Path(path)))


def _drop_page_numbers(pdf, path: Path) -> None:
    tree = pdf.Root.StructTreeRoot
    parents, in_tree = dict(_number_tree(tree.ParentTree)), _in_tree(tree)
    for page in pdf.pages:
        _drop_page_number(pdf, page, parents, in_tree, path)


def _number_tree(node) -> Iterator[tuple[int, object]]:
    """The entries of a PDF number tree (a structure tree's parent tree), by key."""
    nums = node.get("/Nums")
    if nums is not None:
        for index in range(0, len(nums) - 1, 2):
            yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", ()):
        yield from _number_tree(kid)


def _destinations(pdf) -> Iterator[tuple[str, object]]:
    """The PDF's named destinations."""
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        yield from pikepdf.NameTree(pdf.Root.Names.Dests).items()


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
    page.obj.Contents.write(content)


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
            matrix = _multiply(tuple(map(float, content[index].operands)), matrix)
        elif name == "BDC" and _mcid(content[index].operands) in detached:
            end, lowest = _sequence(content, names, index, matrix)
            if lowest < half:
                marks.append(_mcid(content[index].operands))
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
    whole = names[-1:] == ["EMC"] and _mcid(cut[0].operands) == mcid
    if not whole or depths[-1] != 0 or 0 in depths[:-1]:
        return None
    return content[:begin] + content[end:]


def _drop_marked(page, marks: list[int]) -> None:
    """Take the marked content of ``marks`` out of the page's content, read whole."""
    content = pikepdf.parse_content_stream(page)
    names = [str(instruction.operator) for instruction in content]
    kept, index = [], 0
    while index < len(content):
        if names[index] == "BDC" and _mcid(content[index].operands) in marks:
            index, _ = _sequence(content, names, index, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))
            continue
        kept.append(content[index])
        index += 1
    page.obj.Contents.write(pikepdf.unparse_content_stream(kept))


def _mcid(operands) -> int | None:
    """The marked-content identifier of a BDC's operands (an inline property list)."""
    if len(operands) == 2 and hasattr(operands[1], "get"):
        mcid = operands[1].get("/MCID")
        return None if mcid is None else int(mcid)
    return None


def _sequence(content, names: list[str], start: int, matrix) -> tuple[int, float]:
    """Where the marked content that begins at ``start`` ends (the index after its EMC), and
    the height above the page's foot of its lowest line of text, under ``matrix``."""
    lowest, depth, index = float("inf"), 0, start
    while index < len(content):
        name = names[index]
        depth += {"BDC": 1, "BMC": 1, "EMC": -1}.get(name, 0)
        if name == "cm":
            matrix = _multiply(tuple(map(float, content[index].operands)), matrix)
        elif name == "Tm":
            *_, e, f = map(float, content[index].operands)
            lowest = min(lowest, e * matrix[1] + f * matrix[3] + matrix[5])
        index += 1
        if depth == 0:
            break
    return index, lowest


def _multiply(m, n) -> tuple[float, ...]:
    """The matrix ``m`` then ``n`` (PDF's row-vector order: a point goes through m first)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)  # fmt: skip


def _renumber(page, offset: int, prefix: str) -> None:
    """A copied page's ties to the structure tree moved by ``offset``; its links' names prefixed."""
    if "/StructParents" in page.obj:
        page.obj.StructParents = int(page.obj.StructParents) + offset
    for annotation in page.obj.get("/Annots", ()):
        if "/StructParent" in annotation:
            annotation.StructParent = int(annotation.StructParent) + offset
        if isinstance(annotation.get("/Dest"), pikepdf.String):
            annotation.Dest = pikepdf.String(prefix + str(annotation.Dest))


def _stamp_form(page):
    """What ``page`` shows, as a form to draw on another page: one artifact, unmarked inside."""
    operations = [
        instruction
        for instruction in pikepdf.parse_content_stream(page)
        if str(instruction.operator) not in ("BDC", "BMC", "EMC")
    ]
    page.contents_coalesce()
    page.obj.Contents.write(pikepdf.unparse_content_stream(operations))
    return page.as_form_xobject()


def _stamp(pack, page, form, number: int) -> None:
    """Draw ``form`` (a page number) over ``page``, marked as a pagination artifact."""
    name = f"{NUMBER_XOBJECT}{number}"
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    resources.XObject[name] = form
    page.contents_add(pack.make_stream(b"q\n"), prepend=True)
    page.contents_add(pack.make_stream(
        b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC " + name.encode() + b" Do EMC\n"
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
