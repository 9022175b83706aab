"""Page references in a bound dossier: its contents list gives the pack's page numbers.

A dossier's PDF gives in its contents list the page where each section starts
("Tidslinje . . . 2"), counted in its own pages. Bound in a meeting pack it starts on a
later page, so each such number must become the pack's, as its footers and bookmarks do.
The dossier is not laid out again for that: the pack's front lays out each new number
(:func:`reference_marks`, on the empty page that stands for the dossier's page), and the
binder draws it where the old number stood, right-aligned on its baseline, inside the old
number's own marked content, so that the structure tree reads it where it read the old
one (:func:`laid_out_numbers`, :func:`renumber_references`).

A page reference is found, not assumed: the text of a link to a named place of the PDF
that reads as the number of the page that place is on, within the link's area.
"""

from __future__ import annotations

import contextlib
import html
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import pikepdf

from ..errors import OutputError, RenderError

#: The class of the page numbers the front lays out for the dossiers' references.
REFERENCE_CLASS = "pack-reference"
#: Before the name of a page of a dossier in the front, for its references' numbers.
PAGE_ANCHOR = "pack-page:"
#: The room, in points, a page number takes at most at the end of its line (five digits).
_ROOM = 40.0
#: What marks the start or end of marked content.
_MARKED = ("BDC", "BMC", "EMC")
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


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


@dataclass(frozen=True)
class Reference:
    """A page number in a dossier's PDF that gives the page where a place of it is."""

    #: The page it is on, counted from 0, and its marked content there.
    page: int
    mcid: int
    #: The page it gives, counted from 1 in the dossier's own pages.
    target: int
    #: Its font's size, in points.
    size: float
    #: The height of its line's baseline above the page's foot, and where it begins, in points.
    baseline: float = 0.0
    left: float = 0.0


@dataclass
class _Run:
    """Marked content that shows text: what it reads, where it ends and stands."""

    mcid: int
    start: int
    ctm: tuple
    end: int = 0
    text: str = ""
    left: float = math.inf
    right: float = -math.inf
    baseline: float = math.inf
    size: float = 0.0
    operands: list = field(default_factory=list)


def references(pdf) -> tuple[Reference, ...]:
    """The page references of ``pdf``: the text of each link to a named place that reads as
    the number of the page the place is on (a contents list's numbers)."""
    pages = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    places = {name: pages.get(page_of(target)) for name, target in destinations(pdf)}
    found = []
    for index, page in enumerate(pdf.pages):
        links = [(places.get(_place(a)), a.Rect) for a in page.obj.get("/Annots", ())
                 if _place(a) in places]  # fmt: skip
        if not links:
            continue
        areas = [_area(rect) for _, rect in links]

        def in_a_link(_mcid: int, at: tuple[float, float], areas=areas) -> bool:
            """At the end of a link: where a page number stands (no leader's dots before it)."""
            return any(x1 - _ROOM <= at[0] <= x1 and y0 <= at[1] <= y1 for x0, y0, x1, y1 in areas)

        runs, taken = text_runs(page, in_a_link)[1], set()
        for target, rect in links:
            here = [run for run in runs if run.mcid not in taken and run.text.strip() == str(target)
                    and _within(run, rect)]  # fmt: skip
            if here:
                run = max(here, key=lambda r: r.right)
                taken.add(run.mcid)
                found.append(Reference(index, run.mcid, target, round(run.size, 2), run.baseline,
                                       run.left))  # fmt: skip
    return tuple(found)


def _place(annotation) -> str | None:
    """The named place a link annotation leads to, if it leads to one."""
    if not isinstance(annotation, pikepdf.Dictionary) or annotation.get("/Subtype") != "/Link":
        return None
    destination = annotation.get("/Dest")
    action = annotation.get("/A")
    if destination is None and isinstance(action, pikepdf.Dictionary) and action.get("/S") == "/GoTo":
        destination = action.get("/D")
    return str(destination) if isinstance(destination, pikepdf.String) else None


