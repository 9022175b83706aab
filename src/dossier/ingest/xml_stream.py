"""XML read safely and as a stream, and the few element helpers the readers need.

:func:`stream` reads a file with defusedxml's ``iterparse``: a file that declares
entities (an "entity bomb" that expands to gigabytes, or one that reads other
files) is refused before anything is expanded, and each finished unit (a case)
is handed over to be read and dropped, so a delivery of a gigabyte needs the memory of
one case, not of the file. Elements are found by their local name, so a file
with or without a namespace reads the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ..errors import SourceError


def local(tag: object) -> str:
    """An element's name without its namespace: ``{ns}Arendemening`` → ``Arendemening``."""
    return str(tag).rsplit("}", 1)[-1]


def namespace(tag: object) -> str:
    found = str(tag)
    return found[1 : found.index("}")] if found.startswith("{") else ""


def children(elem: Element | None, name: str) -> list[Element]:
    return [] if elem is None else [c for c in elem if local(c.tag) == name]


def child(elem: Element | None, name: str) -> Element | None:
    return next((c for c in ([] if elem is None else elem) if local(c.tag) == name), None)


def child_text(elem: Element | None, name: str) -> str:
    found = child(elem, name)
    return "".join(found.itertext()).strip() if found is not None else ""


def attribute(elem: Element | None, name: str) -> str:
    if elem is None:
        return ""
    return next((v.strip() for k, v in elem.attrib.items() if local(k) == name), "")


class _Counted:
    """A binary file that says how many bytes have been read from it (for a progress bar)."""

    def __init__(self, handle: BinaryIO, on_read: Callable[[int], None]) -> None:
        self._handle, self._on_read = handle, on_read

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._on_read(len(chunk))
        return chunk


def stream(path: Path, units: frozenset[str],
           on_read: Callable[[int], None] | None = None) -> Iterator[tuple[Element, list[Element]]]:  # fmt: skip
    """The root element, then each element named in ``units`` once it is complete, with its
    ancestors (root first): who has read a unit removes it from its parent to free it.
    ``on_read`` is told the bytes read, as they are read.

    Raises SourceError naming the file for XML that is broken or declares entities.
    """
    try:
        with open(path, "rb") as handle:
            yield from _elements(_Counted(handle, on_read) if on_read else handle, units)
    except DefusedXmlException as exc:
        raise SourceError(
            f"{path}: the XML declares entities or an external reference ({type(exc).__name__}); it "
            "is refused, as entities can expand to gigabytes or read other files: export the "
            "delivery again without a DTD"
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise SourceError(f"{path} line {line}: not well-formed XML ({exc})") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _elements(source: object, units: frozenset[str]) -> Iterator[tuple[Element, list[Element]]]:
    stack: list[Element] = []
    for event, elem in iterparse(source, events=("start", "end")):
        if event == "start":
            stack.append(elem)
            if len(stack) == 1:
                yield elem, []
            continue
        stack.pop()
        if local(elem.tag) in units and stack:
            yield elem, stack
