"""The project's HTML templates through one Jinja environment, autoescaped.

Every value a template shows is escaped unless the template says otherwise,
so no text from the data can become markup in a dossier, a mail or an index.
Text from the data in a page of another language is marked with its own
(``{{ value | say(lang) }}``), so a screen reader reads a Swedish title in
Swedish in an English dossier. Light on purpose: the batch and mail commands
use it without importing the dossier's figures.
"""

from __future__ import annotations

from functools import cache

import jinja2
from markupsafe import Markup, escape

from ..catalogue import SOURCE_LANG, Source, Words
from ..resources import template_dir


def say(value: object, lang: str) -> Markup:
    """``value`` as escaped markup; its source text in a ``lang="sv"`` span on a page in ``lang``.

    ``value`` may be :class:`Words`, :class:`Source`, plain text, or the pairs of
    :meth:`Words.pairs` as they come back from JSON.
    """
    if isinstance(value, list):
        value = Words.from_pairs(value)
    parts = value if isinstance(value, Words) else (value,)
    shown = []
    for part in parts:
        if isinstance(part, Source) and lang != SOURCE_LANG:
            shown.append(Markup('<span lang="{}">{}</span>').format(SOURCE_LANG, part))
        else:
            shown.append(escape(part))
    return Markup("").join(shown)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["say"] = say
    # A table cell is one text, or lines (a list) of which the first is the heading.
    env.tests["lines"] = lambda value: isinstance(value, list)
    return env


def render_page(name: str, view: dict) -> str:
    """Render the template ``name`` (relative to the templates folder) with ``view``."""
    return environment().get_template(name).render(**view)


def macros(name: str):
    """The macros of template ``name``, callable from Python."""
    return environment().get_template(name).module