def _area(rect) -> tuple[float, float, float, float]:
    """An annotation's rectangle (x0, y0, x1, y1), a point wider all round."""
    x0, x1, y0, y1 = float(rect[0]), float(rect[2]), float(rect[1]), float(rect[3])
    return min(x0, x1) - 1, min(y0, y1) - 1, max(x0, x1) + 1, max(y0, y1) + 1


def _within(run: _Run, rect) -> bool:
    x0, y0, x1, y1 = _area(rect)
    return x0 <= run.left and run.right <= x1 and y0 <= run.baseline <= y1


def reference_marks(slug: str, anchor: str, page: int, found: Iterable[Reference]) -> str:
    """The HTML of the front's empty page that stands for page ``page`` (from 0) of the
    dossier ``slug``: the pack's number of each page its references on it give, laid out
    by WeasyPrint (``target-counter``) in the references' sizes."""
    marks = dict.fromkeys((r.target, r.size) for r in found if r.page == page)
    return "".join(
        f'<p class="{REFERENCE_CLASS}" style="font-size: {size}pt" '
        f'data-page="#{html.escape(page_anchor(slug, anchor, target))}"></p>'
        for target, size in marks
    )


def page_anchor(slug: str, anchor: str, page: int) -> str:
    """The name of the front's empty page that stands for the dossier's page ``page`` (from 1)."""
    return anchor if page == 1 else f"{PAGE_ANCHOR}{slug}:{page}"


def reference_style() -> str:
    """CSS of :func:`reference_marks`."""
    return (
        f".{REFERENCE_CLASS} {{ margin: 0; line-height: 1.2; }}\n"
        f".{REFERENCE_CLASS}::after {{ content: target-counter(attr(data-page url), page); }}\n"
    )


def destinations(pdf) -> Iterator[tuple[str, object]]:
    """The PDF's named destinations."""
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        yield from pikepdf.NameTree(pdf.Root.Names.Dests).items()


#: The named place where a dossier's full provenance begins, on a page of its own in print
#: (``sections.html.j2``, a table section's ``full`` part): a pack leaves those pages out.
FULL_PROVENANCE = "provenance-full"


def pages_for_pack(pdf) -> int:
    """The pages of a dossier's PDF that a meeting pack binds, from its first: all but those
    of its full provenance (from :data:`FULL_PROVENANCE` on), when nothing that has a
    bookmark follows it. The dossier's one line of provenance stays, before them."""
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    names = dict(destinations(pdf))
    start = pages.get(page_of(names.get(FULL_PROVENANCE)))
    if not start:
        return len(pages)
    with pdf.open_outline() as outline:
        todo = list(outline.root)
        while todo:
            item = todo.pop()
            todo.extend(item.children)
            if pages.get(page_of(names.get(str(item.destination), item.destination)), 0) >= start:
                return len(pages)  # something of its own after the provenance: all of it
    return start


def page_of(target) -> tuple | None:
    """The page (its object's number) an explicit destination leads to; None for another."""
    if isinstance(target, pikepdf.Array) and len(target) and isinstance(target[0], pikepdf.Dictionary):
        return target[0].objgen
    return None



# -- the binder's side ----------------------------------------------------------------------


@dataclass(frozen=True)
class LaidOut:
    """A number the front laid out: as a form to draw, where it ends and stands."""

    form: object
    left: float
    right: float
    baseline: float
    size: float


