"""Links in what leaves the machine: a meeting pack, a mailed dossier.

A file that is bound or mailed is read away from the output folder, so it may link only to
what its reader has: a place in the same file, a file sent with it (by its attachment
name), or an absolute web or mail address (``http``, ``https``, ``mailto``) from the data.
A link to anything else (a dossier's folder beside it, a file on the machine, a script, a
program to launch) is not kept: its text stays, named and not linked. What a link is
turned into, where it is turned, comes from the caller (``elsewhere``): in a pack a
related case bound in the same pack becomes a jump to its first page; in a mail, the
name of its dossier's file attached to the same message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import quote, urlsplit

import pikepdf

from .job import dossier_href
from .references import destinations, saved

#: The schemes a link may keep: they open from wherever the file is read.
SCHEMES = ("http", "https", "mailto")

#: Where a link that leaves its file goes now: ("dest", a named destination of the file),
#: ("uri", a link to open), or None: no link.
Target = tuple[str, str] | None


def opens_anywhere(href: str) -> bool:
    """Whether ``href`` is an absolute web or mail address: it opens wherever it is read."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return False
    if parts.scheme.lower() == "mailto":
        return bool(parts.path)
    return parts.scheme.lower() in SCHEMES and bool(parts.netloc)


def files_for_mail(files: Sequence[tuple[tuple[str, str] | None, str, bytes]]) -> list[bytes]:
    """The files of one message, as they are sent: each a dossier's (its slug and kind,
    ``"html"`` or ``"pdf"``) or another (None, left as it is), its attachment name, its
    bytes. A dossier's link to a related case's dossier leads to that dossier's file sent
    with it, by its attachment name (the same kind first), or goes; nothing else that cannot
    open stays (:func:`html_for_mail`, :func:`pdf_for_mail`)."""
    sent: dict[str, dict[str, str]] = {}
    for dossier, name, _ in files:
        if dossier is not None:
            sent.setdefault(dossier_href(dossier[0]), {})[dossier[1]] = name
    done = []
    for dossier, _, data in files:
        if dossier is None:
            done.append(data)
            continue
        kind = dossier[1]

        def attached(href: str, kind: str = kind) -> str | None:
            names = sent.get(href, {})
            name = names.get(kind) or next(iter(names.values()), None)
            return quote(name) if name else None

        done.append(html_for_mail(data.decode("utf-8"), attached).encode("utf-8") if kind == "html"
                    else pdf_for_mail(data, attached))  # fmt: skip
    return done


# -- HTML ---------------------------------------------------------------------------------------


def html_for_mail(page: str, elsewhere: Callable[[str], str | None]) -> str:
    """``page`` with each link kept only where it opens in a mail: a place in the page, an
    absolute address, or what ``elsewhere`` makes of it (an attached file's name); any other
    link loses its ``href``, its text stays."""
    pieces, last = [], 0
    for start, end, href in _links(page):
        if href.startswith("#") or opens_anywhere(href):
            continue
        target = elsewhere(href)
        tag = page[start:end]
        value = f'href="{_attribute(target)}"' if target else ""
        pieces += [page[last:start], _without_href(tag, value)]
        last = end
    return "".join(pieces) + page[last:]


def _links(page: str) -> Iterator[tuple[int, int, str]]:
    """Where each ``<a href>`` or ``<area href>`` start tag is in ``page``, and its href."""
    found: list[tuple[int, int, str]] = []
    lines = [0]
    for line in page.splitlines(keepends=True):
        lines.append(lines[-1] + len(line))

    class Starts(HTMLParser):
        def handle_starttag(self, tag, attrs):
            href = dict(attrs).get("href")
            if tag in ("a", "area") and href is not None:
                row, column = self.getpos()
                start = lines[row - 1] + column
                found.append((start, start + len(self.get_starttag_text() or ""), href))

    parser = Starts(convert_charrefs=True)
    parser.feed(page)
    parser.close()
    return iter(found)


def _without_href(tag: str, value: str) -> str:
    """The start tag ``tag`` with its href (and target) attribute replaced by ``value``."""
    parser = _Tag()
    parser.feed(tag)
    name, attrs = parser.tag
    kept = [
        f'{key}="{_attribute(val or "")}"' if val is not None else key
        for key, val in attrs if key not in ("href", "target", "ping", "download")
    ]  # fmt: skip
    return "<" + " ".join([name, *kept, *([value] if value else [])]) + ">"


class _Tag(HTMLParser):
    tag: tuple[str, list] = ("a", [])

    def handle_starttag(self, tag, attrs):
        self.tag = (tag, attrs)


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# -- PDF ----------------------------------------------------------------------------------------


def pdf_for_mail(data: bytes, elsewhere: Callable[[str], str | None]) -> bytes:
    """A PDF dossier as it is attached to a mail: its links kept only where they open
    (:func:`page_links`, a relative link turned by ``elsewhere`` into an attached file's
    name or dropped), and nothing that runs (:func:`without_actions`)."""
    with pikepdf.open(BytesIO(data)) as pdf:
        parents = parent_tree(pdf)
        before, as_it_was = dict(parents), _links_of(pdf)

        def target(uri: str) -> Target:
            name = elsewhere(uri)
            return ("uri", name) if name else None

        places = {name for name, _ in destinations(pdf)}
        for page in pdf.pages:
            page_links(page, lambda name: name if name in places else None, target, parents)
        without_actions(pdf)
        if _links_of(pdf) == as_it_was:
            return data  # sent as it is in the output folder, byte for byte
        if parents != before:
            write_parent_tree(pdf, parents)
        return saved(pdf)


