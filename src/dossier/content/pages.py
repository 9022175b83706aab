"""The project's HTML templates through one Jinja environment, autoescaped.

Every value a template shows is escaped unless the template says otherwise,
so no text from the data can become markup in a dossier, a mail or an index.
Text from the data in a page of another language is marked with its own
(``{{ value | say(lang, source_lang) }}``), so a screen reader reads a Swedish
title in Swedish in an English dossier, and a German one in German. Light on purpose: the batch and mail commands
use it without importing the dossier's figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import jinja2
from markupsafe import Markup, escape

from ..catalogue import Source, Words, text
from ..resources import template_dir


@dataclass(frozen=True, slots=True)
class Link:
    """A table cell that links to another page: ``text`` (shown as :func:`say` shows it), ``href``."""

    text: object
    href: str


def say(value: object, lang: str, source_lang: str, most: int | None = None) -> Markup:
    """``value`` as escaped markup on a page in ``lang``; its source text marked ``source_lang``.

    ``value`` may be :class:`Words`, :class:`Source`, plain text, or the pairs of
    :meth:`Words.pairs` as they come back from JSON. Source text in the page's own
    language needs no mark; in any other, or in an unknown one (``source_lang`` "":
    ``lang=""``, as HTML says "unknown"), it is a ``span`` with its ``lang``. With
    ``most``, a source text longer than that many letters is cut, with ``…`` (where a
    table gives it whole).
    """
    if isinstance(value, list):
        value = Words.from_pairs(value)
    parts = value if isinstance(value, Words) else (value,)
    shown = []
    for part in parts:
        if most is not None and isinstance(part, Source) and len(part) > most:
            part = Source(part[: most - 1] + "…")
        if isinstance(part, Source) and part and source_lang != lang:
            shown.append(Markup('<span lang="{}">{}</span>').format(source_lang, breakable(part)))
        else:
            shown.append(breakable(part))
    return Markup("").join(shown)


#: A run of letters without a space longer than any word, or a SHA-256 in hex: a name, say,
#: of thousands of letters.
LONG_RUN = re.compile(r"\S{80,}")
#: Where such a run may break: after each this many letters.
RUN_PIECE = 40


def breakable(value: object) -> Markup:
    """``value`` escaped, with a line break allowed (``<wbr>``) every :data:`RUN_PIECE` letters
    of a run longer than any word (:data:`LONG_RUN`).

    Else the run could break nowhere: its table column would run off the page, and a
    break anywhere (``overflow-wrap: anywhere``) costs WeasyPrint time that grows with the
    square of its length. Text of ordinary words is only escaped.
    """
    words = str(value)
    pieces, start = [], 0
    for run in LONG_RUN.finditer(words):
        pieces.append(escape(words[start : run.start()]))
        letters = run.group()
        pieces.append(Markup("<wbr>").join(
            escape(letters[i : i + RUN_PIECE]) for i in range(0, len(letters), RUN_PIECE)
        ))  # fmt: skip
        start = run.end()
    pieces.append(escape(words[start:]))
    return Markup("").join(pieces)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["say"] = say
    env.filters["breakable"] = breakable
    # A table cell is one text, or lines (a list) of which the first is the heading.
    env.tests["lines"] = lambda value: isinstance(value, list)
    env.tests["link"] = lambda value: isinstance(value, Link)
    return env


def render_page(name: str, view: dict) -> str:
    """Render the template ``name`` (relative to the templates folder) with ``view``."""
    return environment().get_template(name).render(**view)


def macros(name: str):
    """The macros of template ``name``, callable from Python."""
    return environment().get_template(name).module


#: A section as the section macros write it: its id, then its heading (already escaped).
_SECTION = re.compile(r'<section class="[^"]*" id="([^"]+)">\s*<h2>(.*?)</h2>', re.DOTALL)


def with_contents(page: str, lang: str) -> str:
    """``page`` with a table of contents (a ``nav`` linking each section) after its header.

    The sections are read from the page itself, so the contents list what the
    notebook's cells showed, in their order, also when a reader adds or drops a cell.
    A page with fewer than two sections is returned as it is.
    """
    sections = [(id_, Markup(heading)) for id_, heading in _SECTION.findall(page)]
    if len(sections) < 2:
        return page
    nav = macros("sections/sections.html.j2").contents(
        {"heading": text("heading.contents", lang), "sections": sections}
    )
    header_end = page.find("</header>")
    if header_end >= 0:
        at = header_end + len("</header>")
    else:  # no header cell: the contents open the page
        at = page.find(">", page.find("<main")) + 1
    return f"{page[:at]}\n{nav}{page[at:]}"