def laid_out_numbers(pdf, page, in_tree: set, parents: dict) -> tuple[dict[str, list], list]:
    """The numbers the front laid out on its empty ``page`` (:func:`reference_marks`), by
    text, each as a form; and the page's other content, as a form: its page number.

    A laid-out number is marked content of an element in the front's document tree
    (``in_tree``; the page number is a margin box, outside it) that reads as digits.
    """
    operations, runs = text_runs(page)
    elements = parents.get(int(page.obj.get("/StructParents", -1)), ())
    numbers: dict[str, list] = {}
    skipped: set[int] = set()
    for run in runs:
        element = elements[run.mcid] if run.mcid < len(elements) else None
        if run.text.strip().isdigit() and isinstance(element, pikepdf.Dictionary) and (
            element.objgen in in_tree
        ):  # fmt: skip
            inside = [pikepdf.ContentStreamInstruction(list(run.ctm), pikepdf.Operator("cm"))]
            inside += operations[run.start + 1:run.end - 1]
            form = form_of(pdf, page, inside)
            numbers.setdefault(run.text.strip(), []).append(
                LaidOut(form, run.left, run.right, run.baseline, round(run.size, 2)))
            skipped.update(range(run.start, run.end))
    rest = [op for index, op in enumerate(operations) if index not in skipped]
    return numbers, rest


def form_of(pdf, page, operations: Sequence) -> pikepdf.Stream:
    """``operations`` on ``page`` as a form to draw on another page: marked content unmarked."""
    content = pikepdf.unparse_content_stream(
        [op for op in operations if str(op.operator) not in _MARKED]
    )
    form = compressed(pdf, content)
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    form.BBox = page.mediabox
    form.Resources = page.obj.get("/Resources", pikepdf.Dictionary())
    return form


def renumber_references(pdf, page, found: Sequence[Reference], first: int,
                        numbers: dict[str, list], name: str) -> bool:  # fmt: skip
    """Draw in place of each reference of ``found`` on ``page`` the pack's number of the
    page it gives (the dossier's first page is the pack's ``first``, from 1): the form laid
    out for it in ``numbers``, moved to end and stand where the old number did, inside the
    old number's marked content. False if a number was not laid out."""
    mcids, lines = {r.mcid for r in found}, [(r.baseline, r.left) for r in found]

    def on_their_lines(mcid: int, at: tuple[float, float]) -> bool:
        """A number, or a leader's dot just before one, that a wider number may touch."""
        return mcid in mcids or any(abs(at[1] - line) < 0.5 and left - _ROOM <= at[0] <= left
                                    for line, left in lines)  # fmt: skip

    operations, runs = text_runs(page, on_their_lines)
    by_mcid = {run.mcid: run for run in runs}
    replaced: dict[int, tuple[int, list]] = {}
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    xobjects = resources.XObject
    for number, reference in enumerate(found):
        run = by_mcid.get(reference.mcid)
        shown = str(first + reference.target - 1)
        laid = [n for n in numbers.get(shown, ()) if abs(n.size - reference.size) < 0.05]
        if run is None or not laid:
            return False
        new = laid[0]
        xobjects[f"{name}{number}"] = new.form
        move = multiply(
            (1.0, 0.0, 0.0, 1.0, run.right - new.right, run.baseline - new.baseline),
            _inverse(run.ctm),
        )
        for leader in _overlapped(runs, run, run.right - (new.right - new.left)):
            replaced[leader.start] = (leader.end, [operations[leader.start], operations[leader.end - 1]])
        replaced[run.start] = (run.end, [
            operations[run.start],
            pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")),
            pikepdf.ContentStreamInstruction(list(move), pikepdf.Operator("cm")),
            pikepdf.ContentStreamInstruction([pikepdf.Name(f"{name}{number}")], pikepdf.Operator("Do")),
            pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q")),
            operations[run.end - 1],
        ])  # fmt: skip
    content, index = [], 0
    while index < len(operations):
        if index in replaced:
            index, instead = replaced[index]
            content += instead
        else:
            content.append(operations[index])
            index += 1
    page.obj.Contents = compressed(pdf, pikepdf.unparse_content_stream(content))
    return True


def _overlapped(runs: Sequence[_Run], number: _Run, left: float) -> list[_Run]:
    """The leader's dots before ``number`` on its line that a wider number starting at
    ``left`` would touch: they go, as a wider number takes their room in a laid-out line."""
    gap = number.size * 0.25
    return [
        run for run in runs
        if run is not number and abs(run.baseline - number.baseline) < 0.5
        and left - gap < run.right <= number.left + 0.5 and not run.text.strip(" .\u00a0")
    ]  # fmt: skip