def _links_of(pdf) -> list:
    """What :func:`pdf_for_mail` may change of ``pdf``, to tell whether it did."""
    root = [key in pdf.Root for key in ("/AA", "/OpenAction")]
    names = pdf.Root.get("/Names")
    scripts = isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names
    pages = [
        ("/AA" in page.obj, [a.unparse(resolved=True) if isinstance(a, pikepdf.Dictionary) else b""
                             for a in page.obj.get("/Annots", ())])
        for page in pdf.pages
    ]  # fmt: skip
    return [root, scripts, pages]


def page_links(page, local: Callable[[str], str | None], elsewhere: Callable[[str], Target],
               parents: dict) -> None:  # fmt: skip
    """Keep of the page's annotations only the links that open where the file is read.

    A link to a named place (``/Dest``, or a ``GoTo`` action) leads to ``local(name)``
    (None: the file has no such place, and the link goes); a
    link to a page of the file is kept; one to an absolute web or mail address keeps its
    address; any other URI is given to ``elsewhere``. Every other action (JavaScript,
    ``/Launch``, a file, a form's submission), any annotation but a link, and the page's
    and annotations' additional actions (``/AA``) go. A link that goes leaves its text,
    no longer a link in the structure tree (``parents``: the parent tree by key).
    """
    page = page.obj if hasattr(page, "obj") else page
    if "/AA" in page:
        del page["/AA"]
    if "/Annots" not in page:
        return
    kept = pikepdf.Array()
    for annotation in page.Annots:
        if isinstance(annotation, pikepdf.Dictionary) and _link(annotation, local, elsewhere):
            kept.append(annotation)
        elif isinstance(annotation, pikepdf.Dictionary) and "/StructParent" in annotation:
            _unlink(parents, int(annotation.StructParent), annotation)
    if len(kept):
        page.Annots = kept
    else:
        del page["/Annots"]


def _link(annotation, local, elsewhere) -> bool:
    """Make ``annotation`` a link that opens where the file is read; False if it cannot be."""
    if annotation.get("/Subtype") != "/Link":
        return False
    for key in ("/AA", "/PA"):
        if key in annotation:
            del annotation[key]
    destination, action = annotation.get("/Dest"), annotation.get("/A")
    if destination is None and isinstance(action, pikepdf.Dictionary):
        if action.get("/S") == "/GoTo":
            destination = action.get("/D")
        elif action.get("/S") == "/URI" and isinstance(action.get("/URI"), pikepdf.String):
            uri = str(action.URI)
            target = ("uri", uri) if opens_anywhere(uri) else elsewhere(uri)
            if target is None:
                return False
            kind, value = target
            if kind == "dest":  # a place of the file the link now belongs to: its name as it is
                del annotation["/A"]
                annotation.Dest = pikepdf.String(value)
            else:
                annotation.A = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(value))
            return True
    if "/A" in annotation:
        del annotation["/A"]
    if isinstance(destination, pikepdf.String | pikepdf.Name):
        name = local(str(destination).lstrip("/"))
        if name is None:  # a place the file does not have
            return False
        annotation.Dest = pikepdf.String(name)
        return True
    if isinstance(destination, pikepdf.Array) and len(destination) and (
        isinstance(destination[0], pikepdf.Dictionary) and destination[0].get("/Type") == "/Page"
    ):  # fmt: skip
        annotation.Dest = destination
        return True
    return False


def _unlink(parents: dict, key: int, annotation) -> None:
    """The structure element of ``annotation`` without it: a link element left without a
    link is a span of its text."""
    element = parents.pop(key, None)
    if not isinstance(element, pikepdf.Dictionary) or "/K" not in element:
        return
    kids = element.K if isinstance(element.K, pikepdf.Array) else pikepdf.Array([element.K])
    left = pikepdf.Array([
        kid for kid in kids
        if not (isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
                and kid.get("/Obj") is not None and kid.Obj.objgen == annotation.objgen)
    ])  # fmt: skip
    element.K = left
    if element.get("/S") == "/Link" and not any(
        isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR" for kid in left
    ):
        element.S = pikepdf.Name.Span


def without_actions(pdf) -> None:
    """Nothing in the document's catalogue that runs when it opens or as it is read:
    its JavaScript, its open action (unless a place to open at), its additional actions."""
    root = pdf.Root
    if "/AA" in root:
        del root["/AA"]
    if "/OpenAction" in root and not isinstance(root.OpenAction, pikepdf.Array):
        del root["/OpenAction"]
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        for key in ("/JavaScript", "/AP"):
            if key in names:
                del names[key]


def parent_tree(pdf) -> dict:
    """The structure tree's parent tree, by key (empty for an untagged PDF)."""
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None or "/ParentTree" not in tree:
        return {}
    return dict(number_tree(tree.ParentTree))


def number_tree(node) -> Iterator[tuple[int, object]]:
    """The entries of a PDF number tree (a structure tree's parent tree), by key."""
    nums = node.get("/Nums")
    if nums is not None:
        for index in range(0, len(nums) - 1, 2):
            yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", ()):
        yield from number_tree(kid)


def write_parent_tree(pdf, parents: dict) -> None:
    """Write ``parents`` as the structure tree's parent tree."""
    tree = pdf.Root.StructTreeRoot
    nums = [value for key in sorted(parents) for value in (key, parents[key])]
    tree.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
    tree.ParentTreeNextKey = max(parents, default=-1) + 1