def compressed(pdf, data: bytes, stream: pikepdf.Stream | None = None) -> pikepdf.Stream:
    """``data`` compressed (Flate) into ``stream``, or a new stream of ``pdf``, its last byte
    no carriage return: before ``endstream`` a reader takes a CR for part of the end of line,
    and the stream's length for wrong (a PDF/A checker does). A content stream or form may
    end in a line feed more: it means nothing."""
    packed = zlib.compress(data, 6)
    while packed.endswith(b"\r"):
        data += b"\n"
        packed = zlib.compress(data, 6)
    if stream is None:
        stream = pikepdf.Stream(pdf, packed)
        stream.Filter = pikepdf.Name.FlateDecode
    else:
        stream.write(packed, filter=pikepdf.Name.FlateDecode)
    return stream


def saved(pdf) -> bytes:
    """``pdf`` as a file's bytes: compact (its object streams kept), unless a stream qpdf
    compressed (an object stream, the cross-reference stream) ends in a CR (see
    :func:`compressed`); then without object streams, which leaves none that qpdf made."""
    out = BytesIO()
    pdf.save(out, deterministic_id=True)
    data = out.getvalue()
    made_here = (data[data.rfind(b" obj", 0, end.start()):end.start()]
                 for end in re.finditer(rb"\r\nendstream", data))  # fmt: skip
    if any(b"/XRef" in head[:400] or b"/ObjStm" in head[:400] for head in made_here):
        out = BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


# -- reading a page's text --------------------------------------------------------------------


def text_runs(page, wanted: Callable[[int, tuple[float, float]], bool] | None = None,
              ) -> tuple[list, list[_Run]]:  # fmt: skip
    """The page's content, and each marked content in it that shows text (outermost only);
    with ``wanted``, only those it wants by their marked content and where their text starts
    (reading a page's text costs more than all else here)."""
    operations = pikepdf.parse_content_stream(page)
    fonts = page.obj.get("/Resources", {}).get("/Font", {})
    cache: dict = {}
    runs: list[_Run] = []
    matrices, ctm = [], _IDENTITY
    run, depth = None, 0
    tm, font, size, advance = _IDENTITY, None, 0.0, 0.0
    for index, instruction in enumerate(operations):
        name = str(instruction.operator)
        operands = instruction.operands
        if name == "q":
            matrices.append(ctm)
        elif name == "Q" and matrices:
            ctm = matrices.pop()
        elif name == "cm":
            ctm = multiply(tuple(map(float, operands)), ctm)
        elif name in _MARKED:
            if run is None and name == "BDC" and mcid_of(operands) is not None:
                run, depth = _Run(mcid_of(operands), index, ctm), 0
            if run is not None:
                depth += -1 if name == "EMC" else 1
                if depth == 0:
                    run.end = index + 1
                    if run.text:
                        runs.append(run)
                    run = None
        elif name == "Tm":
            tm, advance = tuple(map(float, operands)), 0.0
        elif name == "Tf":
            key = str(operands[0])
            if key not in cache and key in fonts:
                cache[key] = _Font(fonts[key])
            font, size = cache.get(key), float(operands[1])
        elif name in ("TJ", "Tj") and run is not None and font is not None:
            start = _apply((advance * size / 1000, 0.0), tm, ctm)
            if wanted is not None and not wanted(run.mcid, start):
                continue
            text, width = font.read(operands[0] if name == "TJ" else [operands[0]])
            advance += width
            end = _apply((advance * size / 1000, 0.0), tm, ctm)
            run.text += text
            run.left, run.right = min(run.left, start[0], end[0]), max(run.right, start[0], end[0])
            run.baseline = min(run.baseline, start[1])
            scale = math.sqrt(abs(_determinant(multiply(tm, ctm))))
            run.size = max(run.size, size * scale)
    return list(operations), runs


class _Font:
    """What a PDF font says of its codes: the text each stands for, and its width."""

    def __init__(self, font) -> None:
        self.wide = font.get("/Subtype") == "/Type0"
        self.unicode = _to_unicode(font.get("/ToUnicode"))
        self.widths: dict[int, float] = {}
        if self.wide:
            descendant = font.DescendantFonts[0]
            self.default = float(descendant.get("/DW", 1000))
            _cid_widths(descendant.get("/W", ()), self.widths)
        else:
            self.default = 0.0
            first = int(font.get("/FirstChar", 0))
            for offset, width in enumerate(font.get("/Widths", ())):
                self.widths[first + offset] = float(width)

    def read(self, pieces) -> tuple[str, float]:
        """The text and width (thousandths of the size) of a TJ array's or Tj's ``pieces``."""
        text, width = [], 0.0
        for piece in pieces:
            if isinstance(piece, pikepdf.String):
                data = bytes(piece)
                step = 2 if self.wide else 1
                for at in range(0, len(data) - step + 1, step):
                    code = int.from_bytes(data[at:at + step], "big")
                    text.append(self.unicode.get(code, ""))
                    width += self.widths.get(code, self.default)
            else:
                width -= float(piece)
        return "".join(text), width


def _cid_widths(array, widths: dict[int, float]) -> None:
    """A CID font's ``/W`` array: ``c [w1 w2 …]`` or ``c_first c_last w``."""
    items, index = list(array), 0
    while index < len(items) - 1:
        if isinstance(items[index + 1], pikepdf.Array):
            for offset, width in enumerate(items[index + 1]):
                widths[int(items[index]) + offset] = float(width)
            index += 2
        elif index + 2 < len(items):
            for code in range(int(items[index]), int(items[index + 1]) + 1):
                widths[code] = float(items[index + 2])
            index += 3
        else:
            break


_BLOCK = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)
_ENTRY = re.compile(rb"<([0-9A-Fa-f]+)>\s*(?:<([0-9A-Fa-f]+)>\s*)?(<[0-9A-Fa-f]*>|\[[^\]]*\])")


def _to_unicode(stream) -> dict[int, str]:
    """A ToUnicode CMap's codes and the text each stands for."""
    found: dict[int, str] = {}
    if not isinstance(stream, pikepdf.Stream):
        return found
    for kind, block in _BLOCK.findall(stream.read_bytes()):
        if kind == b"bfchar":
            for source, destination in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
                found[int(source, 16)] = _utf16(destination)
            continue
        for low, high, destination in _ENTRY.findall(block):
            low_code, high_code = int(low, 16), int(high or low, 16)
            if destination.startswith(b"["):
                for offset, each in enumerate(re.findall(rb"<([0-9A-Fa-f]*)>", destination)):
                    found[low_code + offset] = _utf16(each)
                continue
            base = bytearray(bytes.fromhex(destination.strip(b"<>").decode()))
            for code in range(low_code, min(high_code, low_code + 255) + 1):
                found[code] = bytes(base).decode("utf-16-be", "replace")
                base[-1] = (base[-1] + 1) % 256
    return found


def _utf16(hex_digits: bytes) -> str:
    return bytes.fromhex(hex_digits.decode()).decode("utf-16-be", "replace")


def mcid_of(operands) -> int | None:
    """The marked-content identifier of a BDC's operands (an inline property list)."""
    if len(operands) == 2 and hasattr(operands[1], "get"):
        mcid = operands[1].get("/MCID")
        return None if mcid is None else int(mcid)
    return None


def multiply(m, n) -> tuple[float, ...]:
    """The matrix ``m`` then ``n`` (PDF's row-vector order: a point goes through m first)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)  # fmt: skip


def _inverse(m) -> tuple[float, ...]:
    a, b, c, d, e, f = m
    det = a * d - b * c
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def _determinant(m) -> float:
    return m[0] * m[3] - m[1] * m[2]


def _apply(point, *matrices) -> tuple[float, float]:
    x, y = point
    for a, b, c, d, e, f in matrices:
        x, y = a * x + c * y + e, b * x + d * y + f
    return x, y
